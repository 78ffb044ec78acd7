#!/usr/bin/env python3
"""Make the two captures of the merge-double-hop case from samples/deleg-works.pcap
(a double hop captured once, on the lab's bridge), as if taken at two points:

- samples/merge-client-side.pcap: what a capture on the client 10.88.0.10 sees
  (its packets, Ethernet as in the original);
- samples/merge-front-side.pcap: what `tcpdump -i any` on the front end 10.88.0.30
  sees: its packets as Linux cooked captures (LINUX_SLL, no Ethernet padding),
  its clock 5 microseconds ahead.

The client <-> front end HTTP packets are in both files: `krbflow --merge`
must count each once (merged_duplicates) and tell the same story as
deleg-works.pcap alone.

Usage: python3 tests/golden/merge-double-hop/make.py   (from anywhere)
"""
import os
import struct
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SRC = os.path.join(ROOT, "samples", "deleg-works.pcap")
CLIENT = bytes([10, 88, 0, 10])
FRONT = bytes([10, 88, 0, 30])
SHIFT_US = 5
DLT_EN10MB, DLT_LINUX_SLL = 1, 113


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack("<I", data[:4])
    if magic != 0xA1B2C3D4:
        sys.exit(f"{path}: expected a little-endian microsecond pcap")
    _, _, _, _, snaplen, linktype = struct.unpack("<HHiIII", data[4:24])
    if linktype != DLT_EN10MB:
        sys.exit(f"{path}: expected Ethernet")
    off, pkts = 24, []
    while off < len(data):
        sec, usec, caplen, wirelen = struct.unpack("<IIII", data[off:off + 16])
        pkts.append((sec * 1000000 + usec, wirelen, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return snaplen, pkts


def write_pcap(path, snaplen, linktype, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for ts, wirelen, frame in pkts:
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), wirelen))
            f.write(frame)


def ipv4(frame):
    """(src, dst, IP packet without the link padding) of an Ethernet frame."""
    if frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    total, = struct.unpack(">H", ip[2:4])
    return ip[12:16], ip[16:20], ip[:total]


def cooked(frame, ip, outgoing):
    """A Linux cooked (SLL) frame: packet type, ARPHRD_ETHER, the sender's MAC."""
    src_mac = frame[6:12]
    hdr = struct.pack(">HHH", 4 if outgoing else 0, 1, 6) + src_mac + b"\0\0" + b"\x08\x00"
    return hdr + ip


def main():
    snaplen, pkts = read_pcap(SRC)
    client, front = [], []
    for ts, wirelen, frame in pkts:
        parsed = ipv4(frame)
        if not parsed:
            continue
        src, dst, ip = parsed
        if CLIENT in (src, dst):
            client.append((ts, wirelen, frame))
        if FRONT in (src, dst):
            sll = cooked(frame, ip, src == FRONT)
            front.append((ts + SHIFT_US, len(sll), sll))
    write_pcap(os.path.join(ROOT, "samples", "merge-client-side.pcap"), snaplen, DLT_EN10MB, client)
    write_pcap(os.path.join(ROOT, "samples", "merge-front-side.pcap"), snaplen, DLT_LINUX_SLL, front)
    shared = sum(1 for _, _, fr in pkts if ipv4(fr) and {CLIENT, FRONT} <= set(ipv4(fr)[:2]))
    print(f"{len(pkts)} packets: client side {len(client)}, front side {len(front)}, in both {shared}")


if __name__ == "__main__":
    main()
