#!/usr/bin/env python3
"""Write adversarial captures (classic pcap, Ethernet) into a directory.

Usage: gen_adversarial.py OUTDIR [--small] [--list] [NAME...]

Each capture attacks one cap of decoders/base/limits.h; EXPECT (printed by
--list, read by run-adversarial.sh) names the warning codes (events.def) that
must appear in capture.warnings, "|" separating alternatives.  --small
shrinks the SYN flood (for sanitizer builds); everything else is small anyway.
Never commit the output: the SYN flood alone is ~70 MB.  Stdlib only.
"""
import base64
import os
import struct
import sys

CLIENT4 = bytes([10, 1, 0, 10])
SERVER4 = bytes([10, 1, 0, 2])
CLIENT6 = bytes.fromhex("fd000000000000000000000000000010")
SERVER6 = bytes.fromhex("fd000000000000000000000000000002")
MAC = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.t = 1_700_000_000_000_000  # microseconds

    def write(self, frame, dt_us=100):
        self.t += dt_us
        n = len(frame)
        cap = min(n, 262144)
        self.f.write(struct.pack("<IIII", self.t // 1000000, self.t % 1000000, cap, n))
        self.f.write(frame[:cap])

    def close(self):
        self.f.close()


def eth(ethertype, payload):
    return MAC + struct.pack(">H", ethertype) + payload


def ipv4(src, dst, proto, payload, ident=1, frag=0, mf=False, total=None):
    off = (frag // 8) | (0x2000 if mf else 0)
    tl = 20 + len(payload) if total is None else total
    return eth(0x0800, struct.pack(">BBHHHBBH4s4s", 0x45, 0, tl & 0xFFFF, ident & 0xFFFF, off, 64, proto, 0,
                                   src, dst) + payload)


def ipv6(src, dst, nh, payload, plen=None):
    pl = len(payload) if plen is None else plen
    return eth(0x86DD, struct.pack(">IHBB16s16s", 0x60000000, pl & 0xFFFF, nh, 64, src, dst) + payload)


SYN, ACK, PSH, FIN, RST = 0x02, 0x10, 0x08, 0x01, 0x04


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0,
                       0) + payload


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, (8 + len(payload)) & 0xFFFF, 0) + payload


class Conn:
    """One TCP connection over IPv4, client side first."""

    def __init__(self, pc, cport, sport, csrc=CLIENT4, sdst=SERVER4):
        self.pc, self.cport, self.sport, self.c, self.s = pc, cport, sport, csrc, sdst
        self.cseq, self.sseq = 1000, 50000

    def handshake(self):
        self.pc.write(ipv4(self.c, self.s, 6, tcp(self.cport, self.sport, self.cseq, 0, SYN)))
        self.pc.write(ipv4(self.s, self.c, 6, tcp(self.sport, self.cport, self.sseq, self.cseq + 1, SYN | ACK)))
        self.cseq += 1
        self.sseq += 1
        self.pc.write(ipv4(self.c, self.s, 6, tcp(self.cport, self.sport, self.cseq, self.sseq, ACK)))

    def send(self, data, server=False, mss=1460, skip=0, ack=True):
        """Send data in MSS-sized segments; skip: bytes left out before it (a gap)."""
        for i in range(0, len(data), mss):
            seg = data[i:i + mss]
            if server:
                self.sseq += skip
                skip = 0
                self.pc.write(ipv4(self.s, self.c, 6, tcp(self.sport, self.cport, self.sseq, self.cseq, ACK | PSH, seg)))
                self.sseq += len(seg)
            else:
                self.cseq += skip
                skip = 0
                self.pc.write(ipv4(self.c, self.s, 6, tcp(self.cport, self.sport, self.cseq, self.sseq, ACK | PSH, seg)))
                self.cseq += len(seg)
        if ack:  # the peer acknowledges what it got
            if server:
                self.pc.write(ipv4(self.c, self.s, 6, tcp(self.cport, self.sport, self.cseq, self.sseq, ACK)))
            else:
                self.pc.write(ipv4(self.s, self.c, 6, tcp(self.sport, self.cport, self.sseq, self.cseq, ACK)))

    def close(self):
        self.pc.write(ipv4(self.c, self.s, 6, tcp(self.cport, self.sport, self.cseq, self.sseq, FIN | ACK)))
        self.pc.write(ipv4(self.s, self.c, 6, tcp(self.sport, self.cport, self.sseq, self.cseq + 1, FIN | ACK)))


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def deep_nesting(depth, outer=0x6A, inner=0x30):
    """[APPLICATION 10] around `depth` nested SEQUENCEs, built without quadratic copying."""
    lens, n = [], 0
    for _ in range(depth):
        lens.append(n)
        n += 1 + len(der_len(n))
    heads = [bytes([inner]) + der_len(x) for x in lens]
    body = b"".join(reversed(heads))
    return der(outer, body)


def http_req(extra_headers, body=b"", method="GET"):
    h = "%s / HTTP/1.1\r\nHost: web.lab.test\r\n" % method
    return h.encode() + extra_headers + b"\r\n" + body


# ---------------------------------------------------------------- captures

def syn_flood(pc, small):
    """A million distinct flows (SYNs to 88 and 80 from distinct addresses/ports), in 100 s of capture time."""
    n = 200_000 if small else 1_000_000
    tmpl = bytearray(ipv4(CLIENT4, SERVER4, 6, tcp(1, 88, 1, 0, SYN)))
    hdr = struct.Struct("<IIII")
    f, t0 = pc.f, pc.t
    for i in range(n):
        tmpl[26:30] = struct.pack(">I", 0x0A000000 | (i >> 8))  # source address
        struct.pack_into(">HH", tmpl, 34, 1024 + (i & 0xFF) * 200 + (i >> 24), 88 if i & 1 else 80)
        struct.pack_into(">I", tmpl, 38, (i * 7919) & 0xFFFFFFFF)
        t = t0 + i * 100
        f.write(hdr.pack(t // 1000000, t % 1000000, len(tmpl), len(tmpl)))
        f.write(tmpl)
    pc.t = t0 + n * 100


def message_flood(pc, small):
    """A million two-byte AS-REQs over UDP (each one a message kept, type only), from 17 hosts."""
    n = 200_000 if small else 1_000_000
    tmpl = bytearray(ipv4(CLIENT4, SERVER4, 17, udp(1000, 88, b"\x6a\x00")))
    hdr = struct.Struct("<IIII")
    f, t0 = pc.f, pc.t
    for i in range(n):
        struct.pack_into(">H", tmpl, 34, 1024 + i % 60000)
        tmpl[26:30] = struct.pack(">I", 0x0A000000 | (i // 60000))
        t = t0 + i * 10
        f.write(hdr.pack(t // 1000000, t % 1000000, len(tmpl), len(tmpl)))
        f.write(tmpl)
    pc.t = t0 + n * 10


def frag_never_complete(pc, small):
    """20,000 datagrams to port 88 that only ever send fragments 0 and 2 of 3 (over 90 s of capture
    time, > the 30 s timeout; > 1024 datagrams), one datagram of 5,000 fragments, and 1,100 datagrams
    of 16 x 1480 bytes each (> the 16 MB byte cap)."""
    pay = udp(50000, 88, b"\x6a" + b"\x00" * 599)
    for i in range(25_000):
        src = bytes([10, 2, (i >> 8) & 0xFF, i & 0xFF])
        pc.write(ipv4(src, SERVER4, 17, pay[:200], ident=i, frag=0, mf=True), dt_us=4500)
        pc.write(ipv4(src, SERVER4, 17, pay[400:], ident=i, frag=400, mf=False), dt_us=1)
    # one datagram fed 5000 distinct 8-byte fragments (never the last)
    for k in range(5000):
        pc.write(ipv4(CLIENT4, SERVER4, 17, b"A" * 8, ident=0xBEEF, frag=8 * k, mf=True), dt_us=1)
    # bytes cap: 1024 datagrams x 24 KB pending = 24 MB > 16 MB
    for i in range(1100):
        for k in range(16):
            pc.write(ipv4(CLIENT6[:4], SERVER4, 17, b"B" * 1480, ident=i, frag=1480 * k + 8, mf=True), dt_us=1)


def frag_overlap_storm(pc, small):
    """Overlapping fragments carrying different bytes, over and over, for 200 datagrams."""
    pay = udp(50001, 88, b"\x6a" + b"\x01" * 1999)
    for i in range(200):
        for k in range(150):
            off = (k * 8) % 1600
            chunk = bytes([k & 0xFF]) * 200
            pc.write(ipv4(CLIENT4, SERVER4, 17, chunk, ident=0x1000 + i, frag=off, mf=True), dt_us=1)
        pc.write(ipv4(CLIENT4, SERVER4, 17, pay[:800], ident=0x1000 + i, frag=0, mf=True), dt_us=1)
        pc.write(ipv4(CLIENT4, SERVER4, 17, pay[1600:], ident=0x1000 + i, frag=1600, mf=False), dt_us=1)
    pc.write(ipv4(CLIENT4, SERVER4, 17, b"x" * 8), dt_us=60_000_000)  # time passes


def ipv6_ext_chain(pc, small):
    """An attempt at 100,000 chained IPv6 extension headers: as many as fit a packet (8,000 in 64 KB;
    30,000 in a 'jumbogram' with payload length 0 inside the 256 KB snaplen)."""
    for count, plen in ((8000, None), (30000, 0), (100000, None)):
        ext = b"\x3c\x00" + b"\x01\x04\x00\x00\x00\x00"  # destination options -> destination options, PadN
        chain = ext * (count - 1) + b"\x11\x00" + b"\x01\x04\x00\x00\x00\x00"
        body = chain + udp(50002, 88, b"\x6a\x00")
        pc.write(ipv6(CLIENT6, SERVER6, 60, body, plen=plen))


def tcp_out_of_window(pc, small):
    """Kerberos and HTTP connections whose segments land far out of window: 2^31 ahead, 2^30 ahead,
    and thousands of out-of-order segments inside the window (segment/byte caps)."""
    for port, cport in ((88, 40000), (80, 40001)):
        c = Conn(pc, cport, port)
        c.handshake()
        base = c.cseq
        for k in range(2000):
            off = [1 << 31, (1 << 30) + 17, 0x7FFFFFFF, 0xFFFFFF00][k % 4] + k * 1460
            pc.write(ipv4(CLIENT4, SERVER4, 6, tcp(cport, port, base + off, c.sseq, ACK, b"Z" * 1460)), dt_us=1)
        for k in range(3000):  # in window, always ahead of a hole at the start
            pc.write(ipv4(CLIENT4, SERVER4, 6, tcp(cport, port, base + 10 + k * 1460, c.sseq, ACK, b"Y" * 1460)),
                     dt_us=1)
        c.send(b"\x00\x00\x00\x04" + der(0x6A, b""))
        c.close()


def krb_record_4g(pc, small):
    """Kerberos TCP record marks of 4 GiB - 1 (reserved bit), 2 GiB - 1 and 1 MiB + 1 followed by
    2 MB of stream."""
    for i, mark in enumerate((0xFFFFFFFF, 0x7FFFFFFF, (1 << 20) + 1, 0xFFFFFFF0)):
        c = Conn(pc, 41000 + i, 88)
        c.handshake()
        c.send(struct.pack(">I", mark) + b"\x6a" + b"\x00" * (2 << 20 if i == 2 else 4000))
        c.send(struct.pack(">I", mark) + b"\x7e\x00", server=True)
        c.close()


def deep_asn1(pc, small):
    """10,000-deep ASN.1 nesting: a Kerberos AS-REQ over UDP and over TCP, and inside a SPNEGO token
    in an HTTP Authorization header."""
    msg = deep_nesting(10000)
    pc.write(ipv4(CLIENT4, SERVER4, 17, udp(50003, 88, msg)))
    c = Conn(pc, 42000, 88)
    c.handshake()
    c.send(struct.pack(">I", len(msg)) + msg)
    c.close()
    gss = deep_nesting(10000, outer=0x60, inner=0xA0)
    h = Conn(pc, 42001, 80)
    h.handshake()
    h.send(http_req(b"Authorization: Negotiate " + base64.b64encode(gss) + b"\r\n"))
    h.send(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate " + base64.b64encode(gss) +
           b"\r\nContent-Length: 0\r\n\r\n", server=True)
    h.close()


def http_megabyte_header(pc, small):
    """A 1 MB header line, a header block of 20,000 short lines, and a 1 MB line with no CRLF at all."""
    for i, blk in enumerate((b"X-Big: " + b"a" * (1 << 20) + b"\r\n",
                             b"".join(b"X-H%d: v\r\n" % k for k in range(20000)),
                             b"X-Unterminated: " + b"b" * (1 << 20))):
        c = Conn(pc, 43000 + i, 8080)
        c.handshake()
        c.send(http_req(blk) if i < 2 else b"GET / HTTP/1.1\r\n" + blk)
        c.send(b"HTTP/1.1 200 OK\r\n" + blk, server=True)
        c.close()


def http_huge_length(pc, small):
    """Content-Length: 18446744073709551615, ...616 (overflow), 2 GiB and a conflicting pair, each followed
    by another request that must still be parsed or skipped without buffering."""
    for i, cl in enumerate((b"18446744073709551615", b"18446744073709551616", b"2147483648",
                            b"99999999999999999999999999999999", b"5\r\nContent-Length: 6", b"-1")):
        c = Conn(pc, 44000 + i, 80)
        c.handshake()
        c.send(http_req(b"Content-Length: " + cl + b"\r\n", body=b"hello", method="POST"))
        c.send(b"HTTP/1.1 200 OK\r\nContent-Length: " + cl + b"\r\n\r\n" + b"z" * 100000, server=True)
        c.send(http_req(b"Authorization: Negotiate YIIB\r\n"))
        c.close()


def http_chunk_overflow(pc, small):
    """Chunk sizes that overflow 64 bits, negative sizes, and a chunk line longer than its cap."""
    for i, line in enumerate((b"ffffffffffffffffff", b"10000000000000000", b"fffffffffffffff0",
                              b"-1", b"1;" + b"e" * 10000, b"zz")):
        c = Conn(pc, 45000 + i, 80)
        c.handshake()
        c.send(http_req(b"Transfer-Encoding: chunked\r\n", body=line + b"\r\n" + b"q" * 5000 + b"\r\n0\r\n\r\n",
                        method="POST"))
        c.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + line + b"\r\n" + b"r" * 50000,
               server=True)
        c.close()


def tcp_gaps(pc, small):
    """A gap before every record: 300 Kerberos records and 300 HTTP requests, each preceded by 1000
    bytes missing from the capture."""
    asreq = der(0x6A, der(0x30, der(0xA1, der(0x02, b"\x05")) + der(0xA2, der(0x02, b"\x0a"))))
    c = Conn(pc, 46000, 88)
    c.handshake()
    for _ in range(300):
        c.send(struct.pack(">I", len(asreq)) + asreq, skip=1000)
    c.close()
    h = Conn(pc, 46001, 80)
    h.handshake()
    for _ in range(300):
        h.send(http_req(b"Authorization: Negotiate YIIB\r\n"), skip=1000)
    h.close()


def dns_compression_loop(pc, small):
    """DNS responses whose names' compression pointers point at themselves, at each other, and
    forwards through a 200-long pointer chain; over UDP and TCP."""
    hdr = struct.pack(">HHHHHH", 0x1234, 0x8180, 1, 2, 0, 0)
    self_loop = hdr + b"\xc0\x0c" + b"\x00\x01\x00\x01" + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x00\x00\x01" * 2
    mutual = hdr + b"\x01a\xc0\x12" + b"\x00\x01\x00\x01" + b"\x01b\xc0\x0c" + b"\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x00\x00\x01"
    chain = bytearray(hdr)
    for k in range(200):  # each label points at the next, then the last back to the first
        nxt = 12 + (k + 1) * 4 if k < 199 else 12
        chain += b"\x01x" + struct.pack(">H", 0xC000 | nxt)
    chain += b"\x00\x01\x00\x01"
    for i, m in enumerate((self_loop, mutual, bytes(chain))):
        pc.write(ipv4(SERVER4, CLIENT4, 17, udp(53, 51000 + i, m)))
    c = Conn(pc, 47000, 53)
    c.handshake()
    c.send(struct.pack(">H", len(self_loop)) + self_loop, server=True)
    c.close()


def ntlm_bad_secbuf(pc, small):
    """NTLMSSP messages whose security buffers point at 0xffffffff, wrap around, or claim 0xffff bytes."""
    def secbuf(ln, off):
        return struct.pack("<HHI", ln, ln, off)
    t3 = (b"NTLMSSP\x00" + struct.pack("<I", 3) + secbuf(24, 0xFFFFFFFF) + secbuf(0xFFFF, 0xFFFFFFF0) +
          secbuf(8, 0xFFFFFFFF) + secbuf(0xFFFF, 64) + secbuf(4, 0x7FFFFFFF) + secbuf(16, 0xFFFFFFFC) +
          struct.pack("<I", 0xE2888215) + b"\x00" * 16)
    t2 = (b"NTLMSSP\x00" + struct.pack("<I", 2) + secbuf(0xFFFF, 0xFFFFFFFF) + struct.pack("<I", 0xE2898215) +
          b"\x11" * 8 + b"\x00" * 8 + secbuf(0x7FFF, 0xFFFFFFFF) + b"\x00" * 8)
    t1 = b"NTLMSSP\x00" + struct.pack("<I", 1) + struct.pack("<I", 0xE2088297) + secbuf(0xFFFF, 0xFFFFFFFF) * 2
    c = Conn(pc, 48000, 80)
    c.handshake()
    for tok in (t1, t3):
        c.send(http_req(b"Authorization: NTLM " + base64.b64encode(tok) + b"\r\n"))
        c.send(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM " + base64.b64encode(t2) +
               b"\r\nContent-Length: 0\r\n\r\n", server=True)
    c.close()


def token_10mb(pc, small):
    """A 10 MB base64 token in an Authorization header (and a 250 KB one, just under the header cap)."""
    big = base64.b64encode(b"\x60\x82" + os.urandom(3) * 2_500_000)[:10 << 20]
    mid = base64.b64encode(b"\x60" + b"\x00" * (190 << 10))
    for i, tok in enumerate((big, mid)):
        c = Conn(pc, 49000 + i, 80)
        c.handshake()
        c.send(http_req(b"Authorization: Negotiate " + tok + b"\r\n"))
        c.send(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n",
               server=True)
        c.close()


# ---- SMB (MS-SMB2 §2.2, MS-CIFS §2.2.4) on 445, NetBIOS session framing (RFC 1002 §4.3)

def nbss(pdu, kind=0):
    return struct.pack(">I", kind << 24 | len(pdu)) + pdu


def smb2_hdr(cmd, mid, sid=0, status=0, response=False, next_cmd=0):
    return (b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 1, status, cmd, 1, 1 if response else 0, next_cmd, mid,
                                      0xFEFF, 0, sid) + bytes(16))


def smb2_session_setup(mid, sid, blob, response=False, status=0):
    if response:
        body = struct.pack("<HHHH", 9, 0, 72, len(blob))
    else:
        body = struct.pack("<HBBIIHHQ", 25, 0, 1, 0, 0, 88, len(blob), 0)
    return smb2_hdr(1, mid, sid, status, response) + body + blob


def ntlmssp(kind, user=b""):
    """NTLMSSP NEGOTIATE (1), CHALLENGE (2) or AUTHENTICATE (3) for LAB\\user (MS-NLMP §2.2.1)."""
    if kind == 1:
        return b"NTLMSSP\0" + struct.pack("<II", 1, 0xE0088297) + bytes(16)
    if kind == 2:
        return b"NTLMSSP\0" + struct.pack("<IHHII", 2, 0, 0, 48, 0xE0898215) + bytes(16) + struct.pack("<HHI", 0, 0, 48)
    fields = [bytes(24), bytes(24), b"L\0A\0B\0", user, b"W\0S\0", b""]
    off, secbufs = 64, b""
    for f in fields:
        secbufs += struct.pack("<HHI", len(f), len(f), off)
        off += len(f)
    return b"NTLMSSP\0" + struct.pack("<I", 3) + secbufs + struct.pack("<I", 0xE0888215) + b"".join(fields)


def smb_compound_loop(pc, small):
    """SMB2 compounds whose NextCommand points into the message itself (1..63), past the PDU, or forward
    64 bytes at a time through 2,000 bare headers (a 128 KB PDU); 300 of each on one connection."""
    c = Conn(pc, 52000, 445)
    c.handshake()
    chain = b"".join(smb2_hdr(0, k, next_cmd=64) for k in range(2000))
    for i in range(300):
        c.send(nbss(smb2_hdr(1, i, next_cmd=1 + i % 63) + struct.pack("<HBBIIHHQ", 25, 0, 1, 0, 0, 88, 0, 0)))
        c.send(nbss(smb2_hdr(3, i, next_cmd=0xFFFFFFC0) + struct.pack("<HHHH", 9, 0, 72, 0)))
        c.send(nbss(chain))
    c.close()


def smb_andx_loop(pc, small):
    """SMB1 SESSION_SETUP_ANDX -> TREE_CONNECT_ANDX chains whose second AndX points back at the first, and
    chains of 60 LOGOFF_ANDX, each to the next; 2,000 PDUs."""
    c = Conn(pc, 52001, 445)
    c.handshake()
    hdr = b"\xffSMB" + struct.pack("<BIBHH8sHHHHH", 0x73, 0, 0, 0x4001, 0, bytes(8), 0, 0, 0xFEFF, 0, 7)
    data = b"\0bob\0LAB\0"
    first = b"\x0d" + struct.pack("<BBHHHHIHHII", 0x75, 0, 0, 16644, 50, 0, 0, 1, 0, 0, 0xD4) + struct.pack(
        "<H", len(data)) + data
    second = b"\x04" + struct.pack("<BBHHH", 0x73, 0, 32, 0, 1) + b"\x10\x00\x00\\\\S\\IPC$\0?????\0"
    first = first[:3] + struct.pack("<H", 32 + len(first)) + first[5:]
    loop = hdr + first + second
    logoffs = bytearray(hdr[:4] + b"\x74" + hdr[5:])
    for k in range(60):
        logoffs += b"\x02\x74\x00" + struct.pack("<H", len(logoffs) + 7) + b"\0\0"
    for i in range(1000):
        c.send(nbss(loop), ack=False)
        c.send(nbss(bytes(logoffs)), ack=False)
    c.close()


def smb_nbss_max(pc, small):
    """NetBIOS session headers of 0xFFFFFF in front of a SESSION_SETUP (so too big to read) and in front of
    a READ, whose data never comes: 200 connections of each, then FIN."""
    for i in range(400):
        c = Conn(pc, 53000 + i, 445)
        c.handshake()
        pdu = smb2_session_setup(1, 0, ntlmssp(1)) if i % 2 == 0 else smb2_hdr(8, 1, 5, response=True) + bytes(80)
        c.send(b"\x00\xff\xff\xff" + pdu, server=i % 2 == 1)
        c.close()


def smb_tiny_pdus(pc, small):
    """One connection of 300,000 tiny session messages: empty ones, keepalives, 1-byte non-SMB, 64-byte
    SMB2 ECHO headers and 68-byte LOGOFF requests never answered (each a record), 8 KB per segment."""
    c = Conn(pc, 52002, 445)
    c.handshake()
    logoff = nbss(smb2_hdr(2, 0, 5) + struct.pack("<HH", 4, 0))
    kinds = [nbss(b""), b"\x85\0\0\0", nbss(b"x"), nbss(smb2_hdr(13, 0)), logoff]
    n = 60_000 if small else 300_000
    buf = b"".join(kinds[k % 5] for k in range(n))
    c.send(buf, mss=8192, ack=False)
    c.close()


def smb_many_sessions(pc, small):
    """One connection setting up 20,000 sessions, each by two NTLM legs with its own session id, the last
    leg failing every other time; then 20,000 TREE_CONNECTs to them."""
    c = Conn(pc, 52003, 445)
    c.handshake()
    n = 5_000 if small else 20_000
    for i in range(n):
        sid = 0x100000000 + i
        user = ("u%05d" % i).encode("utf-16-le")
        c.send(nbss(smb2_session_setup(3 * i, 0, ntlmssp(1))), ack=False)
        c.send(nbss(smb2_session_setup(3 * i, sid, ntlmssp(2), True, 0xC0000016)), server=True, ack=False)
        c.send(nbss(smb2_session_setup(3 * i + 1, sid, ntlmssp(3, user))), ack=False)
        c.send(nbss(smb2_session_setup(3 * i + 1, sid, b"", True, 0xC000006D if i & 1 else 0)), server=True,
               ack=False)
    share = "\\\\fs\\s".encode("utf-16-le")
    for i in range(n):
        c.send(nbss(smb2_hdr(3, 3 * i + 2, 0x100000000 + i) + struct.pack("<HHHH", 9, 0, 72, len(share)) + share),
               ack=False)
    c.close()


def ldap_msg(msg_id, op):
    return der(0x30, der(0x02, struct.pack(">I", msg_id)) + op)


def ldap_endless_sasl(pc, small):
    """An LDAP SASL bind that never ends: 100,000 GSS-SPNEGO steps, each answered saslBindInProgress."""
    c = Conn(pc, 52010, 389)
    c.handshake()
    n = 20_000 if small else 100_000
    sasl = der(0xA3, der(0x04, b"GSS-SPNEGO") + der(0x04, b"\x01\x02\x03\x04"))
    req_op = der(0x60, der(0x02, b"\x03") + der(0x04, b"") + sasl)
    resp_op = der(0x61, der(0x0A, b"\x0e") + der(0x04, b"") + der(0x04, b""))
    for i in range(1, n + 1):
        c.send(ldap_msg(i, req_op), ack=False)
        c.send(ldap_msg(i, resp_op), server=True, ack=False)
    c.close()


def rpc_pdu(ptype, flags, call_id, body, auth=b"", auth_type=9, auth_level=6):
    """A DCE/RPC connection-oriented PDU (C706 12.6.3) with an auth_verifier when auth is given."""
    verifier = b""
    if auth:
        pad = (-len(body)) % 4
        body += b"\0" * pad
        verifier = struct.pack("<BBBBI", auth_type, auth_level, pad, 0, 0) + auth
    frag_len = 16 + len(body) + len(verifier)
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, flags, b"\x10\0\0\0", frag_len, len(auth), call_id) + body + verifier


def rpc_bind_body():
    lsarpc = bytes.fromhex("785734123412cdabef000123456789ab") + struct.pack("<HH", 0, 0)
    ndr = bytes.fromhex("045d888aeb1cc9119fe808002b104860") + struct.pack("<I", 2)
    return struct.pack("<HHIB3x", 4280, 4280, 0, 1) + struct.pack("<HBx", 0, 1) + lsarpc + ndr


def dcerpc_fragment_chain(pc, small):
    """A DCE/RPC bind whose auth_verifier (a 6 KB SPNEGO token) is split over 200 fragments from
    PFC_FIRST to PFC_LAST, and on another connection a bind fragment chain that never ends: 100,000
    fragments, none the last."""
    token = der(0x60, der(0x06, bytes.fromhex("2b0601050502")) + b"\xa0" + b"\x00" * 6_000)
    parts = [token[i:i + 30] for i in range(0, len(token), 30)]
    body = rpc_bind_body()
    c = Conn(pc, 52011, 135)
    c.handshake()
    c.send(b"".join(rpc_pdu(11, (0x01 if k == 0 else 0) | (0x02 if k == len(parts) - 1 else 0), 1,
                            body if k == 0 else b"", part) for k, part in enumerate(parts)), mss=8192, ack=False)
    c.close()
    c = Conn(pc, 52013, 135)
    c.handshake()
    n = 20_000 if small else 100_000
    chain = b"".join(rpc_pdu(11, 0x01 if k == 0 else 0, 2, body if k == 0 else b"", b"\x00" * 16)
                     for k in range(n))
    c.send(chain, mss=8192, ack=False)
    c.close()


def tds_tiny_packets(pc, small):
    """A SQL Server LOGIN7 split into 1-byte TDS packets whose end-of-message flag is never set."""
    c = Conn(pc, 52012, 1433)
    c.handshake()
    n = 5_000 if small else 20_000
    buf = b"".join(struct.pack(">BBHHBB", 16, 0, 9, 0, k & 0xFF, 0) + b"\x00" for k in range(n))
    c.send(buf, mss=8192, ack=False)
    c.close()


CAPTURES = [
    # name, generator, expected warnings (all must appear; "|" = any of)
    ("syn-flood", syn_flood, ["flow-limit"]),
    ("message-flood", message_flood, ["-"]),
    ("frag-never-complete", frag_never_complete, ["frag-limit", "frag-incomplete"]),
    ("frag-overlap-storm", frag_overlap_storm, ["frag-overlap-differs|frag-overlap", "frag-limit|frag-incomplete"]),
    ("ipv6-ext-chain", ipv6_ext_chain, ["ipv6-ext-too-many"]),
    ("tcp-out-of-window", tcp_out_of_window, ["reassembly-limit|tcp-gap"]),
    ("krb-record-4g", krb_record_4g, ["krb-record-too-big", "krb-record-reserved|krb-record-too-big"]),
    ("deep-asn1", deep_asn1, ["der-too-deep|krb-decode-failed", "der-too-deep|spnego-malformed|gss-malformed"]),
    ("http-megabyte-header", http_megabyte_header, ["http-header-too-big"]),
    ("http-huge-content-length", http_huge_length, ["http-bad-length"]),
    ("http-chunk-overflow", http_chunk_overflow, ["http-bad-chunk"]),
    ("tcp-gaps", tcp_gaps, ["tcp-gap"]),
    ("dns-compression-loop", dns_compression_loop, ["dns-name-loop|dns-malformed"]),
    ("ntlm-secbuf-0xffffffff", ntlm_bad_secbuf, ["ntlm-field-out-of-range|ntlm-malformed"]),
    ("token-10mb", token_10mb, ["http-header-too-big|token-too-big"]),
    ("smb-compound-loop", smb_compound_loop, ["smb-chain-limit"]),
    ("smb-andx-loop", smb_andx_loop, ["smb-chain-limit"]),
    ("smb-nbss-max-length", smb_nbss_max, ["smb-pdu-too-big"]),
    ("smb-tiny-pdus", smb_tiny_pdus, ["-"]),
    ("smb-many-sessions", smb_many_sessions, ["-"]),
    ("ldap-endless-sasl-bind", ldap_endless_sasl, ["ldap-bind-steps-limit"]),
    ("dcerpc-fragment-chain", dcerpc_fragment_chain, ["dcerpc-fragment-limit"]),
    ("tds-tiny-packets", tds_tiny_packets, ["tds-packet-limit"]),
]


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    small = "--small" in argv
    if "--list" in argv:
        for name, _, exp in CAPTURES:
            print(name, " ".join(exp))
        return 0
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    out, only = args[0], set(args[1:])
    os.makedirs(out, exist_ok=True)
    for name, gen, _ in CAPTURES:
        if only and name not in only:
            continue
        pc = Pcap(os.path.join(out, name + ".pcap"))
        gen(pc, small)
        pc.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
