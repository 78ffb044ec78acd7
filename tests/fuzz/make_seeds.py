#!/usr/bin/env python3
"""make_seeds.py - regenerate tests/fuzz/corpus/<target>/ from the project's
own samples (samples/*.pcap) and the unit-test vectors; never from the shared
corpus.  Needs tshark (reading the samples) and editcap (one pcapng seed).

    python3 tests/fuzz/make_seeds.py          # rewrites tests/fuzz/corpus/
    python3 tests/fuzz/make_seeds.py pac      # rewrites only corpus/pac/ (no tshark)
    python3 tests/fuzz/make_seeds.py kpasswd  # rewrites only corpus/kpasswd/
    python3 tests/fuzz/make_seeds.py smb      # rewrites only corpus/smb/ and the SMB flows (no tshark)
    python3 tests/fuzz/make_seeds.py ldap     # rewrites only corpus/ldap/ (no tshark)

Seeds are named by content hash, so running it twice gives the same tree."""
import base64
import glob
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
SAMPLES = os.path.join(REPO, "samples")
CORPUS = os.path.join(HERE, "corpus")
SEP = b"\xffFLOW\xff"
FLOW_PORTS = {88: 0, 80: 1, 3128: 2, 53: 3, 443: 4, 464: 5, 445: 6, 139: 7}
seen = {}


def tshark(*args):
    return subprocess.run(["tshark", *args], check=True, capture_output=True, text=True).stdout


def save(target, data, limit=None):
    h = hashlib.sha1(data).hexdigest()[:16]
    s = seen.setdefault(target, set())
    if h in s or (limit is not None and len(s) >= limit):
        return
    s.add(h)
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, h), "wb") as f:
        f.write(data)


def der_len(b, i):
    """Length of the DER element starting at b[i] (header + contents), or None."""
    if i + 2 > len(b):
        return None
    n = b[i + 1]
    if n < 0x80:
        return 2 + n
    k = n & 0x7F
    if k == 0 or k > 4 or i + 2 + k > len(b):
        return None
    return 2 + k + int.from_bytes(b[i + 2:i + 2 + k], "big")


def tcp_streams(path):
    """[(client_port, server_port, [(dir, bytes), ...])] per TCP stream."""
    ids = sorted({int(x) for x in tshark("-r", path, "-Y", "tcp", "-T", "fields", "-e", "tcp.stream").split()})
    out = []
    if not ids:
        return out
    args = ["-r", path, "-q"]
    for i in ids:
        args += ["-z", "follow,tcp,raw,%d" % i]
    text = tshark(*args)
    for block in text.split("===================================================================\n"):
        m0 = re.search(r"Node 0: .*:(\d+)\n", block)
        m1 = re.search(r"Node 1: .*:(\d+)\n", block)
        if not m0 or not m1:
            continue
        chunks = []
        for line in block.splitlines():
            if not re.fullmatch(r"\t?[0-9a-f]+", line):
                continue
            d = 1 if line.startswith("\t") else 0
            data = bytes.fromhex(line.strip())
            if chunks and chunks[-1][0] == d:
                chunks[-1] = (d, chunks[-1][1] + data)
            else:
                chunks.append((d, data))
        if chunks:
            out.append((int(m0.group(1)), int(m1.group(1)), chunks))
    return out


def http_heads(data):
    """Heads (and the token headers in them) of the HTTP messages in one direction."""
    heads = []
    i = 0
    while i < len(data):
        e = data.find(b"\r\n\r\n", i)
        if e < 0:
            break
        head = data[i:e + 4]
        heads.append(head)
        m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        i = e + 4 + (int(m.group(1)) if m else 0)
    return heads


def tokens(head):
    for m in re.finditer(rb"(?im)^(?:www-|proxy-)?(?:authorization|authenticate):\s*(negotiate|ntlm|kerberos)\s+(\S+)\r?$", head):
        yield m.group(2)


def token_seeds(tok64):
    save("base64", tok64)
    try:
        tok = base64.b64decode(tok64, validate=True)
    except Exception:
        return
    save("gss", tok)
    save("der", tok, limit=40)
    k = tok.find(b"NTLMSSP\x00")
    if k >= 0:
        save("ntlmssp", tok[k:])
    # the Kerberos message after a GSS token id (AP-REQ 01 00, AP-REP 02 00, KRB-ERROR 03 00)
    for tid, tag in ((b"\x01\x00", 0x6E), (b"\x02\x00", 0x6F), (b"\x03\x00", 0x7E)):
        k = tok.find(tid + bytes([tag]))
        if k >= 0:
            n = der_len(tok, k + 2)
            if n and k + 2 + n <= len(tok):
                save("krb5", tok[k + 2:k + 2 + n])


def pcap_frames(path):
    with open(path, "rb") as f:
        b = f.read()
    assert b[:4] == b"\xd4\xc3\xb2\xa1", path
    i = 24
    while i + 16 <= len(b):
        incl = struct.unpack_from("<I", b, i + 8)[0]
        yield b[i + 16:i + 16 + incl]
        i += 16 + incl


def flow_input(port, chunks, cap=6000):
    """A fuzz_flow input: control byte, then chunks alternating from the client."""
    parts = []
    if chunks and chunks[0][0] == 1:
        parts.append(b"")
    total = 0
    for _, data in chunks:
        parts.append(data[: max(0, cap - total)])
        total += len(data)
        if total >= cap:
            break
    return bytes([FLOW_PORTS[port]]) + SEP.join(parts)


# ---- pac: PACTYPE bytes (MS-PAC), built field by field like tests/unit/check_pac.c,
# plus the real PAC kept there (Samba's torture PAC, from a Windows 2003 KDC)

def utf16(t):
    return t.encode("utf-16-le")


def sid_body(auth, subs):
    return bytes([1, len(subs)]) + auth.to_bytes(6, "big") + b"".join(struct.pack("<I", x) for x in subs)


