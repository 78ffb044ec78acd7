#!/usr/bin/python3
"""A small SQL Server stand-in for the krbflow lab: enough of MS-TDS for a login.

It answers PRELOGIN, then a LOGIN7 with either integrated security (the SSPI
block: Kerberos or SPNEGO accepted with GSS-API from the keytab in
KRB5_KTNAME; NTLM answered with a CHALLENGE, only to learn who the client is)
or SQL authentication (user name and password, checked against one login
given on the command line). It answers with LOGINACK + DONE, or with SQL
Server's ERROR 18456 (class 14) "Login failed for user '...'." + DONE.

What it decides, and why, goes to stderr (one line per connection), so that a
lab scenario can check it and the notes can say what the server thought.

Only Debian's python3 standard library and python3-gssapi. Not a database:
after a login it answers any request with an empty DONE.

    tds_responder.py --listen 10.88.0.53 --port 1433 --encryption not_sup \
        --sql-login app:SECRET --windows-login alice@AD.LAB.TEST
"""
import argparse
import os
import socket
import ssl
import struct
import sys
import time

# TDS packet types (MS-TDS 2.2.3.1.1)
PKT_SQLBATCH = 0x01
PKT_REPLY = 0x04
PKT_LOGIN7 = 0x10
PKT_SSPI = 0x11
PKT_PRELOGIN = 0x12
STATUS_EOM = 0x01

# PRELOGIN option tokens and ENCRYPTION values (2.2.6.5)
PL_VERSION, PL_ENCRYPTION, PL_INSTOPT, PL_THREADID, PL_MARS = 0, 1, 2, 3, 4
PL_TERMINATOR = 0xFF
ENCRYPT = {"off": 0, "on": 1, "not_sup": 2, "req": 3}
ENCRYPT_NAME = {v: k for k, v in ENCRYPT.items()}

# Token types (2.2.7)
TOK_ERROR, TOK_LOGINACK, TOK_ENVCHANGE, TOK_SSPI, TOK_DONE = 0xAA, 0xAD, 0xE3, 0xED, 0xFD
DONE_FINAL, DONE_ERROR = 0x0000, 0x0002

ANONYMOUS = "NT AUTHORITY\\ANONYMOUS LOGON"
SERVER_NAME = "SQL"
PROG_NAME = "Microsoft SQL Server"
SERVER_VERSION = (16, 0, 1000, 6)   # what PRELOGIN and LOGINACK announce

MAX_PACKET = 32767                  # TDS packet size limit we accept
MAX_MESSAGE = 1 << 20               # a whole message, all packets


