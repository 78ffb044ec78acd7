#!/usr/bin/env python3
"""Write a large, deterministic mixed capture for the krbflow benchmark.

Bulk traffic: HTTP downloads and uploads on many connections and ports
(keep-alive, Content-Length and chunked bodies, 100-continue), TLS on 443,
SSH and database-like binary streams, DNS, syslog and RTP-like UDP; IPv4
and some IPv6; and SMB2 bulk on TCP 445 and NetBIOS 139 (--smb-share of the
sessions, 3% by default): NEGOTIATE, NTLM in two SESSION_SETUP round trips,
TREE_CONNECT, CREATE, pipelined READs and WRITEs of 64 KiB-1 MiB.
Authentication: the bundled samples' exchanges (Kerberos, Negotiate, NTLM)
replayed with rewritten addresses and client ports, spread over the capture
so that about --auth-share of the packets are theirs.

The same arguments give the same bytes (one seeded generator, no clock).
A manifest (OUT.manifest.json) lists the replayed samples and the SMB
sessions, with the frame of each NTLM message they carry, for the tests.

  bench/gen_capture.py --size 100M -o mixed-100M.pcap
  bench/gen_capture.py --size 1G --bulk-only -o bulk-1G.pcap     # no replays, no SMB
  bench/gen_capture.py --size 1G --smb-bulk -o smb-1G.pcap       # mostly SMB2, no replays
"""
import argparse
import array
import glob
import ipaddress
import json
import os
import random
import struct
import sys

MSS = 1448
LINKTYPE_ETHERNET = 1
MAC_C = bytes.fromhex("020000000001")
MAC_S = bytes.fromhex("020000000002")
SERVER_PORTS_HTTP = [80] * 5 + [8080] * 2 + [8000]
LITTLE = sys.byteorder == "little"


def parse_size(text):
    units = {"K": 10**3, "M": 10**6, "G": 10**9}
    text = text.strip().upper().rstrip("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


# ---- checksums (RFC 1071); the sum is byte-order independent up to a swap

def csum_add(data, acc=0):
    if len(data) & 1:
        data = bytes(data) + b"\0"
    acc += sum(array.array("H", bytes(data)))
    return acc


def csum_fold(acc):
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    acc = ~acc & 0xFFFF
    if LITTLE:
        acc = ((acc & 0xFF) << 8) | (acc >> 8)
    return acc


def ipv4_header(src, dst, proto, payload_len, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident & 0xFFFF, 0x4000, 64, proto, 0,
                    src, dst)
    c = csum_fold(csum_add(h))
    return h[:10] + struct.pack("!H", c) + h[12:]


def ipv6_header(src, dst, proto, payload_len):
    return struct.pack("!IHBB16s16s", 0x60000000, payload_len, proto, 64, src, dst)


def l4_checksum(src, dst, proto, l4_header, payload):
    length = len(l4_header) + len(payload)
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, length)
    else:
        pseudo = src + dst + struct.pack("!IxxxB", length, proto)
    acc = csum_add(pseudo)
    acc = csum_add(l4_header, acc)
    acc = csum_add(payload, acc)
    c = csum_fold(acc)
    return c if c or proto == 6 else 0xFFFF


# ---- endpoints and frames ---------------------------------------------------

class Path:
    """Addresses and ports of one conversation, client first."""

    def __init__(self, caddr, saddr, cport, sport):
        self.caddr, self.saddr, self.cport, self.sport = caddr, saddr, cport, sport
        self.v6 = len(caddr) == 16
        self.ident = 0

    def frame(self, from_client, proto, l4_header_fn, payload):
        src, dst = (self.caddr, self.saddr) if from_client else (self.saddr, self.caddr)
        sp, dp = (self.cport, self.sport) if from_client else (self.sport, self.cport)
        l4h = l4_header_fn(sp, dp, 0)
        c = l4_checksum(src, dst, proto, l4h, payload)
        l4h = l4_header_fn(sp, dp, c)
        n = len(l4h) + len(payload)
        if self.v6:
            ip = ipv6_header(src, dst, proto, n)
            eth = (MAC_C if from_client else MAC_S) + (MAC_S if from_client else MAC_C) + b"\x86\xdd"
        else:
            self.ident += 1
            ip = ipv4_header(src, dst, proto, n, self.ident)
            eth = (MAC_C if from_client else MAC_S) + (MAC_S if from_client else MAC_C) + b"\x08\x00"
        return (eth + ip + l4h, payload)