class Ndr:
    """One NDR type-serialization-1 object: scalars first, referents after."""

    def __init__(self):
        self.b = bytearray(struct.pack("<I", 0x20000))  # top-level pointer
        self.ref = 0x20004

    def ptr(self, present):
        if not present:
            return struct.pack("<I", 0)
        self.ref += 4
        return struct.pack("<I", self.ref - 4)

    def ustr(self, t):
        n = len(utf16(t)) if t is not None else 0
        return struct.pack("<HH", n, n) + self.ptr(t is not None)

    def align(self):
        self.b += b"\0" * (-len(self.b) % 4)

    def chars(self, t):
        if t is not None:
            self.align()
            self.b += struct.pack("<III", len(t), 0, len(t)) + utf16(t)

    def sid(self, auth, subs):
        self.align()
        self.b += struct.pack("<I", len(subs)) + sid_body(auth, subs)

    def done(self):
        self.b += b"\0" * (-len(self.b) % 8)
        return b"\x01\x10\x08\x00\xcc\xcc\xcc\xcc" + struct.pack("<II", len(self.b), 0) + bytes(self.b)


def pac_logon(user, domain, dom_subs, groups, extra, res=None):
    n = Ndr()
    fixed = struct.pack("<Q", 0x01D9F0A1B2C3D4E0) + struct.pack("<Q", 0x7FFFFFFFFFFFFFFF) * 2 + b"\0" * 24
    names = [user, "Full Name", None, "", None, None]
    fixed += b"".join(n.ustr(t) for t in names)
    fixed += struct.pack("<HHIII", 3, 0, 1104, 513, len(groups or [])) + n.ptr(groups is not None)
    fixed += struct.pack("<I", 0x220) + b"\xee" * 16 + n.ustr("DC1") + n.ustr(domain) + n.ptr(dom_subs)
    fixed += b"\0" * 8 + struct.pack("<I", 0x210) + b"\0" * 28 + struct.pack("<I", len(extra))
    fixed += n.ptr(extra) + n.ptr(res) + struct.pack("<I", len(res[1]) if res else 0) + n.ptr(res)
    n.b += fixed
    for t in names:
        n.chars(t)
    if groups is not None:
        n.align()
        n.b += struct.pack("<I", len(groups)) + b"".join(struct.pack("<II", g, 7) for g in groups)
    n.chars("DC1")
    n.chars(domain)
    if dom_subs:
        n.sid(5, dom_subs)
    if extra:
        n.align()
        n.b += struct.pack("<I", len(extra)) + b"".join(n.ptr(e) + struct.pack("<I", 7) for e in extra)
        for e in extra:
            if e:
                n.sid(*e)
    if res:
        n.sid(5, res[0])
        n.align()
        n.b += struct.pack("<I", len(res[1])) + b"".join(struct.pack("<II", g, 7) for g in res[1])
    return n.done()


def pac_s4u(target, transited):
    n = Ndr()
    n.b += n.ustr(target) + struct.pack("<I", len(transited)) + n.ptr(True)
    n.chars(target)
    n.align()
    n.b += struct.pack("<I", len(transited)) + b"".join(n.ustr(t) for t in transited)
    for t in transited:
        n.chars(t)
    return n.done()


def pac_upn(upn, dns, sam=None, sid=None):
    ext = sam is not None
    hdr = 24 if ext else 16
    parts = [utf16(upn), utf16(dns)] + ([utf16(sam), sid_body(*sid)] if ext else [])
    offs, at = [], hdr
    for x in parts:
        offs.append(at)
        at = (at + len(x) + 7) & ~7
    h = struct.pack("<HHHHI", len(parts[0]), offs[0], len(parts[1]), offs[1], 3 if ext else 1)
    if ext:
        h += struct.pack("<HHHH", len(parts[2]), offs[2], len(parts[3]), offs[3])
    out = bytearray(h)
    for o, x in zip(offs, parts):
        out += b"\0" * (o - len(out)) + x
    return bytes(out)


def pac_assemble(bufs):
    at = 8 + 16 * len(bufs)
    head, body = struct.pack("<II", len(bufs), 0), b""
    for t, data in bufs:
        at = (at + 7) & ~7
        head += struct.pack("<IIQ", t, len(data), at)
        at += len(data)
    for t, data in bufs:
        body += b"\0" * (-(len(head) + len(body)) % 8) + data
    return head + body


def pac_seeds():
    dom = [21, 1111, 2222, 3333]
    logon = pac_logon("alice", "LAB", dom, [513, 512], [(18, [1]), None, (5, [21, 7, 8, 9, 1000])],
                      ([21, 4444, 5555, 6666], [600]))
    client = struct.pack("<QH", 0x01DA1B2C3D4E5F60, 10) + utf16("alice")
    upn = pac_upn("alice@lab.test", "LAB.TEST", "alice", (5, dom + [1104]))
    s4u = pac_s4u("cifs/fs.lab.test", ["http/web1.lab.test@LAB.TEST", "host/web2$@LAB.TEST"])
    sigs = [(6, struct.pack("<i", 16) + b"\xa0" * 12), (7, struct.pack("<i", -138) + b"\xa1" * 16),
            (16, struct.pack("<i", 16) + b"\xa2" * 12), (19, struct.pack("<i", 15) + b"\xa3" * 12)]
    full = [(1, logon), (10, client), (12, upn), (11, s4u), (17, struct.pack("<II", 2, 1)),
            (18, sid_body(5, dom + [1104])), (2, struct.pack("<IIQ", 0, 18, 0x1122334455667788)),
            (13, b"")] + sigs
    save("pac", pac_assemble(full))
    for one in full:
        save("pac", pac_assemble([one]))
    save("pac", pac_assemble([(12, pac_upn("bob@lab.test", "lab.test"))]))
    save("pac", pac_assemble([(1, pac_logon("\u00c9QUIPE\u5c71", "LAB", None, None, []))]))
    save("pac", pac_assemble([(1, pac_logon("x", "D", dom, list(range(2000, 2040)), []))]))
    save("pac", pac_assemble([(11, pac_s4u("cifs/x", ["s%d" % i for i in range(10)]))]))
    src = open(os.path.join(REPO, "tests", "unit", "check_pac.c")).read()
    m = re.search(r"static const char real_pac\[\] =\s*((?:\"[0-9a-f]*\"\s*)+);", src)
    save("pac", bytes.fromhex("".join(re.findall(r"\"([0-9a-f]*)\"", m.group(1)))))


