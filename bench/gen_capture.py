#!/usr/bin/env python3
"""Write a large, deterministic mixed capture for the krbflow benchmark.

Bulk traffic: HTTP downloads and uploads on many connections and ports
(keep-alive, Content-Length and chunked bodies, 100-continue), TLS on 443,
SSH and database-like binary streams, DNS, syslog and RTP-like UDP; IPv4
and some IPv6.  Authentication: the bundled samples' exchanges (Kerberos,
Negotiate, NTLM) replayed with rewritten addresses and client ports, spread
over the capture so that about --auth-share of the packets are theirs.

The same arguments give the same bytes (one seeded generator, no clock).
A manifest (OUT.manifest.json) lists the replayed samples for the tests.

  bench/gen_capture.py --size 100M -o mixed-100M.pcap
  bench/gen_capture.py --size 1G --bulk-only -o bulk-1G.pcap
"""
import argparse
import array
import glob
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

    def send(self, from_client, pieces):
        """Segments of the byte stream made of pieces; the receiver ACKs every second one."""
        buf = b""
        i = 0 if from_client else 1
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
                yield from self._segment(from_client, i, seg)
        if buf:
            yield from self._segment(from_client, i, buf)
        if self.unacked[i]:
            self.unacked[i] = 0
            yield self._pkt(not from_client, 0x10)

    def _segment(self, from_client, i, seg):
        yield self._pkt(from_client, 0x18, seg)
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
    ap.add_argument("--bulk-only", action="store_true", help="no authentication replays")
    ap.add_argument("--auth-share", type=float, default=0.05, help="share of packets replayed (default 0.05)")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    ap.add_argument("--samples", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples"),
                    help="directory of the .pcap samples to replay")
    ap.add_argument("--concurrent", type=int, default=48, help="bulk sessions interleaved at a time")
    a = ap.parse_args()
    target = parse_size(a.size)
    rng = random.Random(a.seed)
    bulk = Bulk(rng)

    # Replays: evenly spread over the capture's estimated span.
    avg_bulk_frame = 1000.0     # bytes per bulk packet incl. record header, measured
    gap_us = 20                 # mean time between bulk packets
    est_packets = target / avg_bulk_frame
    auth = []                   # (ts, frame)
    manifest = {"seed": a.seed, "size": target, "bulk_only": a.bulk_only, "instances": []}
    if not a.bulk_only:
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
            head, payload = next(active[k])
        except StopIteration:
            active[k] = bulk.session()
            continue
        now += rng.randrange(1, 2 * gap_us)
        while ai < len(auth) and auth[ai][0] <= now:
            put(auth[ai][0], auth[ai][1])
            ai += 1
            auth_packets += 1
        put(now, head, payload)
    while ai < len(auth):  # replays planned past the bulk's end
        put(max(now, auth[ai][0]), auth[ai][1])
        ai += 1
        auth_packets += 1
    out.close()

    manifest.update(packets=packets, auth_packets=auth_packets, bytes=written, bulk_dns_answers=bulk.dns_answers)
    with open(a.output + ".manifest.json", "w") as m:
        json.dump(manifest, m, indent=1)
    print("%s: %d bytes, %d packets, %d replayed (%.1f%%) from %d sample instances" % (
        a.output, written, packets, auth_packets, 100.0 * auth_packets / max(packets, 1),
        len(manifest["instances"])), file=sys.stderr)


if __name__ == "__main__":
    main()