class Tcp:
    """One TCP connection's packets: handshake, data with ACKs, close."""

    def __init__(self, rng, path):
        self.rng, self.p = rng, path
        self.seq = [rng.getrandbits(32), rng.getrandbits(32)]  # next seq of client, server
        self.unacked = [0, 0]

    def _pkt(self, from_client, flags, payload=b""):
        i = 0 if from_client else 1
        seq, ack = self.seq[i], self.seq[1 - i]

        def hdr(sp, dp, c):
            return struct.pack("!HHIIBBHHH", sp, dp, seq, ack if flags & 0x10 else 0, 0x50, flags, 64240, c, 0)

        f = self.p.frame(from_client, 6, hdr, payload)
        self.seq[i] = (self.seq[i] + len(payload) + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF
        return f

    def open(self):
        yield self._pkt(True, 0x02)
        yield self._pkt(False, 0x12)
        yield self._pkt(True, 0x10)

    def send(self, from_client, pieces, marks=None):
        """Segments of the byte stream made of pieces; the receiver ACKs every second one.
        marks: (end, tag) pairs in ascending order of end, a byte count from the start of
        this call; the data segment that carries byte end - 1 comes as (head, payload, [tag,
        ...]) instead of (head, payload), so that the caller learns its frame number."""
        buf = b""
        i = 0 if from_client else 1
        pos, mi = 0, 0
        for piece in pieces:
            mv = memoryview(piece)
            while len(mv):
                if buf:
                    take = min(MSS - len(buf), len(mv))
                    buf += bytes(mv[:take])
                    mv = mv[take:]
                    if len(buf) < MSS:
                        continue
                    seg, buf = buf, b""
                elif len(mv) >= MSS:
                    seg, mv = mv[:MSS], mv[MSS:]
                else:
                    buf = bytes(mv)
                    break
                tags = None
                if marks:
                    pos += len(seg)
                    while mi < len(marks) and marks[mi][0] <= pos:
                        tags = (tags or []) + [marks[mi][1]]
                        mi += 1
                yield from self._segment(from_client, i, seg, tags)
        if buf:
            tags = [m[1] for m in marks[mi:]] if marks and mi < len(marks) else None
            yield from self._segment(from_client, i, buf, tags)
        if self.unacked[i]:
            self.unacked[i] = 0
            yield self._pkt(not from_client, 0x10)

    def _segment(self, from_client, i, seg, tags=None):
        f = self._pkt(from_client, 0x18, seg)
        yield f if tags is None else f + (tags,)
        self.unacked[i] += 1
        if self.unacked[i] == 2:
            self.unacked[i] = 0
            yield self._pkt(not from_client, 0x10)

    def close(self):
        yield self._pkt(True, 0x11)
        yield self._pkt(False, 0x11)
        yield self._pkt(True, 0x10)


def udp_frame(path, from_client, payload):
    def hdr(sp, dp, c):
        return struct.pack("!HHHH", sp, dp, 8 + len(payload), c)
    return path.frame(from_client, 17, hdr, payload)


# ---- bulk sessions ----------------------------------------------------------

class Bulk:
    def __init__(self, rng):
        self.rng = rng
        self.pool = rng.randbytes(1 << 24)  # body bytes are slices of this
        self.next_client = 0
        self.next_port = 0
        self.dns_answers = 0  # DNS responses written (krbflow records each)
        self.smb_share = 0.0  # share of the sessions that are SMB2 bulk (none: the same draws as before SMB)
        self.smb = Smb(self)

    def body(self, n):
        off = self.rng.randrange(0, len(self.pool) - n) if n < len(self.pool) else 0
        return memoryview(self.pool)[off:off + min(n, len(self.pool))]

    def path(self, sport, v6_share=0.1):
        self.next_client += 1
        self.next_port += 1
        n = self.next_client
        cport = 32768 + (self.next_port * 7) % 28000
        if self.rng.random() < v6_share:
            ca = bytes.fromhex("fd0000000000000a") + struct.pack("!Q", 0x1000 + n % 4000)
            sa = bytes.fromhex("fd0000000000000b") + struct.pack("!Q", 1 + n % 37)
        else:
            ca = bytes([10, 1 + (n >> 16) % 200, (n >> 8) & 0xFF, 1 + n % 250])
            sa = bytes([192, 168, 10 + n % 5, 1 + n % 37])
        return Path(ca, sa, cport, sport)

    def size(self, lo_bits, hi_bits):
        return int(2 ** self.rng.uniform(lo_bits, hi_bits))

    def http_port(self):
        r = self.rng.random()
        return self.rng.choice(SERVER_PORTS_HTTP) if r < 0.8 else self.rng.randrange(10000, 30000)

    def chunked(self, n):
        pieces = []
        while n > 0:
            c = min(n, self.rng.choice([1024, 4096, 8192, 16000, 32768]))
            pieces += [b"%x\r\n" % c, self.body(c), b"\r\n"]
            n -= c
        pieces.append(b"0\r\n\r\n")
        return pieces

    def session(self):
        r = self.rng.random()
        if self.smb_share:
            if r < self.smb_share:
                return self.smb.session()
            r = (r - self.smb_share) / (1 - self.smb_share)
        if r < 0.45:
            return self.http_download()
        if r < 0.60:
            return self.http_upload()
        if r < 0.80:
            return self.tls()
        if r < 0.90:
            return self.tcp_other()
        return self.udp_other()

    def http_download(self):
        port = self.http_port()
        t = Tcp(self.rng, self.path(port))
        yield from t.open()
        host = b"files%d.bench.test" % self.rng.randrange(50)
        for k in range(self.rng.randrange(1, 7)):
            req = (b"GET /data/obj%d.bin HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: bench/1.0\r\n"
                   b"Accept: */*\r\nConnection: keep-alive\r\n\r\n" % (self.rng.randrange(1 << 20), host, port))
            yield from t.send(True, [req])
            n = self.size(11, 23)
            if self.rng.random() < 0.7:
                head = (b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 22 Nov 2026 10:00:00 GMT\r\n"
                        b"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n"
                        b"ETag: \"%x\"\r\nConnection: keep-alive\r\n\r\n" % (n, self.rng.getrandbits(48)))
                yield from t.send(False, [head, self.body(n)])
            else:
                head = (b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/plain\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n")
                yield from t.send(False, [head] + self.chunked(n))
        yield from t.close()

    def http_upload(self):
        port = self.http_port()
        t = Tcp(self.rng, self.path(port))
        yield from t.open()
        for k in range(self.rng.randrange(1, 4)):
            n = self.size(11, 21)
            uri = b"/upload/part%d" % self.rng.randrange(1 << 20)
            if self.rng.random() < 0.25:
                head = (b"PUT %s HTTP/1.1\r\nHost: up.bench.test\r\nContent-Length: %d\r\n"
                        b"Expect: 100-continue\r\n\r\n" % (uri, n))
                yield from t.send(True, [head])
                yield from t.send(False, [b"HTTP/1.1 100 Continue\r\n\r\n"])
                yield from t.send(True, [self.body(n)])
            elif self.rng.random() < 0.5:
                head = b"POST %s HTTP/1.1\r\nHost: up.bench.test\r\nContent-Length: %d\r\n\r\n" % (uri, n)
                yield from t.send(True, [head, self.body(n)])
            else:
                head = b"POST %s HTTP/1.1\r\nHost: up.bench.test\r\nTransfer-Encoding: chunked\r\n\r\n" % uri
                yield from t.send(True, [head] + self.chunked(n))
            yield from t.send(False, [b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"])
        yield from t.close()

    def tls(self):
        t = Tcp(self.rng, self.path(443))
        yield from t.open()
        sni = b"cdn%d.bench.test" % self.rng.randrange(100)
        ext = struct.pack("!HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
        body = (b"\x03\x03" + self.rng.randbytes(32) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
                + struct.pack("!H", len(ext)) + ext)
        hello = b"\x01" + struct.pack("!I", len(body))[1:] + body
        yield from t.send(True, [b"\x16\x03\x01" + struct.pack("!H", len(hello)) + hello])
        yield from t.send(False, [b"\x16\x03\x03\x00\x7a" + bytes(self.body(0x7a)),
                                  b"\x17\x03\x03\x04\x00" + bytes(self.body(0x400))])
        for k in range(self.rng.randrange(1, 5)):
            yield from t.send(True, [b"\x17\x03\x03\x01\x00", self.body(0x100)])
            n = self.size(12, 22)
            recs = []
            while n > 0:
                c = min(n, 16384)
                recs += [b"\x17\x03\x03" + struct.pack("!H", c), self.body(c)]
                n -= c
            yield from t.send(False, recs)
        yield from t.close()

    def tcp_other(self):
        ssh = self.rng.random() < 0.5
        t = Tcp(self.rng, self.path(22 if ssh else 5432))
        yield from t.open()
        if ssh:
            yield from t.send(False, [b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"])
            yield from t.send(True, [b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"])
        for k in range(self.rng.randrange(2, 20)):
            yield from t.send(True, [self.body(self.size(6, 10))])
            yield from t.send(False, [self.body(self.size(8, 19))])
        yield from t.close()

    def udp_other(self):
        r = self.rng.random()
        if r < 0.5:  # DNS lookups of the bulk servers
            p = self.path(53)
            for k in range(self.rng.randrange(1, 4)):
                qid = self.rng.getrandbits(16)
                name = b"".join(bytes([len(x)]) + x for x in
                                [b"files%d" % self.rng.randrange(50), b"bench", b"test"]) + b"\0"
                q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + name + b"\x00\x01\x00\x01"
                a = (struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + name + b"\x00\x01\x00\x01"
                     + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04" + bytes([192, 168, 10, 1 + k]))
                yield udp_frame(p, True, q)
                self.dns_answers += 1
                yield udp_frame(p, False, a)
        elif r < 0.7:  # syslog
            p = self.path(514)
            for k in range(self.rng.randrange(5, 40)):
                yield udp_frame(p, True, b"<30>Nov 22 10:00:00 host%d app[%d]: request served in %d ms" % (
                    self.rng.randrange(99), self.rng.randrange(1 << 15), self.rng.randrange(1000)))
        else:  # RTP-like media
            p = self.path(self.rng.randrange(16384, 32767) & ~1)
            for k in range(self.rng.randrange(50, 300)):
                yield udp_frame(p, k % 2 == 0, struct.pack("!BBHI", 0x80, 0, k, k * 160) + bytes(self.body(164)))


# ---- SMB2 bulk over direct TCP (445) and NetBIOS sessions (139) ---------------
# Structures per MS-SMB2 §2.2 (64-byte header, each body's StructureSize, offsets
# from the start of its SMB2 header), the SMB1 multi-protocol NEGOTIATE of MS-CIFS
# §2.2.4.52, NTLMSSP per MS-NLMP §2.2, SPNEGO per RFC 4178, NetBIOS per RFC 1002.

SMB2_NEGOTIATE, SMB2_SESSION_SETUP, SMB2_LOGOFF, SMB2_TREE_CONNECT, SMB2_TREE_DISCONNECT = 0, 1, 2, 3, 4
SMB2_CREATE, SMB2_CLOSE, SMB2_READ, SMB2_WRITE, SMB2_QUERY_INFO = 5, 6, 8, 9, 0x10
SERVER_TO_REDIR, RELATED_OPERATIONS, SIGNED = 0x1, 0x4, 0x8
STATUS_MORE_PROCESSING_REQUIRED = 0xC0000016
FILETIME_T0 = (1795000000 + 11644473600) * 10**7   # the capture's first second as a FILETIME
OID_SPNEGO = bytes.fromhex("2b0601050502")            # 1.3.6.1.5.5.2
OID_NTLMSSP = bytes.fromhex("2b06010401823702020a")   # 1.3.6.1.4.1.311.2.2.10
OID_MS_KRB5 = bytes.fromhex("2a864882f712010202")     # 1.2.840.48018.1.2.2
OID_KRB5 = bytes.fromhex("2a864886f712010202")        # 1.2.840.113554.1.2.2
NTLM_NEGOTIATE_FLAGS = 0xE2088297     # unicode, oem, request-target, sign, lm-key, ntlm, always-sign,
NTLM_CHALLENGE_FLAGS = 0xE2898215     # extended-session-security, (target-info,) version, 128,
NTLM_AUTHENTICATE_FLAGS = 0xE2888215  # key-exch, 56
NTLM_CLIENT_VERSION = struct.pack("<BBH3xB", 10, 0, 19045, 15)
NTLM_SERVER_VERSION = struct.pack("<BBH3xB", 10, 0, 20348, 15)
SMB_DOMAIN, SMB_DNS_DOMAIN = "BENCH", "bench.test"


def der(tag, *parts):
    body = b"".join(parts)
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    if n < 0x100:
        return bytes([tag, 0x81, n]) + body
    return bytes([tag, 0x82]) + struct.pack("!H", n) + body


def spnego_init(mechs, token=None, hint=False):
    """negTokenInit (client: mechTypes and mechToken) or the server's negTokenInit2
    hint in a NEGOTIATE response (mechTypes and negHints)."""
    fields = [der(0xA0, der(0x30, *[der(0x06, m) for m in mechs]))]
    if token is not None:
        fields.append(der(0xA2, der(0x04, token)))
    if hint:
        fields.append(der(0xA3, der(0x30, der(0xA0, der(0x1B, b"not_defined_in_RFC4178@please_ignore")))))
    return der(0x60, der(0x06, OID_SPNEGO), der(0xA0, der(0x30, *fields)))


def spnego_resp(state=None, mech=None, token=None, mic=None):
    fields = []
    if state is not None:
        fields.append(der(0xA0, der(0x0A, bytes([state]))))
    if mech is not None:
        fields.append(der(0xA1, der(0x06, mech)))
    if token is not None:
        fields.append(der(0xA2, der(0x04, token)))
    if mic is not None:
        fields.append(der(0xA3, der(0x04, mic)))
    return der(0xA1, der(0x30, *fields))


def utf16(text):
    return text.encode("utf-16-le")


def av_pair(av_id, value):
    return struct.pack("<HH", av_id, len(value)) + value


def ntlm_negotiate():
    # no domain or workstation supplied: empty fields pointing at the end of the header
    return b"NTLMSSP\0" + struct.pack("<II", 1, NTLM_NEGOTIATE_FLAGS) + struct.pack("<HHI", 0, 0, 40) * 2 + \
        NTLM_CLIENT_VERSION


def ntlm_challenge(rng, host, filetime):
    target = utf16(SMB_DOMAIN)
    info = [av_pair(2, utf16(SMB_DOMAIN)), av_pair(1, utf16(host.upper())), av_pair(4, utf16(SMB_DNS_DOMAIN)),
            av_pair(3, utf16(host + "." + SMB_DNS_DOMAIN)), av_pair(5, utf16(SMB_DNS_DOMAIN)),
            av_pair(7, struct.pack("<Q", filetime))]
    ti = b"".join(info) + av_pair(0, b"")
    msg = (b"NTLMSSP\0" + struct.pack("<I", 2) + struct.pack("<HHI", len(target), len(target), 56)
           + struct.pack("<I", NTLM_CHALLENGE_FLAGS) + rng.randbytes(8) + bytes(8)
           + struct.pack("<HHI", len(ti), len(ti), 56 + len(target)) + NTLM_SERVER_VERSION + target + ti)
    return msg, info


def ntlm_authenticate(rng, user, workstation, server_info, spn, filetime):
    """An NTLMv2 AUTHENTICATE: the client's AV pairs are the server's plus MsvAvFlags
    (MIC present), an empty channel binding and the target SPN."""
    avs = b"".join(server_info) + av_pair(6, struct.pack("<I", 2)) + av_pair(10, bytes(16)) + \
        av_pair(9, utf16(spn)) + av_pair(0, b"")
    blob = struct.pack("<BBHIQ", 1, 1, 0, 0, filetime) + rng.randbytes(8) + bytes(4) + avs + bytes(4)
    fields = [utf16(SMB_DOMAIN), utf16(user), utf16(workstation), bytes(24), rng.randbytes(16) + blob,
              rng.randbytes(16)]  # domain, user, workstation, LM, NT response, session key
    offs, off = [], 88
    for f in fields:
        offs.append(struct.pack("<HHI", len(f), len(f), off))
        off += len(f)
    d, u, w, lm, nt, key = offs
    return (b"NTLMSSP\0" + struct.pack("<I", 3) + lm + nt + d + u + w + key
            + struct.pack("<I", NTLM_AUTHENTICATE_FLAGS) + NTLM_CLIENT_VERSION + rng.randbytes(16)
            + b"".join(fields))


def netbios_name(name, suffix):
    """RFC 1001 §14.1 first-level encoding of a 16-byte NetBIOS name, as a one-label name."""
    raw = name.upper().encode()[:15].ljust(15, b" ") + bytes([suffix])
    return b"\x20" + bytes(0x41 + (c >> 4 if k == 0 else c & 15) for c in raw for k in (0, 1)) + b"\x00"


def smb2_header(cmd, mid, sid=0, tid=0, status=0, flags=0, charge=1, credits=1, next_cmd=0, signature=None):
    return struct.pack("<4sHHIHHIIQIIQ", b"\xfeSMB", 64, charge, status, cmd, credits, flags, next_cmd, mid,
                       0xFEFF, tid, sid) + (signature or bytes(16))


def endpoint(addr, port):
    """As krbflow writes an endpoint: 10.1.0.2:445, [fd00::a]:445."""
    a = ipaddress.ip_address(bytes(addr))
    return ("%s:%d" if a.version == 4 else "[%s]:%d") % (a.compressed, port)


class Smb:
    """SMB2 bulk sessions: NEGOTIATE (after an SMB1 multi-protocol NEGOTIATE on some),
    NTLM over two SESSION_SETUP round trips (in SPNEGO, or raw NTLMSSP on a quarter),
    TREE_CONNECT, then files opened (CREATE, sometimes compounded with a related
    QUERY_INFO), read or written in pipelined batches of 64 KiB-1 MiB READs/WRITEs
    (4-64 KiB on NetBIOS port 139, whose sessions start with a session request),
    closed; TREE_DISCONNECT, LOGOFF.  Every NetBIOS message is marked, so that the
    manifest counts the PDUs written and gives the frame of each security token."""

    def __init__(self, bulk):
        self.bulk, self.rng = bulk, bulk.rng
        self.conns = []        # manifest records, one per connection started
        self.auth = []         # the NTLM messages written: frame, type, src, dst
        self.pdus = 0          # SMB1/SMB2 headers written (a compound's each)
        self.data_bytes = 0    # READ/WRITE data written
        self.files = 0         # files opened per connection (0: 1 to 3)

    def written(self, tags, frame):
        """The segment at this frame completed these NetBIOS messages."""
        for npdus, nbytes, token in tags:
            self.pdus += npdus
            self.data_bytes += nbytes
            if token:
                conn, tok = token
                tok["frame"] = frame
                conn["tokens"].append(tok)
                if tok["type"]:
                    fwd = tok["dir"] == "request"
                    self.auth.append({"frame": frame, "type": tok["type"],
                                      "src": conn["client"] if fwd else conn["server"],
                                      "dst": conn["server"] if fwd else conn["client"]})

    @staticmethod
    def send(t, from_client, msgs):
        """msgs: (pieces of one NetBIOS message's payload, SMB headers in it, data bytes,
        token record or None); one TCP send, several messages per segment where they fit."""
        pieces, marks, end = [], [], 0
        for parts, npdus, nbytes, token in msgs:
            n = sum(len(x) for x in parts)
            pieces.append(b"\0" + n.to_bytes(3, "big"))
            pieces += parts
            end += 4 + n
            marks.append((end, (npdus, nbytes, token)))
        return t.send(from_client, pieces, marks)

    @staticmethod
    def chain(pdus):
        """A compound: (cmd, mid, body pieces, header keywords) each; all but the last
        padded to 8 bytes, NextCommand the offset of the next header."""
        out = []
        for j, (cmd, mid, body, kw) in enumerate(pdus):
            n = 64 + sum(len(b) for b in body)
            last = j + 1 == len(pdus)
            pad = 0 if last else (-n) % 8
            out.append(smb2_header(cmd, mid, next_cmd=0 if last else n + pad, **kw))
            out += body
            if pad:
                out.append(bytes(pad))
        return out

    def negotiate_response(self, dialect, guid, max_io, sec, now):
        ctx = b""
        if dialect == 0x0311:
            pre = struct.pack("<HHH", 1, 32, 1) + self.rng.randbytes(32)         # SHA-512, 32-byte salt
            ctx = struct.pack("<HHI", 1, len(pre), 0) + pre + bytes((-len(pre)) % 8)
            enc = struct.pack("<HH", 1, 2)                                        # AES-128-GCM
            ctx += struct.pack("<HHI", 2, len(enc), 0) + enc
        caps = 0x07 if dialect == 0x02FF else 0x2F
        end = 128 + len(sec)
        pad = (-end) % 8 if ctx else 0
        fixed = struct.pack("<HHHH16sIIIIQQHHI", 65, 1, dialect, 2 if ctx else 0, guid, caps, 8 << 20, max_io,
                            max_io, now, 0, 128, len(sec), end + pad if ctx else 0)
        return [fixed, sec, bytes(pad), ctx]

    def session(self):
        b, rng = self.bulk, self.rng
        nbt = rng.random() < 0.1
        port = 139 if nbt else 445
        p = b.path(port)
        t = Tcp(rng, p)
        host = "fs%02d" % rng.randrange(40)
        share = rng.choice(["data", "backup", "media", "users", "projects"])
        spnego = rng.random() < 0.75
        dialect = 0x0311 if rng.random() < 0.7 else 0x0302
        smb1 = nbt or rng.random() < 0.2
        user = "user%03d" % rng.randrange(1000)
        ws = "WS%04d" % rng.randrange(10000)
        max_io = 1 << 16 if nbt else 1 << 20
        io_bits = (12, 16) if nbt else (16, 20)
        now = FILETIME_T0 + b.next_client * 10**7
        conn = {"client": endpoint(p.caddr, p.cport), "server": endpoint(p.saddr, port),
                "smb1_negotiate": smb1, "dialect": "0x%04x" % dialect,
                "security": "spnego" if spnego else "ntlmssp", "user": SMB_DOMAIN + "\\" + user,
                "workstation": ws, "tree": "\\\\%s\\%s" % (host, share), "tokens": []}
        self.conns.append(conn)

        def tok(direction, command, status, token, typ=None):
            return conn, {"frame": None, "dir": direction, "command": command, "status": "0x%08x" % status,
                          "token": token, "type": typ}

        yield from t.open()
        if nbt:  # NetBIOS session request (called: the server, suffix 0x20; calling: the client)
            names = netbios_name(host, 0x20) + netbios_name(ws, 0x00)
            yield from t.send(True, [b"\x81\x00" + struct.pack("!H", len(names)) + names])
            yield from t.send(False, [b"\x82\x00\x00\x00"])
        server_guid, client_guid = rng.randbytes(16), rng.randbytes(16)
        hint = spnego_init([OID_MS_KRB5, OID_KRB5, OID_NTLMSSP], hint=True)
        mid = 0
        if smb1:  # SMB1 multi-protocol NEGOTIATE, answered by SMB2 NEGOTIATE with dialect 0x02FF
            dialects = b"".join(b"\x02" + d + b"\0" for d in (b"NT LM 0.12", b"SMB 2.002", b"SMB 2.???"))
            req = struct.pack("<4sBIBHH8sHHHHH", b"\xffSMB", 0x72, 0, 0x18, 0xC853, 0, bytes(8), 0, 0xFFFF,
                              0xFEFF, 0, 0) + b"\x00" + struct.pack("<H", len(dialects)) + dialects
            yield from self.send(t, True, [([req], 1, 0, None)])
            resp = [smb2_header(SMB2_NEGOTIATE, 0, flags=SERVER_TO_REDIR, charge=0, credits=1)] + \
                self.negotiate_response(0x02FF, server_guid, max_io, hint, now)
            yield from self.send(t, False, [(resp, 1, 0, tok("response", "NEGOTIATE", 0, "spnego-hint"))])
            mid = 1
        # SMB2 NEGOTIATE, with the 3.1.1 negotiate contexts (preauth integrity, encryption)
        dialect_list = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311]
        pre = struct.pack("<HHH", 1, 32, 1) + rng.randbytes(32)
        enc = struct.pack("<HHH", 2, 2, 1)
        ctx = (struct.pack("<HHI", 1, len(pre), 0) + pre + bytes((-len(pre)) % 8)
               + struct.pack("<HHI", 2, len(enc), 0) + enc)
        end = 64 + 36 + 2 * len(dialect_list)
        pad = (-end) % 8
        body = struct.pack("<HHHHI16sIHH", 36, len(dialect_list), 1, 0, 0x7F, client_guid, end + pad, 2, 0) + \
            struct.pack("<%dH" % len(dialect_list), *dialect_list) + bytes(pad) + ctx
        yield from self.send(t, True, [([smb2_header(SMB2_NEGOTIATE, mid, charge=0, credits=31), body], 1, 0, None)])
        resp = [smb2_header(SMB2_NEGOTIATE, mid, flags=SERVER_TO_REDIR, charge=0, credits=1)] + \
            self.negotiate_response(dialect, server_guid, max_io, hint, now)
        yield from self.send(t, False, [(resp, 1, 0, tok("response", "NEGOTIATE", 0, "spnego-hint"))])
        mid += 1

        # SESSION_SETUP: NTLM NEGOTIATE / CHALLENGE (more processing required) / AUTHENTICATE / success
        def setup_req(m, sid, buf):
            return [smb2_header(SMB2_SESSION_SETUP, m, sid=sid, credits=33),
                    struct.pack("<HBBIIHHQ", 25, 0, 1, 1, 0, 88, len(buf), 0), buf]

        def setup_resp(m, sid, status, buf, signature=None):
            return [smb2_header(SMB2_SESSION_SETUP, m, sid=sid, status=status, credits=33,
                                flags=SERVER_TO_REDIR | (SIGNED if signature else 0), signature=signature),
                    struct.pack("<HHHH", 9, 0, 72, len(buf)), buf]

        neg = ntlm_negotiate()
        buf = spnego_init([OID_NTLMSSP], neg) if spnego else neg
        yield from self.send(t, True, [(setup_req(mid, 0, buf), 1, 0,
                                        tok("request", "SESSION_SETUP", 0, "ntlm-negotiate", "NTLM-NEGOTIATE"))])
        sid = (rng.getrandbits(24) << 32) | rng.getrandbits(16) | 1
        chal, server_info = ntlm_challenge(rng, host, now)
        buf = spnego_resp(1, OID_NTLMSSP, chal) if spnego else chal
        yield from self.send(t, False, [(setup_resp(mid, sid, STATUS_MORE_PROCESSING_REQUIRED, buf), 1, 0,
                                         tok("response", "SESSION_SETUP", STATUS_MORE_PROCESSING_REQUIRED,
                                             "ntlm-challenge", "NTLM-CHALLENGE"))])
        mid += 1
        auth = ntlm_authenticate(rng, user, ws, server_info, "cifs/" + host, now)
        buf = spnego_resp(1, None, auth, b"\x01\0\0\0" + rng.randbytes(8) + bytes(4)) if spnego else auth
        yield from self.send(t, True, [(setup_req(mid, sid, buf), 1, 0,
                                        tok("request", "SESSION_SETUP", 0, "ntlm-authenticate", "NTLM-AUTHENTICATE"))])
        buf = spnego_resp(0, None, None, b"\x01\0\0\0" + rng.randbytes(8) + bytes(4)) if spnego else b""
        signature = rng.randbytes(16) if dialect == 0x0311 else None  # 3.1.1: the final response is signed
        yield from self.send(t, False, [(setup_resp(mid, sid, 0, buf, signature), 1, 0,
                                         tok("response", "SESSION_SETUP", 0,
                                             "spnego-accept-completed" if spnego else "none"))])
        mid += 1

        def req(cmd, m, body, tid=0, **kw):
            return [smb2_header(cmd, m, sid=sid, tid=tid, credits=kw.pop("credits", 64), **kw)] + body

        def resp(cmd, m, body, tid=0, **kw):
            return [smb2_header(cmd, m, sid=sid, tid=tid, flags=SERVER_TO_REDIR, credits=kw.pop("credits", 64),
                                **kw)] + body

        path = utf16(conn["tree"])
        yield from self.send(t, True, [(req(SMB2_TREE_CONNECT, mid, [struct.pack("<HHHH", 9, 0, 72, len(path)),
                                                                    path]), 1, 0, None)])
        tid = rng.randrange(1, 1 << 16)
        yield from self.send(t, False, [(resp(SMB2_TREE_CONNECT, mid,
                                              [struct.pack("<HBBIII", 16, 1, 0, 0, 0, 0x001F01FF)]), 1, 0, None)])
        mid += 1

        for _ in range(self.files or rng.randrange(1, 4)):
            writing = rng.random() < 0.4
            sizes = [min(max_io, int(2 ** rng.uniform(*io_bits)) & ~4095) for _ in range(rng.randrange(2, 17))]
            total = 0 if writing else sum(sizes)
            name = utf16("bench\\data%05d.bin" % rng.randrange(100000))
            access, disposition, action = (0x0012019F, 5, 2) if writing else (0x00120089, 1, 1)
            create = struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, access, 0x80, 1 if writing else 3,
                                 disposition, 0x44, 120, len(name), 0, 0) + name
            fid = (rng.getrandbits(32), rng.getrandbits(64))
            alloc = (total + 4095) & ~4095
            created = struct.pack("<HBBIQQQQQQIIQQII", 89, 0, 0, action, now - 10**12, now, now - 10**9, now - 10**9,
                                  alloc, total, 0x80, 0, fid[0], fid[1], 0, 0)
            if rng.random() < 0.2:  # compound: CREATE + related QUERY_INFO (FileStandardInformation)
                qi = struct.pack("<HBBIHHIIIQQ", 41, 1, 5, 24, 104, 0, 0, 0, 0, 2**64 - 1, 2**64 - 1)
                std = struct.pack("<QQIBBH", alloc, total, 1, 0, 0, 0)
                kw = {"sid": sid, "tid": tid, "credits": 64}
                rq = self.chain([(SMB2_CREATE, mid, [create], kw),
                                 (SMB2_QUERY_INFO, mid + 1, [qi], dict(kw, flags=RELATED_OPERATIONS))])
                rs = self.chain([(SMB2_CREATE, mid, [created], dict(kw, flags=SERVER_TO_REDIR)),
                                 (SMB2_QUERY_INFO, mid + 1, [struct.pack("<HHI", 9, 72, len(std)), std],
                                  dict(kw, flags=SERVER_TO_REDIR | RELATED_OPERATIONS))])
                yield from self.send(t, True, [(rq, 2, 0, None)])
                yield from self.send(t, False, [(rs, 2, 0, None)])
                mid += 2
            else:
                yield from self.send(t, True, [(req(SMB2_CREATE, mid, [create], tid), 1, 0, None)])
                yield from self.send(t, False, [(resp(SMB2_CREATE, mid, [created], tid), 1, 0, None)])
                mid += 1
            off = 0
            while sizes:  # pipelined: a batch of requests, then their responses
                k = min(len(sizes), rng.choice((1, 2, 2, 3, 4)))
                batch, sizes = sizes[:k], sizes[k:]
                rqs, rss = [], []
                for n in batch:
                    charge = (n - 1) // 65536 + 1
                    if writing:
                        rqs.append((req(SMB2_WRITE, mid, [struct.pack("<HHIQQQIIHHI", 49, 112, n, off, fid[0], fid[1],
                                                                      0, 0, 0, 0, 0), b.body(n)], tid,
                                        charge=charge, credits=charge), 1, n, None))
                        rss.append((resp(SMB2_WRITE, mid, [struct.pack("<HHIIHH", 17, 0, n, 0, 0, 0)], tid,
                                         charge=charge, credits=charge), 1, 0, None))
                    else:
                        rqs.append((req(SMB2_READ, mid, [struct.pack("<HBBIQQQIIIHHB", 49, 0x50, 0, n, off, fid[0],
                                                                     fid[1], 0, 0, 0, 0, 0, 0)], tid,
                                        charge=charge, credits=charge), 1, 0, None))
                        rss.append((resp(SMB2_READ, mid, [struct.pack("<HBBIII", 17, 0x50, 0, n, 0, 0), b.body(n)],
                                         tid, charge=charge, credits=charge), 1, n, None))
                    mid += charge
                    off += n
                yield from self.send(t, True, rqs)
                yield from self.send(t, False, rss)
            close = struct.pack("<HHIQQ", 24, 0, 0, fid[0], fid[1])
            yield from self.send(t, True, [(req(SMB2_CLOSE, mid, [close], tid), 1, 0, None)])
            yield from self.send(t, False, [(resp(SMB2_CLOSE, mid, [struct.pack("<HHI", 60, 0, 0), bytes(52)], tid),
                                             1, 0, None)])
            mid += 1
        yield from self.send(t, True, [(req(SMB2_TREE_DISCONNECT, mid, [struct.pack("<HH", 4, 0)], tid), 1, 0, None)])
        yield from self.send(t, False, [(resp(SMB2_TREE_DISCONNECT, mid, [struct.pack("<HH", 4, 0)], tid), 1, 0, None)])
        mid += 1
        yield from self.send(t, True, [(req(SMB2_LOGOFF, mid, [struct.pack("<HH", 4, 0)]), 1, 0, None)])
        yield from self.send(t, False, [(resp(SMB2_LOGOFF, mid, [struct.pack("<HH", 4, 0)]), 1, 0, None)])
        yield from t.close()


# ---- authentication replays -------------------------------------------------

def read_pcap(path):
    d = open(path, "rb").read()
    if d[:4] != b"\xd4\xc3\xb2\xa1" or struct.unpack("<I", d[20:24])[0] != LINKTYPE_ETHERNET:
        return None  # only little-endian microsecond Ethernet pcap samples are replayed
    out, o = [], 24
    while o + 16 <= len(d):
        sec, usec, incl, _orig = struct.unpack("<IIII", d[o:o + 16])
        out.append((sec * 1000000 + usec, d[o + 16:o + 16 + incl]))
        o += 16 + incl
    t0 = out[0][0] if out else 0
    return [(t - t0, f) for t, f in out]


def csum_adjust(c, old, new):
    """RFC 1624 incremental update of checksum c for old bytes replaced by new."""
    native = ((c & 0xFF) << 8) | (c >> 8) if LITTLE else c
    acc = (~native) & 0xFFFF
    acc += sum((~w) & 0xFFFF for w in array.array("H", bytes(old)))
    acc += sum(array.array("H", bytes(new)))
    return csum_fold(acc)


class Replayer:
    """One sample's frames with its addresses and ephemeral ports rewritten for instance i."""

    def __init__(self, frames):
        self.frames = frames
        self.addrs = {}
        for _, f in frames:
            for a in self._addresses(f):
                self.addrs.setdefault(a, len(self.addrs))

    @staticmethod
    def _addresses(f):
        et = struct.unpack("!H", f[12:14])[0]
        if et == 0x0800:
            return [f[26:30], f[30:34]]
        if et == 0x86DD:
            return [f[22:38], f[38:54]]
        return []

    def new_addr(self, a, i):
        j = self.addrs[a]
        if len(a) == 4:
            return bytes([172, 16 + ((i >> 12) & 15), (i >> 4) & 0xFF, ((i & 15) << 4) | (j & 15)])
        return bytes.fromhex("fd00000000000000") + struct.pack("!IHH", i, 0, j + 1)

    @staticmethod
    def new_port(p, i):
        return 32768 + (p - 32768 + i * 1237) % 28232 if p >= 32768 else p

    def frames_for(self, i):
        for ts, f in self.frames:
            yield ts, self.rewrite(bytearray(f), i)

    def rewrite_quoted(self, f, q, i):
        ihl = (f[q] & 15) * 4
        for o in (q + 12, q + 16):
            if bytes(f[o:o + 4]) in self.addrs:
                f[o:o + 4] = self.new_addr(bytes(f[o:o + 4]), i)
        f[q + 10:q + 12] = b"\0\0"
        f[q + 10:q + 12] = struct.pack("!H", csum_fold(csum_add(f[q:q + ihl])))
        if f[q + 9] in (6, 17) and len(f) >= q + ihl + 4:
            sp, dp = struct.unpack("!HH", f[q + ihl:q + ihl + 4])
            f[q + ihl:q + ihl + 4] = struct.pack("!HH", self.new_port(sp, i), self.new_port(dp, i))

    def rewrite(self, f, i):
        et = struct.unpack("!H", f[12:14])[0]
        if et == 0x0800:
            ihl = (f[14] & 15) * 4
            old_a = bytes(f[26:34])
            new_a = self.new_addr(old_a[:4], i) + self.new_addr(old_a[4:], i)
            f[26:34] = new_a
            f[24:26] = b"\0\0"
            f[24:26] = struct.pack("!H", csum_fold(csum_add(f[14:14 + ihl])))
            first = struct.unpack("!H", f[20:22])[0] & 0x1FFF == 0
            proto, l4 = f[23], 14 + ihl
        elif et == 0x86DD:
            old_a = bytes(f[22:54])
            new_a = self.new_addr(old_a[:16], i) + self.new_addr(old_a[16:], i)
            f[22:54] = new_a
            proto, l4, first = f[20], 54, True
        else:
            return bytes(f)
        if proto == 1 and et == 0x0800 and len(f) >= l4 + 8 + 28 and f[l4] in (3, 11):
            self.rewrite_quoted(f, l4 + 8, i)  # the datagram an ICMP error quotes
            f[l4 + 2:l4 + 4] = b"\0\0"
            f[l4 + 2:l4 + 4] = struct.pack("!H", csum_fold(csum_add(f[l4:])))
            return bytes(f)
        if not first or proto not in (6, 17) or len(f) < l4 + 8:
            return bytes(f)  # a later fragment: its checksum lives in the first one
        old_p = bytes(f[l4:l4 + 4])
        sp, dp = struct.unpack("!HH", old_p)
        new_p = struct.pack("!HH", self.new_port(sp, i), self.new_port(dp, i))
        f[l4:l4 + 4] = new_p
        co = l4 + (16 if proto == 6 else 6)
        if len(f) < co + 2:
            return bytes(f)
        c = struct.unpack("!H", f[co:co + 2])[0]
        if et == 0x0800 and struct.unpack("!H", f[20:22])[0] & 0x2000:
            # first of several IP fragments: the sum covers bytes not in this frame
            if not (proto == 17 and c == 0):
                f[co:co + 2] = struct.pack("!H", csum_adjust(c, old_a + old_p, new_a + new_p))
            return bytes(f)
        # whole segment here: sum it afresh (the samples were captured on the
        # sending host, with checksums left to the network card)
        end = 14 + struct.unpack("!H", f[16:18])[0] if et == 0x0800 else 54 + struct.unpack("!H", f[18:20])[0]
        f[co:co + 2] = b"\0\0"
        src, dst = (bytes(new_a[:4]), bytes(new_a[4:])) if et == 0x0800 else (bytes(new_a[:16]), bytes(new_a[16:]))
        f[co:co + 2] = struct.pack("!H", l4_checksum(src, dst, proto, b"", bytes(f[l4:end])))
        return bytes(f)


# ---- the capture ------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", required=True, help="pcap file to write")
    ap.add_argument("--size", default="100M", help="target file size: 100M, 1G, 500000000 (default 100M)")
    ap.add_argument("--bulk-only", action="store_true", help="no authentication replays and no SMB")
    ap.add_argument("--smb-bulk", action="store_true",
                    help="mostly SMB2 bulk (READ/WRITE on 445 and 139): no replays, --smb-share 0.9")
    ap.add_argument("--smb-share", type=float,
                    help="share of the bulk sessions that are SMB2 (default 0.03; 0 with --bulk-only; "
                         "0.9 with --smb-bulk; 1: SMB only)")
    ap.add_argument("--smb-files", type=int, default=0,
                    help="files read or written per SMB connection (default: 1 to 3); with --concurrent 1 "
                         "and --smb-share 1, a large number makes one connection of the whole capture")
    ap.add_argument("--auth-share", type=float, default=0.05, help="share of packets replayed (default 0.05)")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    ap.add_argument("--samples", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples"),
                    help="directory of the .pcap samples to replay")
    ap.add_argument("--concurrent", type=int, default=48, help="bulk sessions interleaved at a time")
    a = ap.parse_args()
    if a.bulk_only and a.smb_bulk:
        ap.error("--bulk-only and --smb-bulk exclude each other")
    if a.smb_share is None:
        a.smb_share = 0.9 if a.smb_bulk else 0.0 if a.bulk_only else 0.03
    if not 0 <= a.smb_share <= 1:
        ap.error("--smb-share must be between 0 and 1")
    replays = not (a.bulk_only or a.smb_bulk)
    target = parse_size(a.size)
    rng = random.Random(a.seed)
    bulk = Bulk(rng)
    bulk.smb_share = a.smb_share
    bulk.smb.files = a.smb_files

    # Replays: evenly spread over the capture's estimated span.
    avg_bulk_frame = 1000.0     # bytes per bulk packet incl. record header, measured
    gap_us = 20                 # mean time between bulk packets
    est_packets = target / avg_bulk_frame
    auth = []                   # (ts, frame)
    manifest = {"seed": a.seed, "size": target, "bulk_only": a.bulk_only, "smb_bulk": a.smb_bulk,
                "smb_share": a.smb_share, "instances": []}
    if replays:
        paths = sorted(glob.glob(os.path.join(a.samples, "*.pcap")))
        if not paths:
            raise SystemExit("no samples in " + a.samples)
        samples = [(os.path.basename(p), Replayer(f)) for p, f in ((p, read_pcap(p)) for p in paths) if f]
        per_cycle = sum(len(s.frames) for _, s in samples) / len(samples)
        want = a.auth_share * est_packets / (1 - a.auth_share)
        n_inst = max(1, round(want / per_cycle))
        span = est_packets * gap_us
        for i in range(n_inst):
            name, rep = samples[i % len(samples)]
            start = int(span * i / n_inst) + rng.randrange(0, gap_us * 50)
            auth += [(start + ts, f) for ts, f in rep.frames_for(i)]
            manifest["instances"].append(name)
        auth.sort(key=lambda x: x[0])

    t0 = 1795000000 * 1000000  # 2026-11-18, fixed
    out = open(a.output, "wb", buffering=1 << 23)
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET))
    written, packets, auth_packets, ai = 24, 0, 0, 0
    now = 0
    active = [bulk.session() for _ in range(a.concurrent)]

    def put(ts, head, payload=b""):
        nonlocal written, packets
        ts += t0
        n = len(head) + len(payload)
        out.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, n, n))
        out.write(head)
        if payload:
            out.write(payload)
        written += 16 + n
        packets += 1

    while written < target:
        k = rng.randrange(len(active))
        try:
            item = next(active[k])
        except StopIteration:
            active[k] = bulk.session()
            continue
        now += rng.randrange(1, 2 * gap_us)
        while ai < len(auth) and auth[ai][0] <= now:
            put(auth[ai][0], auth[ai][1])
            ai += 1
            auth_packets += 1
        put(now, item[0], item[1])
        if len(item) > 2:  # an SMB segment that completes NetBIOS messages
            bulk.smb.written(item[2], packets)
    while ai < len(auth):  # replays planned past the bulk's end
        put(max(now, auth[ai][0]), auth[ai][1])
        ai += 1
        auth_packets += 1
    out.close()

    smb = bulk.smb
    manifest.update(packets=packets, auth_packets=auth_packets, bytes=written, bulk_dns_answers=bulk.dns_answers)
    # SMB: the connections started, the SMB1/SMB2 PDUs and READ/WRITE data bytes written,
    # and every NTLM message written (the frame where its SESSION_SETUP ends, krbflow's
    # message type, client and server as krbflow writes them), for the tests
    manifest["smb"] = {"connections": len(smb.conns),
                       "connections_139": sum(c["server"].endswith(":139") for c in smb.conns),
                       "pdus": smb.pdus, "data_bytes": smb.data_bytes,
                       "auth_messages": smb.auth, "sessions": smb.conns}
    with open(a.output + ".manifest.json", "w") as m:
        json.dump(manifest, m, indent=1)
    print("%s: %d bytes, %d packets, %d replayed (%.1f%%) from %d sample instances; SMB: %d connections, "
          "%d PDUs, %.0f%% of the bytes as READ/WRITE data, %d NTLM messages" % (
              a.output, written, packets, auth_packets, 100.0 * auth_packets / max(packets, 1),
              len(manifest["instances"]), len(smb.conns), smb.pdus, 100.0 * smb.data_bytes / written,
              len(smb.auth)), file=sys.stderr)


if __name__ == "__main__":
    main()