def kpasswd_seeds():
    """kpasswd messages of samples/kpasswd.pcap (UDP payloads, TCP records
    without their marks), the KRB-ERROR of a framed error reply on its own (a
    bare error, as Windows sends) and a request turned into set-password."""
    path = os.path.join(SAMPLES, "kpasswd.pcap")
    msgs = []
    for line in tshark("-r", path, "-Y", "udp.port == 464", "-T", "fields", "-e", "udp.payload").splitlines():
        if line:
            msgs.append(bytes.fromhex(line.replace(":", "")))
    for cport, sport, chunks in tcp_streams(path):
        if sport != 464:
            continue
        for d in (0, 1):
            data = b"".join(c for dd, c in chunks if dd == d)
            i = 0
            while i + 4 <= len(data):
                n = struct.unpack_from(">I", data, i)[0] & 0x7FFFFFFF
                msgs.append(data[i + 4:i + 4 + n])
                i += 4 + n
    def tlv(tag, body):
        n = len(body)
        ln = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else bytes([0x82, n >> 8, n & 0xFF])
        return bytes([tag]) + ln + body

    def frame(ap, body):
        return struct.pack(">HHH", 6 + len(ap) + len(body), 1, len(ap)) + ap + body
    ap_rep = error = None
    for m in msgs:
        save("kpasswd", m)
        if len(m) > 6 and m[4:6] == b"\0\0":
            save("kpasswd", m[6:])
            error = m[6:]
        elif m[6:7] == b"\x6e":
            save("kpasswd", m[:2] + b"\xff\x80" + m[4:])
        elif m[6:7] == b"\x6f":
            ap_rep = m[6:6 + struct.unpack_from(">H", m, 4)[0]]
    # what MIT does not send: a KRB-PRIV with a kvno, an e-data too short for
    # a result, Active Directory's policy block in a bare KRB-ERROR
    enc = tlv(0xA0, bytes.fromhex("020112")) + tlv(0xA1, bytes.fromhex("020102")) + tlv(0xA2, tlv(0x04, bytes(8)))
    priv = tlv(0x75, tlv(0x30, bytes.fromhex("a003020105a103020115") + tlv(0xA3, tlv(0x30, enc))))
    save("kpasswd", frame(ap_rep, priv))
    fields = error[4:error.index(b"\xac")]  # the KRB-ERROR's fields up to e-data [12]
    save("kpasswd", frame(b"", tlv(0x7E, tlv(0x30, fields + tlv(0xAC, tlv(0x04, b"\x04"))))))
    policy = bytes.fromhex("0004" "0000" "00000007" "00000018" "00000001" "00002100f5598000" "000000c92a69c000")
    save("kpasswd", tlv(0x7E, tlv(0x30, fields + tlv(0xAC, tlv(0x04, policy)))))


# ---- smb: PDUs built field by field like tests/unit/smbfix.c (MS-SMB2 §2.2,
# MS-CIFS §2.2.4, MS-SMB §2.2.4), carrying SPNEGO-wrapped NTLMSSP; and two
# conversations for fuzz_flow on 445 and 139 (no sample captures SMB)

def der(tag, content):
    n = len(content)
    ln = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else bytes([0x82, n >> 8, n & 0xFF])
    return bytes([tag]) + ln + content


NTLM_OID = bytes.fromhex("2b06010401823702020a")


def spnego_init(mech_token=b""):
    body = der(0xA0, der(0x30, der(0x06, NTLM_OID)))
    if mech_token:
        body += der(0xA2, der(0x04, mech_token))
    return der(0x60, der(0x06, bytes.fromhex("2b0601050502")) + der(0xA0, der(0x30, body)))


def spnego_resp(state, token=b""):
    body = der(0xA0, b"\x0a\x01" + bytes([state]))
    if token:
        body += der(0xA2, der(0x04, token))
    return der(0xA1, der(0x30, body))


def ntlm_msgs(user="alice", domain="LAB"):
    neg = b"NTLMSSP\0" + struct.pack("<II", 1, 0xE0088297) + bytes(16)
    chal = (b"NTLMSSP\0" + struct.pack("<IHHII", 2, 6, 6, 48, 0xE0898215) + bytes(range(8)) + bytes(8) +
            struct.pack("<HHI", 0, 0, 54) + utf16(domain))
    fields = [bytes(24), bytes(24), utf16(domain), utf16(user), utf16("WS1"), b""]
    off, hdr = 64, b""
    for f in fields:
        hdr += struct.pack("<HHI", len(f), len(f), off)
        off += len(f)
    auth = b"NTLMSSP\0" + struct.pack("<I", 3) + hdr + struct.pack("<I", 0xE0888215) + b"".join(fields)
    return neg, chal, auth


def smb2(cmd, body, mid=0, sid=0, status=0, response=False, flags=0, tree=0):
    f = flags | (1 if response else 0)
    h = b"\xfeSMB" + struct.pack("<HHIHHIIQ", 64, 1, status, cmd, 1, f, 0, mid)
    h += struct.pack("<Q", tree) if f & 2 else struct.pack("<II", 0xFEFF, tree)
    return h + struct.pack("<Q", sid) + bytes(16) + body


def smb2_chain(*msgs):
    out = b""
    for i, m in enumerate(msgs):
        if i < len(msgs) - 1:
            m += bytes(-len(m) % 8)
            m = m[:20] + struct.pack("<I", len(m)) + m[24:]
        out += m
    return out


def smb1(cmd, words_bytes, status=0, flags=0, flags2=0xC801, uid=0, mid=0, tid=0):
    return (b"\xffSMB" + struct.pack("<BIBHH8sHHHHH", cmd, status, flags, flags2, 0, bytes(8), 0, tid, 0xFEFF,
                                       uid, mid) + words_bytes)