def log(msg):
    sys.stderr.write("[tds %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def ucs2(s):
    return s.encode("utf-16-le")


def b_varchar(s):
    return bytes([len(s)]) + ucs2(s)


def us_varchar(s):
    return struct.pack("<H", len(s)) + ucs2(s)


class Closed(Exception):
    pass


class Conn:
    """One client connection. Reads and writes go through self.rd/self.wr, so
    that a TLS layer can be put under the TDS packets."""

    def __init__(self, sock, args):
        self.sock = sock
        self.args = args
        self.packet_id = 1
        self.tls = None          # ssl.SSLObject once the login is encrypted
        self.buf = b""

    # ---- raw I/O
    def recv_raw(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed()
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    # ---- TDS packets
    def read_message(self):
        """A whole TDS message (packets up to EOM): (type, payload)."""
        payload = b""
        while True:
            hdr = self.read_bytes(8)
            ptype, status, length = hdr[0], hdr[1], struct.unpack(">H", hdr[2:4])[0]
            if length < 8 or length > MAX_PACKET:
                raise ValueError("bad TDS packet length %d" % length)
            payload += self.read_bytes(length - 8)
            if len(payload) > MAX_MESSAGE:
                raise ValueError("TDS message too long")
            if status & STATUS_EOM:
                return ptype, payload

    def read_bytes(self, n):
        if self.tls is None:
            return self.recv_raw(n)
        return self.tls_read(n)

    def send_message(self, ptype, payload):
        # PacketID counts the packets of one message from 1 (as SQL Server
        # does; tshark takes an EOM packet numbered 2 for a message's tail)
        self.packet_id = 1
        out = b""
        size = 4096 - 8
        chunks = [payload[i:i + size] for i in range(0, len(payload), size)] or [b""]
        for i, chunk in enumerate(chunks):
            status = STATUS_EOM if i == len(chunks) - 1 else 0
            out += struct.pack(">BBHHBB", ptype, status, 8 + len(chunk), 0, self.packet_id, 0) + chunk
            self.packet_id = (self.packet_id + 1) & 0xFF
        if self.tls is None:
            self.sock.sendall(out)
        else:
            self.tls_write(out)

    # ---- TLS inside PRELOGIN packets (MS-TDS 3.3.5.3 / 2.2.6.5)
    def tls_handshake(self, ctx):
        """The handshake's records travel as PRELOGIN packet payloads."""
        self.inc, self.outg = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(self.inc, self.outg, server_side=True)
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                pending = self.outg.read()
                if pending:
                    self.send_message(PKT_PRELOGIN, pending)
                ptype, data = self.read_message()
                if ptype != PKT_PRELOGIN:
                    raise ValueError("TLS handshake: packet type 0x%02x" % ptype)
                self.inc.write(data)
        pending = self.outg.read()
        if pending:
            self.send_message(PKT_PRELOGIN, pending)
        self.tls = obj

    def tls_read(self, n):
        if self.buf:    # bytes read past the handshake's last PRELOGIN packet
            self.inc.write(self.buf)
            self.buf = b""
        out = b""
        while len(out) < n:
            try:
                out += self.tls.read(n - len(out))
            except ssl.SSLWantReadError:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise Closed()
                self.inc.write(chunk)
        return out

    def tls_write(self, data):
        self.tls.write(data)
        self.sock.sendall(self.outg.read())


# ------------------------------------------------------------ PRELOGIN ---
def parse_prelogin(data):
    """{option token: value bytes}; bounds-checked, ignores what it does not know."""
    opts, pos = {}, 0
    while pos < len(data) and data[pos] != PL_TERMINATOR:
        if pos + 5 > len(data):
            raise ValueError("PRELOGIN option list truncated")
        tok, off, ln = data[pos], *struct.unpack(">HH", data[pos + 1:pos + 5])
        if off + ln > len(data):
            raise ValueError("PRELOGIN option %d outside the message" % tok)
        opts[tok] = data[off:off + ln]
        pos += 5
    return opts


def build_prelogin(encryption):
    options = [
        (PL_VERSION, bytes(SERVER_VERSION[:2]) + struct.pack(">H", SERVER_VERSION[2]) + struct.pack(">H", 0)),
        (PL_ENCRYPTION, bytes([encryption])),
        (PL_INSTOPT, b"\x00"),
        (PL_THREADID, b""),
        (PL_MARS, b"\x00"),
    ]
    off = 5 * len(options) + 1
    head, body = b"", b""
    for tok, val in options:
        head += struct.pack(">BHH", tok, off + len(body), len(val))
        body += val
    return head + bytes([PL_TERMINATOR]) + body


# -------------------------------------------------------------- LOGIN7 ---
LOGIN7_FIXED = 94


def parse_login7(data):
    if len(data) < LOGIN7_FIXED:
        raise ValueError("LOGIN7 shorter than its fixed part")
    (tds_version,) = struct.unpack("<I", data[4:8])
    flags2 = data[25]
    login = {"tds_version": tds_version, "integrated": bool(flags2 & 0x80)}

    def field(at, is_bytes=False):
        off, ln = struct.unpack("<HH", data[at:at + 4])
        nbytes = ln if is_bytes else 2 * ln
        if off + nbytes > len(data):
            raise ValueError("LOGIN7 field at %d outside the message" % at)
        return data[off:off + nbytes]

    def text(at):
        return field(at).decode("utf-16-le", "replace")

    login["host"] = text(36)
    login["user"] = text(40)
    pw = bytes(((b ^ 0xA5) >> 4 | ((b ^ 0xA5) & 0x0F) << 4) for b in field(44))
    login["password"] = pw.decode("utf-16-le", "replace")
    login["app"] = text(48)
    login["server"] = text(52)
    login["database"] = text(68)
    login["sspi"] = field(78, is_bytes=True)
    if len(login["sspi"]) == 0xFFFF and len(data) >= 94:   # cbSSPILong
        (long_len,) = struct.unpack("<I", data[90:94])
        off = struct.unpack("<H", data[78:80])[0]
        if off + long_len > len(data):
            raise ValueError("LOGIN7 SSPI outside the message")
        login["sspi"] = data[off:off + long_len]
    return login


# ------------------------------------------------------------- replies ---
def tok_error(number, state, cls, text, line=1):
    body = struct.pack("<IBB", number, state, cls) + us_varchar(text) + b_varchar(SERVER_NAME) \
        + b_varchar("") + struct.pack("<I", line)
    return bytes([TOK_ERROR]) + struct.pack("<H", len(body)) + body


def tok_done(status):
    return bytes([TOK_DONE]) + struct.pack("<HHQ", status, 0, 0)


def tok_envchange(kind, new, old):
    body = bytes([kind]) + b_varchar(new) + b_varchar(old)
    return bytes([TOK_ENVCHANGE]) + struct.pack("<H", len(body)) + body


def tok_loginack(tds_version):
    # TDSVersion in LOGINACK is sent most significant byte first (2.2.7.14)
    body = b"\x01" + struct.pack(">I", tds_version) + b_varchar(PROG_NAME) + bytes(SERVER_VERSION[:2]) \
        + struct.pack(">H", SERVER_VERSION[2])
    return bytes([TOK_LOGINACK]) + struct.pack("<H", len(body)) + body


def tok_sspi(token):
    return bytes([TOK_SSPI]) + struct.pack("<H", len(token)) + token


def login_ok(conn, login, prefix=b""):
    version = login["tds_version"]
    if version > 0x74000004:
        version = 0x74000004
    conn.send_message(PKT_REPLY, prefix + tok_envchange(1, "master", "") + tok_loginack(version)
                      + tok_envchange(4, "4096", "4096") + tok_done(DONE_FINAL))


def login_failed(conn, user, state, prefix=b""):
    conn.send_message(PKT_REPLY, prefix + tok_error(18456, state, 14, "Login failed for user '%s'." % user)
                      + tok_done(DONE_ERROR))


# ---------------------------------------------------------------- NTLM ---
NTLM_SIG = b"NTLMSSP\x00"


def ntlm_challenge(negotiate_flags):
    """A CHALLENGE (MS-NLMP 2.2.1.2) that echoes what the client can do."""
    flags = 0x00000001 | 0x00000004 | 0x00000200 | 0x00008000 | 0x00010000 | 0x00800000 | 0x02000000
    flags |= negotiate_flags & (0x00080000 | 0x20000000 | 0x40000000 | 0x80000000 | 0x00000010 | 0x00000020)
    target = ucs2("ADLAB")

    def av(kind, val):
        return struct.pack("<HH", kind, len(val)) + val

    filetime = int((time.time() + 11644473600) * 10000000)
    info = av(2, ucs2("ADLAB")) + av(1, ucs2(SERVER_NAME)) + av(4, ucs2("ad.lab.test")) \
        + av(3, ucs2("sql.ad.lab.test")) + av(5, ucs2("ad.lab.test")) \
        + av(7, struct.pack("<Q", filetime)) + av(0, b"")
    head_len = 56
    msg = NTLM_SIG + struct.pack("<I", 2)
    msg += struct.pack("<HHI", len(target), len(target), head_len)
    msg += struct.pack("<I", flags) + os.urandom(8) + b"\x00" * 8
    msg += struct.pack("<HHI", len(info), len(info), head_len + len(target))
    msg += bytes([10, 0]) + struct.pack("<H", 20348) + b"\x00\x00\x00\x0f"
    return msg + target + info


def ntlm_authenticate_user(msg):
    """(domain, user, nt_len, lm_len) from an AUTHENTICATE (MS-NLMP 2.2.1.3)."""
    if len(msg) < 64 or msg[:8] != NTLM_SIG or struct.unpack("<I", msg[8:12])[0] != 3:
        raise ValueError("not an NTLM AUTHENTICATE")

    def field(at):
        ln, _, off = struct.unpack("<HHI", msg[at:at + 8])
        if off + ln > len(msg):
            raise ValueError("NTLM field outside the message")
        return msg[off:off + ln]

    (flags,) = struct.unpack("<I", msg[60:64])
    enc = "utf-16-le" if flags & 1 else "latin-1"
    return (field(28).decode(enc, "replace"), field(36).decode(enc, "replace"),
            len(field(20)), len(field(12)))


# ------------------------------------------------------------ the login ---
def windows_name(principal, args):
    """alice@AD.LAB.TEST -> ADLAB\\alice, as SQL Server names a Windows login."""
    user, _, realm = principal.partition("@")
    if realm.upper() == args.realm.upper():
        return "%s\\%s" % (args.netbios_domain, user)
    return principal


def integrated_login(conn, login, args):
    token = login["sspi"]
    if token.startswith(NTLM_SIG):
        (flags,) = struct.unpack("<I", token[12:16]) if len(token) >= 16 else (0,)
        conn.send_message(PKT_REPLY, tok_sspi(ntlm_challenge(flags)))
        ptype, data = conn.read_message()
        if ptype != PKT_SSPI:
            raise ValueError("expected the SSPI message, got type 0x%02x" % ptype)
        domain, user, nt_len, lm_len = ntlm_authenticate_user(data)
        if user == "":
            # MS-NLMP 3.3.1/3.2.5.1.2: no user name is the anonymous logon
            log("decision: NTLM AUTHENTICATE with an empty user name (domain %r, NT response %d bytes,"
                " LM response %d bytes): anonymous logon -> 18456 state %d"
                % (domain, nt_len, lm_len, args.anonymous_state))
            return login_failed(conn, ANONYMOUS, args.anonymous_state)
        name = "%s\\%s" % (domain, user) if domain else user
        log("decision: NTLM user %s: this responder cannot check NTLM -> 18456 state %d"
            % (name, args.windows_state))
        return login_failed(conn, name, args.windows_state)

    import gssapi   # only here: SQL logins and NTLM work without a keytab
    try:
        ctx = gssapi.SecurityContext(creds=gssapi.Credentials(usage="accept"), usage="accept")
        out = ctx.step(token)
    except gssapi.exceptions.GSSError as e:
        # SQL Server: 17806 SSPI handshake failed, then 18452 to the client
        log("decision: GSS-API accept failed (%s) -> 18452" % str(e).replace("\n", " "))
        text = "Login failed. The login is from an untrusted domain and cannot be used with " \
               "Integrated authentication."
        return conn.send_message(PKT_REPLY, tok_error(18452, 1, 14, text) + tok_done(DONE_ERROR))
    prefix = b""
    while not ctx.complete:
        # a multi-leg mechanism: send the continuation, read the next SSPI message
        conn.send_message(PKT_REPLY, tok_sspi(out or b""))
        ptype, data = conn.read_message()
        if ptype != PKT_SSPI:
            raise ValueError("expected the SSPI message, got type 0x%02x" % ptype)
        out = ctx.step(data)
    if out:
        prefix = tok_sspi(out)    # e.g. Kerberos AP-REP (mutual authentication)
    principal = str(ctx.initiator_name)
    name = windows_name(principal, args)
    if principal.lower() in (p.lower() for p in args.windows_login):
        log("decision: Kerberos/SPNEGO from %s (%s), a login of this server -> LOGINACK" % (principal, name))
        return login_ok(conn, login, prefix)
    log("decision: Kerberos/SPNEGO from %s (%s), no login for it -> 18456 state %d"
        % (principal, name, args.windows_state))
    return login_failed(conn, name, args.windows_state, prefix)


def sql_login(conn, login, args):
    user, pw = login["user"], login["password"]
    if user == "":
        log("decision: SQL authentication without a user name -> 18456 state %d (anonymous)"
            % args.anonymous_state)
        return login_failed(conn, ANONYMOUS, args.anonymous_state)
    if "\\" in user:
        log("decision: SQL authentication with a Windows login name %s -> 18456 state 6" % user)
        return login_failed(conn, user, 6)
    if user not in args.sql_logins:
        log("decision: SQL login %s does not exist -> 18456 state 5" % user)
        return login_failed(conn, user, 5)
    if pw != args.sql_logins[user]:
        log("decision: SQL login %s, wrong password -> 18456 state 8" % user)
        return login_failed(conn, user, 8)
    log("decision: SQL login %s, right password -> LOGINACK" % user)
    return login_ok(conn, login)


def encryption_answer(setting, client):
    """The server's PRELOGIN ENCRYPTION value for its setting and the client's
    value (MS-TDS 2.2.6.5): a server set to OFF answers OFF (login encrypted),
    ON to a client that wants ON, NOT_SUP to a client without TLS."""
    client_name = ENCRYPT_NAME.get(client, "not_sup")
    if setting == "not_sup":
        return ENCRYPT["not_sup"]
    if setting in ("on", "req"):
        return ENCRYPT["req"] if client_name == "not_sup" else ENCRYPT["on"]
    # setting off
    if client_name == "not_sup":
        return ENCRYPT["not_sup"]
    return ENCRYPT["on"] if client_name in ("on", "req") else ENCRYPT["off"]


def serve(conn, args, tls_ctx):
    ptype, data = conn.read_message()
    if ptype != PKT_PRELOGIN:
        raise ValueError("first message is type 0x%02x, not PRELOGIN" % ptype)
    opts = parse_prelogin(data)
    client_enc = (opts.get(PL_ENCRYPTION) or b"\x02")[0]
    answer = encryption_answer(args.encryption, client_enc)
    conn.send_message(PKT_REPLY, build_prelogin(answer))
    if answer == ENCRYPT["req"]:
        log("PRELOGIN: client encryption %s, server requires encryption: closing"
            % ENCRYPT_NAME.get(client_enc, client_enc))
        return
    # 2.2.6.5: NOT_SUP answered: nothing is encrypted; OFF: the LOGIN7 only;
    # ON: the whole connection.
    log("PRELOGIN: client encryption %s, server setting %s, answered %s -> login %s" % (
        ENCRYPT_NAME.get(client_enc, client_enc), args.encryption, ENCRYPT_NAME[answer],
        "in clear" if answer == ENCRYPT["not_sup"] else "inside TLS"))
    if answer != ENCRYPT["not_sup"]:
        if tls_ctx is None:
            raise ValueError("the login must be encrypted but no --tls-cert was given")
        conn.tls_handshake(tls_ctx)
    ptype, data = conn.read_message()
    if ptype != PKT_LOGIN7:
        raise ValueError("expected LOGIN7, got type 0x%02x" % ptype)
    login = parse_login7(data)
    log("LOGIN7: host %r app %r server %r user %r integrated %s SSPI %d bytes" % (
        login["host"], login["app"], login["server"], login["user"], login["integrated"], len(login["sspi"])))
    # Encryption of the login only: everything after LOGIN7 is in clear
    # (ENCRYPT_OFF); with ON/REQ the whole connection stays in TLS.
    if conn.tls is not None and answer == ENCRYPT["off"]:
        conn.tls = None
    if login["integrated"] and login["sspi"]:
        integrated_login(conn, login, args)
    elif login["integrated"]:
        log("decision: integrated security without an SSPI token -> 18456 state %d (anonymous)"
            % args.anonymous_state)
        login_failed(conn, ANONYMOUS, args.anonymous_state)
    else:
        sql_login(conn, login, args)
    # After a login: answer requests with an empty DONE until the client goes.
    while True:
        ptype, data = conn.read_message()
        conn.send_message(PKT_REPLY, tok_done(DONE_FINAL))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True)
    ap.add_argument("--port", type=int, default=1433)
    ap.add_argument("--encryption", choices=sorted(ENCRYPT), default="not_sup",
                    help="the server's encryption setting (not_sup: never TLS; off: TLS for the"
                    " login when the client can; on: TLS for everything)")
    ap.add_argument("--tls-cert", help="PEM certificate+key for encrypted logins")
    ap.add_argument("--sql-login", action="append", default=[], metavar="USER:PASSWORD")
    ap.add_argument("--windows-login", action="append", default=[], metavar="PRINCIPAL",
                    help="a Kerberos principal that has a login (e.g. alice@AD.LAB.TEST)")
    ap.add_argument("--realm", default="AD.LAB.TEST")
    ap.add_argument("--netbios-domain", default="ADLAB")
    ap.add_argument("--anonymous-state", type=int, default=5,
                    help="18456 state for ANONYMOUS LOGON")
    ap.add_argument("--windows-state", type=int, default=5,
                    help="18456 state for an authenticated Windows user without a login")
    ap.add_argument("--ready-file", help="written once the socket listens")
    args = ap.parse_args()
    args.sql_logins = dict(s.split(":", 1) for s in args.sql_login)
    tls_ctx = None
    if args.tls_cert:
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.load_cert_chain(args.tls_cert)
        # TDS 7.x wraps only the handshake in PRELOGIN packets; TLS 1.3's
        # tickets after it would be wrapped too and confuse the client.
        # SQL Server speaks TLS 1.2 here (TLS 1.3 comes with TDS 8, strict).
        tls_ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    srv = socket.socket(socket.AF_INET6 if ":" in args.listen else socket.AF_INET)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.listen, args.port))
    srv.listen(8)
    log("listening on %s:%d, encryption %s" % (args.listen, args.port, args.encryption))
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("%d\n" % os.getpid())
    while True:
        sock, peer = srv.accept()
        log("connection from %s:%d" % peer[:2])
        sock.settimeout(30)
        try:
            serve(Conn(sock, args), args, tls_ctx)
        except Closed:
            log("client closed the connection")
        except (ValueError, OSError, ssl.SSLError) as e:
            log("connection dropped: %s" % e)
        finally:
            sock.close()


if __name__ == "__main__":
    main()