def smb_seeds():
    neg, chal, auth = ntlm_msgs()
    sid = 0x400000000011
    hint = spnego_init()
    neg_req = smb2(0, struct.pack("<HHHHI16sQ", 36, 5, 1, 0, 0x7F, bytes(16), 0) +
                   struct.pack("<5H", 0x202, 0x210, 0x300, 0x302, 0x311))
    neg_rsp = smb2(0, struct.pack("<HHHH16sIIIIQQHHI", 65, 3, 0x311, 0, bytes(16), 0x6F, 1 << 23, 1 << 23, 1 << 23,
                                  0, 0, 128, len(hint), 0) + hint, response=True)

    def ss_req(mid, tok, s=0):
        return smb2(1, struct.pack("<HBBIIHHQ", 25, 0, 1, 1, 0, 88, len(tok), 0) + tok, mid=mid, sid=s)

    def ss_rsp(mid, status, tok, flags=0):
        return smb2(1, struct.pack("<HHHH", 9, flags, 72, len(tok)) + tok, mid=mid, sid=sid, status=status,
                    response=True)
    share = utf16("\\\\fs1.lab.test\\share")
    tc_req = smb2(3, struct.pack("<HHHH", 9, 0, 72, len(share)) + share, mid=3, sid=sid)
    tc_rsp = smb2(3, struct.pack("<HBBIII", 16, 1, 0, 0, 0, 0x1F01FF), mid=3, sid=sid, response=True, tree=1)
    err = smb2(1, struct.pack("<HBBIB", 9, 0, 0, 0, 0), mid=2, sid=sid, status=0xC000006D, response=True)
    leg1 = ss_req(1, spnego_init(neg))
    leg1r = ss_rsp(1, 0xC0000016, spnego_resp(1, chal))
    leg2 = ss_req(2, spnego_resp(1, auth), sid)
    leg2r = ss_rsp(2, 0, spnego_resp(0))
    pend = smb2(1, struct.pack("<HBBIB", 9, 0, 0, 0, 0), mid=2, sid=sid, status=0x103, response=True, flags=2)
    enc = b"\xfdSMB" + bytes(32) + struct.pack("<IHHQ", 40, 0, 1, sid) + bytes(range(40))
    comp = b"\xfcSMB" + struct.pack("<IHHI", 64, 0, 0, 0) + neg_req
    pdus2 = [neg_req, neg_rsp, leg1, leg1r, leg2, leg2r, err, pend, tc_req, tc_rsp,
             smb2_chain(leg2r, tc_rsp), smb2_chain(tc_req, tc_req, tc_req), enc, comp]
    # SMB1: NEGOTIATE, extended security and plain SESSION_SETUP_ANDX, an AndX chain to TREE_CONNECT_ANDX
    dialects = b"\x02NT LM 0.12\0\x02SMB 2.002\0\x02SMB 2.???\0"
    n1_req = smb1(0x72, b"\0" + struct.pack("<H", len(dialects)) + dialects)
    blob = bytes(range(0xE0, 0xF0)) + hint
    n1_rsp = smb1(0x72, b"\x11" + struct.pack("<HBHHIIIIQHB", 0, 0x0F, 50, 1, 16644, 65536, 0, 0x8000F3FD, 0, 0, 0) +
                  struct.pack("<H", len(blob)) + blob, flags=0x80)
    tok = spnego_init(neg)
    ss1x = smb1(0x73, b"\x0c" + struct.pack("<BBHHHHIHII", 0xFF, 0, 0, 16644, 50, 0, 0, len(tok), 0, 0x8000D05C) +
                struct.pack("<H", len(tok)) + tok, mid=1)
    ss1x_rsp = smb1(0x73, b"\x04" + struct.pack("<BBHHH", 0xFF, 0, 0, 0, len(hint)) + struct.pack("<H", len(hint)) +
                    hint, status=0xC0000016, flags=0x80, uid=0x800, mid=1)
    pw = bytes(24) * 2
    names = b"\0" + utf16("alice\0LAB\0Unix\0Samba\0")  # one pad byte: the bytes start at 61 + 48
    ss1p = smb1(0x73, b"\x0d" + struct.pack("<BBHHHHIHHII", 0xFF, 0, 0, 16644, 50, 0, 0, 24, 24, 0, 0xD4) +
                struct.pack("<H", len(pw + names)) + pw + names, flags2=0xC001, mid=2)
    words = struct.pack("<BBHHHHIHHII", 0x75, 0, 0, 16644, 50, 0, 0, 1, 0, 0, 0xD4)
    data = b"\0" + b"bob\0LAB\0Unix\0Samba\0"
    first = b"\x0d" + words + struct.pack("<H", len(data)) + data
    path = b"\\\\FS1\\IPC$\0?????\0"
    tc1 = b"\x04" + struct.pack("<BBHHH", 0xFF, 0, 0, 0, 1) + struct.pack("<H", 1 + len(path)) + b"\0" + path
    first = first[:3] + struct.pack("<H", 32 + len(first)) + first[5:]
    chain = smb1(0x73, first + tc1, flags2=0x4001, mid=3)
    pdus1 = [n1_req, n1_rsp, ss1x, ss1x_rsp, ss1p, chain]
    for pdu in pdus2 + pdus1:
        save("smb", pdu)

    def nb(pdu, kind=0):
        return struct.pack(">I", kind << 24 | len(pdu)) + pdu
    client = [nb(neg_req), nb(leg1), nb(leg2), nb(tc_req)]
    server = [nb(neg_rsp), nb(leg1r), nb(leg2r), nb(tc_rsp)]
    save("flow", bytes([FLOW_PORTS[445]]) + SEP.join(x for pair in zip(client, server) for x in pair))
    # a named pipe on IPC$: CREATE lsarpc, an NTLMSSP bind over two WRITEs, its
    # bind_ack over two READs (STATUS_BUFFER_OVERFLOW), auth3, a call by transceive
    ipc = utf16("\\\\dc1\\IPC$")
    tc_ipc = smb2(3, struct.pack("<HHHH", 9, 0, 72, len(ipc)) + ipc, mid=4, sid=sid)
    tc_ipc_rsp = smb2(3, struct.pack("<HBBIII", 16, 2, 0, 0, 0, 0x1F01FF), mid=4, sid=sid, response=True, tree=5)
    name = utf16("lsarpc")
    fid = struct.pack("<QQ", 0x11, 0xFFFFFFFFFFFFFFEE)
    create = smb2(5, struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x12019F, 0, 3, 1, 0x40, 120, len(name), 0,
                                 0) + name, mid=5, sid=sid, tree=5)
    create_rsp = smb2(5, struct.pack("<HBBI", 89, 0, 0, 1) + bytes(48) + struct.pack("<II", 0x80, 0) + fid +
                      bytes(8), mid=5, sid=sid, response=True, tree=5)

    def write(mid, d):
        return smb2(9, struct.pack("<HHIQ", 49, 112, len(d), 0) + fid + bytes(16) + d, mid=mid, sid=sid, tree=5)

    def read(mid):
        return smb2(8, struct.pack("<HBBIQ", 49, 0, 0, 4280, 0) + fid + bytes(17), mid=mid, sid=sid, tree=5)

    def read_rsp(mid, d, status=0):
        return smb2(8, struct.pack("<HBBIII", 17, 80, 0, len(d), 0, 0) + d, mid=mid, sid=sid, status=status,
                    response=True, tree=5)
    bind = dce_pdu(11, 2, dce_bind_body(True, 1), True, 10, 6, neg)
    ack = dce_pdu(12, 2, dce_ack_body(True, [0]), True, 10, 6, chal)
    auth3 = dce_pdu(16, 2, b"\0" * 4, True, 10, 6, auth)
    call = dce_pdu(0, 3, struct.pack("<IHH", 8, 0, 0) + bytes(8), True)
    transceive = smb2(11, struct.pack("<HHI", 57, 0, 0x11C017) + fid +
                      struct.pack("<8I", 120, len(call), 0, 0, 0, 4280, 1, 0) + call, mid=11, sid=sid, tree=5)
    reply = dce_pdu(2, 3, struct.pack("<IHBB", 8, 0, 0, 0) + bytes(8), True)
    transceive_rsp = smb2(11, struct.pack("<HHI", 49, 0, 0x11C017) + fid +
                          struct.pack("<6I", 112, 0, 112, len(reply), 0, 0) + reply, mid=11, sid=sid, response=True,
                          tree=5)
    for pdu in (create, create_rsp, write(6, bind), read(8), read_rsp(8, ack), transceive, transceive_rsp):
        save("smb", pdu)
    # the same over SMB1: NT_CREATE_ANDX \samr, WRITE_ANDX, READ_ANDX, TRANSACTION TransactNmPipe
    sname = b"\0" + utf16("\\samr\0")
    nt_create = smb1(0xA2, b"\x18" + struct.pack("<BBHBHIIIQIIIIIB", 0xFF, 0, 0, 0, 10, 0, 0, 0x2019F, 0, 0, 3, 1,
                                                  0, 2, 0) + struct.pack("<H", len(sname)) + sname, mid=2, tid=9)
    nt_create_rsp = smb1(0xA2, b"\x22" + struct.pack("<BBHBHI", 0xFF, 0, 0, 0, 0x4000, 1) + bytes(52) +
                         struct.pack("<HHBH", 2, 0x5FF, 0, 0), flags=0x80, mid=2, tid=9)
    write_andx = smb1(0x2F, b"\x0c" + struct.pack("<BBHHIIHHHHH", 0xFF, 0, 0, 0x4000, 0, 0, 8, len(bind), 0,
                                                   len(bind), 59) + struct.pack("<H", len(bind)) + bind, mid=3, tid=9)
    read_andx_rsp = smb1(0x2E, b"\x0c" + struct.pack("<BBHHHHHH", 0xFF, 0, 0, 0xFFFF, 0, 0, len(ack), 59) +
                         bytes(10) + struct.pack("<H", len(ack)) + ack, flags=0x80, mid=4, tid=9)
    trans = smb1(0x25, b"\x10" + struct.pack("<HHHHBBHIHHHHHBBHH", 0, len(call), 0, 4280, 0, 0, 0, 0, 0, 0, 0,
                                              len(call), 82, 2, 0, 0x26, 0x4000) +
                 struct.pack("<H", 1 + 14 + len(call)) + b"\0" + utf16("\\PIPE\\\0") + call, mid=5, tid=9)
    for pdu in (nt_create, nt_create_rsp, write_andx, read_andx_rsp, trans):
        save("smb", pdu)
    client += [nb(tc_ipc), nb(create), nb(write(6, bind[:30])) + nb(write(7, bind[30:])) + nb(read(8)), nb(read(9)),
               nb(write(10, auth3)) + nb(transceive)]
    server += [nb(tc_ipc_rsp), nb(create_rsp), nb(read_rsp(8, ack[:50], 0x80000005)), nb(read_rsp(9, ack[50:])),
               nb(transceive_rsp)]
    save("flow", bytes([FLOW_PORTS[445]]) + SEP.join(x for pair in zip(client, server) for x in pair))
    called = b"\x20" + b"EOEGEFEMEMEBEMEBEDEBEDEBEDEBEDAA" + b"\0"
    session = b"\x81\0\0\x44" + called + called
    save("flow", bytes([FLOW_PORTS[139] | 0x10]) + SEP.join([session + b"\x85\0\0\0" + nb(n1_req), b"\x82\0\0\0" + nb(n1_rsp),
                                                               nb(chain), nb(ss1x_rsp)]))


# ---- dcerpc: connection-oriented PDUs (C706 12.6), built field by field like
# tests/unit/check_dcerpc.c, in both byte orders

DRSUAPI = (0xe3514235, 0x4b06, 0x11d1, bytes.fromhex("ab0400c04fc2dcd2"))


def dce_pdu(ptype, call_id, body, le, auth_type=0, level=0, cred=b""):
    e = "<" if le else ">"
    if auth_type:
        pad = (-(16 + len(body))) % 4
        body += b"\0" * pad + struct.pack(e + "BBBBI", auth_type, level, pad, 0, 0) + cred
    drep = bytes([0x10 if le else 0, 0, 0, 0])
    hdr = bytes([5, 0, ptype, 3]) + drep + struct.pack(e + "HHI", 16 + len(body), len(cred) if auth_type else 0,
                                                         call_id)
    return hdr + body


def dce_uuid(le, u):
    e = "<" if le else ">"
    return struct.pack(e + "IHH", u[0], u[1], u[2]) + u[3]


def dce_bind_body(le, n_ctx):
    e = "<" if le else ">"
    b = struct.pack(e + "HHI", 5840, 5840, 0) + bytes([n_ctx, 0, 0, 0])
    for i in range(n_ctx):
        b += struct.pack(e + "HBB", i, 1, 0) + dce_uuid(le, DRSUAPI) + struct.pack(e + "HH", 4, 0) + b"\0" * 20
    return b


def dce_ack_body(le, results):
    e = "<" if le else ">"
    b = struct.pack(e + "HHIH", 5840, 5840, 0x5678, 4) + b"135\0" + b"\0\0"
    b += bytes([len(results), 0, 0, 0])
    for r in results:
        b += struct.pack(e + "HH", r, 2 if r else 0) + b"\0" * 20
    return b


def dcerpc_seeds():
    neg, chal, auth = ntlm_msgs()
    for le in (True, False):
        e = "<" if le else ">"
        save("dcerpc", dce_pdu(11, 2, dce_bind_body(le, 2), le, 10, 5, neg))
        save("dcerpc", dce_pdu(11, 2, dce_bind_body(le, 1), le, 9, 6, spnego_init(neg)))
        save("dcerpc", dce_pdu(11, 3, dce_bind_body(le, 1), le))
        save("dcerpc", dce_pdu(12, 2, dce_ack_body(le, [2, 0, 3]), le, 10, 5, chal))
        save("dcerpc", dce_pdu(15, 2, dce_ack_body(le, [0]), le, 9, 6, spnego_resp(1, chal)))
        save("dcerpc", dce_pdu(14, 2, dce_bind_body(le, 1), le, 9, 6, spnego_resp(1, auth)))
        save("dcerpc", dce_pdu(16, 2, b"\0" * 4, le, 10, 5, auth))
        save("dcerpc", dce_pdu(13, 3, struct.pack(e + "H", 8) + bytes([1, 5, 0]), le))
        save("dcerpc", dce_pdu(3, 4, struct.pack(e + "IHBBI", 32, 0, 0, 0, 5) + b"\0" * 4, le))
        save("dcerpc", dce_pdu(0, 5, struct.pack(e + "IHH", 8, 0, 0) + b"\0" * 8, le))
        save("dcerpc", dce_pdu(2, 5, struct.pack(e + "IHBB", 8, 0, 0, 0) + b"\0" * 8, le))


# ---- ldap: LDAPMessages built element by element like tests/unit/ldapfix.c
# (RFC 4511 §4.2, §4.14; AD's sicily NTLM bind, MS-ADTS 5.1.1.1.3)

def ber_uint(tag, v):
    b = v.to_bytes(max(1, (v.bit_length() + 7) // 8), "big")
    if b[0] & 0x80:
        b = b"\0" + b
    return der(tag, b)


def ldap_msg(mid, op_tag, op):
    return der(0x30, ber_uint(0x02, mid) + der(op_tag, op))


def ldap_seeds():
    neg, chal, auth = ntlm_msgs()
    starttls = b"1.3.6.1.4.1.1466.20037"
    bind = ber_uint(0x02, 3)
    ad_diag = b"80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 52e, v3839"
    result = lambda code, diag=b"", dn=b"": ber_uint(0x0A, code) + der(0x04, dn) + der(0x04, diag)
    msgs = [
        ldap_msg(1, 0x60, bind + der(0x04, b"cn=admin,dc=lab,dc=test") + der(0x80, b"not-a-real-password")),
        ldap_msg(2, 0x60, bind + der(0x04, b"") + der(0xA3, der(0x04, b"GSS-SPNEGO") + der(0x04, spnego_init(neg)))),
        ldap_msg(2, 0x61, result(14) + der(0x87, spnego_resp(1, chal))),
        ldap_msg(3, 0x60, bind + der(0x04, b"") + der(0xA3, der(0x04, b"GSS-SPNEGO") + der(0x04, spnego_resp(1, auth)))),
        ldap_msg(3, 0x61, result(49, ad_diag)),
        ldap_msg(4, 0x60, bind + der(0x04, b"") + der(0xA3, der(0x04, b"EXTERNAL"))),
        ldap_msg(5, 0x60, bind + der(0x04, b"alice") + der(0x8A, neg)),
        ldap_msg(5, 0x61, result(0, dn=chal)),
        ldap_msg(6, 0x77, der(0x80, starttls)),
        ldap_msg(6, 0x78, result(0) + der(0x8A, starttls)),
        ldap_msg(7, 0x63, der(0x04, b"dc=lab,dc=test") + ber_uint(0x0A, 2)),
        ldap_msg(0x1234567, 0x42, b""),
        bytes.fromhex("3080020101420000000000"),
        bytes.fromhex("3084000000070201016100"),
    ]
    for m in msgs:
        save("ldap", m)


# ---- tds: message payloads built like tests/unit/check_tds.c (MS-TDS
# §2.2.6.5 PRELOGIN, §2.2.6.4 LOGIN7, §2.2.7 tokens), and whole packets

def tds_packet(typ, data, status=1):
    return struct.pack(">BBHHBB", typ, status, 8 + len(data), 0, 1, 0) + data


def tds_prelogin(enc):
    opts = [(0, bytes.fromhex("0f0007d00000")), (1, bytes([enc])), (2, b"\0"), (3, bytes(4)), (4, b"\0")]
    off, table, body = 5 * len(opts) + 1, b"", b""
    for tok, val in opts:
        table += struct.pack(">BHH", tok, off + len(body), len(val))
        body += val
    return table + b"\xff" + body


def tds_login7(user, server, sspi=b"", integrated=True, long_sspi=False):
    fixed = bytearray(94)
    struct.pack_into("<IIIIII", fixed, 4, 0x74000004, 4096, 0x07000000, 1234, 0, 0)
    fixed[24], fixed[25] = 0xE0, 0x83 if integrated else 0x03
    struct.pack_into("<I", fixed, 32, 0x409)
    strings = ["WS01", user, "x", "sqlcmd", server, None, "ODBC", "", "master"]
    var = b""
    for i, st in enumerate(strings):
        if st is None:
            continue
        struct.pack_into("<HH", fixed, 36 + 4 * i, 94 + len(var), len(st))
        # the password as a client hides it: each byte's nibbles swapped, xor 0xA5
        var += utf16(st) if i != 2 else bytes(x for c in st for x in ((((ord(c) << 4) | (ord(c) >> 4)) & 0xFF) ^ 0xA5, 0xA5))
    if sspi:
        struct.pack_into("<HH", fixed, 78, 94 + len(var), 0xFFFF if long_sspi else len(sspi))
        if long_sspi:
            struct.pack_into("<I", fixed, 90, len(sspi))
        var += sspi
    struct.pack_into("<I", fixed, 0, 94 + len(var))
    return bytes(fixed) + var


def tds_error(number, state, cls, text, token=0xAA):
    body = struct.pack("<IBBH", number, state, cls, len(text)) + utf16(text) + b"\x03" + utf16("SQL") + b"\0" + struct.pack("<I", 1)
    return bytes([token]) + struct.pack("<H", len(body)) + body


def tds_seeds():
    neg, chal, auth = ntlm_msgs()
    done = b"\xfd" + struct.pack("<HHQ", 2, 0, 0)
    loginack = b"\xad" + struct.pack("<H", 30) + b"\x01" + bytes.fromhex("74000004") + b"\x0a" + utf16("SQL Server") + bytes(4)
    env = b"\xe3" + struct.pack("<H", 26) + b"\x01\x06" + utf16("master") + b"\x06" + utf16("master")
    msgs = [
        tds_prelogin(0), tds_prelogin(2),
        tds_login7("", "sql.ad.lab.test", spnego_init(neg)),
        tds_login7("", "sql.ad.lab.test", spnego_init(neg), long_sspi=True),
        tds_login7("sa", "sql1", integrated=False),
        b"\xed" + struct.pack("<H", len(spnego_resp(1, chal))) + spnego_resp(1, chal),
        tds_error(18456, 8, 14, "Login failed for user 'NT AUTHORITY\\ANONYMOUS LOGON'.") + done,
        env + tds_error(5701, 2, 0, "Changed database context to 'master'.", 0xAB) + loginack + done,
        b"\x81\x01\x00" + loginack,
        bytes.fromhex("160301002a") + bytes(42),
    ]
    for m in msgs:
        save("tds", m)
    save("tds", tds_packet(0x12, tds_prelogin(0)))
    save("tds", tds_packet(0x10, tds_login7("", "sql1", neg)))
    save("tds", tds_packet(0x04, tds_error(18456, 5, 14, "Login failed.") + done))
    save("tds", tds_packet(0x11, auth))
    save("tds", tds_packet(0x11, b"", status=1))


def main():
    if sys.argv[1:] == ["pac"]:
        shutil.rmtree(os.path.join(CORPUS, "pac"), ignore_errors=True)
        pac_seeds()
        print("pac      %3d seeds" % len(seen["pac"]))
        return 0
    if sys.argv[1:] == ["kpasswd"]:
        shutil.rmtree(os.path.join(CORPUS, "kpasswd"), ignore_errors=True)
        kpasswd_seeds()
        print("kpasswd  %3d seeds" % len(seen["kpasswd"]))
        return 0
    if sys.argv[1:] == ["ldap"]:
        shutil.rmtree(os.path.join(CORPUS, "ldap"), ignore_errors=True)
        ldap_seeds()
        print("ldap     %3d seeds" % len(seen["ldap"]))
        return 0
    if sys.argv[1:] == ["tds"]:
        shutil.rmtree(os.path.join(CORPUS, "tds"), ignore_errors=True)
        tds_seeds()
        print("tds      %3d seeds" % len(seen["tds"]))
        return 0
    if sys.argv[1:] == ["smb"]:
        shutil.rmtree(os.path.join(CORPUS, "smb"), ignore_errors=True)
        smb_seeds()
        print("smb      %3d seeds, flow %d" % (len(seen["smb"]), len(seen["flow"])))
        return 0
    if sys.argv[1:] == ["dcerpc"]:
        shutil.rmtree(os.path.join(CORPUS, "dcerpc"), ignore_errors=True)
        dcerpc_seeds()
        print("dcerpc   %3d seeds" % len(seen["dcerpc"]))
        return 0
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    samples = sorted(glob.glob(os.path.join(SAMPLES, "*.pcap")))
    flows_wanted = {"kerberos-tcp.pcap": 88, "web-healthy-401first.pcap": 80,
                    "web-ntlm-plain.pcap": 80, "samba-login.pcap": 88}
    for path in samples:
        name = os.path.basename(path)
        # UDP: Kerberos and DNS messages (reassembled by tshark)
        for line in tshark("-r", path, "-Y", "udp && !(ip.flags.mf == 1) && !(ip.frag_offset > 0)",
                           "-T", "fields", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.payload").splitlines():
            f = line.split("\t")
            if len(f) < 3 or not f[2]:
                continue
            sp, dp, pl = int(f[0]), int(f[1]), bytes.fromhex(f[2].replace(":", ""))
            if 88 in (sp, dp):
                save("krb5", pl)
                save("der", pl, limit=40)
            if 53 in (sp, dp):
                save("dns", pl)
        # TCP streams
        for cport, sport, chunks in tcp_streams(path):
            if sport == 464:
                continue  # kpasswd_seeds()
            if sport == 88:
                for d in (0, 1):
                    data = b"".join(c for dd, c in chunks if dd == d)
                    i = 0
                    while i + 4 <= len(data):
                        n = struct.unpack_from(">I", data, i)[0] & 0x7FFFFFFF
                        save("krb5", data[i + 4:i + 4 + n])
                        i += 4 + n
            else:
                for d in (0, 1):
                    data = b"".join(c for dd, c in chunks if dd == d)
                    for head in http_heads(data):
                        save("http1", head)
                        for t in tokens(head):
                            token_seeds(t)
            if flows_wanted.get(name) == sport:
                save("flow", flow_input(sport, chunks))
                flows_wanted.pop(name)
    # net: a few raw Ethernet frames (first byte 0 = DLT_EN10MB in fuzz_net),
    # the same as raw IP (2 = DLT_RAW), Linux SLL (5) and BSD loopback (1)
    picks = {"kerberos-udp.pcap": [0, 1], "kerberos-tcp.pcap": [0, 3], "kerberos-ipv6.pcap": [0],
             "kerberos-kdc-unreachable.pcap": None, "kerberos-udp-fragmented.pcap": [0, 1, 2]}
    for name, idx in picks.items():
        frames = list(pcap_frames(os.path.join(SAMPLES, name)))
        if idx is None:  # the ICMP unreachable frames
            idx = [i for i, fr in enumerate(frames) if len(fr) > 23 and fr[12:14] == b"\x08\x00" and fr[23] == 1][:1]
        for i in idx:
            fr = frames[i]
            save("net", b"\x00" + fr)
            ip = fr[14:]
            save("net", b"\x02" + ip)
            save("net", b"\x05" + struct.pack(">HHH8sH", 0, 1, 6, fr[6:12] + b"\0\0", struct.unpack(">H", fr[12:14])[0]) + ip)
            fam = 2 if ip[0] >> 4 == 4 else 10
            save("net", b"\x01" + struct.pack("<I", fam) + ip)
    # tunnels around the first Kerberos UDP frame: GRE (proto 47) and VXLAN (UDP 4789)
    fr = next(pcap_frames(os.path.join(SAMPLES, "kerberos-udp.pcap")))
    inner_ip = fr[14:]

    def ipv4(proto, payload):
        h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                        bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))
        return h + payload
    save("net", b"\x02" + ipv4(47, b"\x00\x00\x08\x00" + inner_ip))
    vx = struct.pack(">HHHH", 40000, 4789, 8 + 8 + len(fr), 0) + b"\x08\x00\x00\x00\x00\x00\x01\x00" + fr
    save("net", b"\x02" + ipv4(17, vx))
    save("net", b"\x02" + ipv4(4, inner_ip))
    # issue 17: VXLAN on 8472, Geneve (6081) with an option word, MPLS (with and
    # without a pseudowire control word), PPPoE, and the PPP link types
    # (fuzz_net's dlts[]: 11 PPP, 12 PPP_SERIAL, 13 PPP_ETHER, 14 C_HDLC, 15 MPLS)
    vx = struct.pack(">HHHH", 40000, 8472, 8 + 8 + len(fr), 0) + b"\x08\x00\x00\x00\x00\x00\x01\x00" + fr
    save("net", b"\x02" + ipv4(17, vx))
    gn = b"\x01\x00\x65\x58\x00\x00\x01\x00" + b"\x01\x02\x03\x04" + fr
    save("net", b"\x02" + ipv4(17, struct.pack(">HHHH", 40000, 6081, 8 + len(gn), 0) + gn))
    macs = fr[:12]
    save("net", b"\x00" + macs + b"\x88\x47\x00\x01\x00\x40\x00\x01\x11\x40" + inner_ip)
    save("net", b"\x00" + macs + b"\x88\x47\x00\x01\x01\x40\x00\x00\x00\x00" + fr)
    save("net", b"\x00" + macs + b"\x88\x64" + struct.pack(">BBHH", 0x11, 0, 1, 2 + len(inner_ip)) + b"\x00\x21" + inner_ip)
    save("net", b"\x0b\xff\x03\x00\x21" + inner_ip)
    save("net", b"\x0c\x0f\x00\x08\x00" + inner_ip)
    save("net", b"\x0d" + struct.pack(">BBHH", 0x11, 0, 1, 1 + len(inner_ip)) + b"\x21" + inner_ip)
    save("net", b"\x0e\x0f\x00\x86\xdd" + inner_ip)
    save("net", b"\x0f\x00\x01\x01\x40" + inner_ip)
    # tls: OpenSSL ClientHellos from tests/unit/check_tls.c
    src = open(os.path.join(REPO, "tests", "unit", "check_tls.c")).read()
    for var in ("ossl_tls13", "ossl_tls12"):
        m = re.search(r"static const char %s\[\] =\s*((?:\"[0-9a-f]*\"\s*)+);" % var, src)
        hello = bytes.fromhex("".join(re.findall(r"\"([0-9a-f]*)\"", m.group(1))))
        save("tls", hello)
        save("flow", bytes([FLOW_PORTS[443]]) + hello + SEP + b"\x16\x03\x03\x00\x04\x02\x00\x00\x00")
    r32 = "00" * 32
    save("tls", bytes.fromhex("160301003b01000037 0303" .replace(" ", "") + r32 + "00000213010100" + "000c" + "00000008000600000361 2e62".replace(" ", "")))
    # DNS over TCP: the first DNS response with its length, as a conversation
    dns = sorted(os.listdir(os.path.join(CORPUS, "dns")))
    if dns:
        msgs = [open(os.path.join(CORPUS, "dns", x), "rb").read() for x in dns[:2]]
        q = [m for m in msgs if not m[2] & 0x80] or msgs[:1]
        r = [m for m in msgs if m[2] & 0x80] or msgs[:1]
        save("flow", bytes([FLOW_PORTS[53]]) + struct.pack(">H", len(q[0])) + q[0] + SEP + struct.pack(">H", len(r[0])) + r[0])
    # http1: a chunked response, so the skipper has a seed
    save("http1", b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n")
    save("http1", b"CONNECT web.lab.test:443 HTTP/1.1\r\nHost: web.lab.test:443\r\n"
                  b"Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n")
    # der: a few forms the Kerberos messages do not show
    for hexs in ("3080020101 0000", "1f8101 01 00", "0603 2a8648", "0305 00 80000000", "a0 84 00000003 020100"):
        save("der", bytes.fromhex(hexs.replace(" ", "")))
    pac_seeds()
    kpasswd_seeds()
    smb_seeds()
    dcerpc_seeds()
    ldap_seeds()
    tds_seeds()
    # pcap: the smallest samples, and one of them as pcapng
    small = sorted(samples, key=os.path.getsize)[:4]
    for p in small:
        save("pcap", open(p, "rb").read())
    ng = os.path.join(CORPUS, "pcap", "tmp.pcapng")
    subprocess.run(["editcap", "-F", "pcapng", small[0], ng], check=True, capture_output=True)
    data = open(ng, "rb").read()
    os.unlink(ng)
    save("pcap", data)
    for t in sorted(seen):
        print("%-8s %3d seeds" % (t, len(seen[t])))


if __name__ == "__main__":
    sys.exit(main())
