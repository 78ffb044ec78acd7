#!/usr/bin/env python3
"""Write samples/synthetic-crossrealm-delegation.pcap: a SYNTHETIC capture.

Classic (msDS-AllowedToDelegateTo) constrained delegation across domains
fails on a Windows DC with KDC_ERR_BADOPTION carrying NTSTATUS 0xC000040B
(STATUS_CROSSREALM_DELEGATION_FAILURE). The lab's Samba AD DC cannot produce
that (see samples/lab/scenarios/samba.md), so this script builds the two
messages from the specifications, with no Kerberos library and no keys:

  * RFC 4120 (ASN.1 DER of TGS-REQ, Ticket, AP-REQ, KRB-ERROR);
  * MS-SFU 2.2.2 / 3.1.5.2.1: the S4U2Proxy TGS-REQ carries the user's
    service ticket to the front end in additional-tickets, KDC option
    cname-in-addl-tkt (bit 14), PA-PAC-OPTIONS (MS-KILE 2.2.10) with the
    resource-based-constrained-delegation bit, and sname/realm of the
    back-end service -- here in another realm;
  * MS-KILE 2.2.1 / 2.2.2: the KRB-ERROR's e-data is KERB-ERROR-DATA
    { data-type [1] = 3 (KERB_ERR_TYPE_EXTENDED), data-value [2] = a 12-byte
    KERB-EXT-ERROR: status, reserved (0), flags (1), each a little-endian
    32-bit integer }. (Wireshark dissects this as a PA-DATA of type 3,
    PA-PW-SALT, and shows the NTSTATUS.)

Everything encrypted (ticket parts, authenticator) is random filler from a
fixed seed, so the output is the same on every run. The exchange runs over
one TCP connection (handshake, request, reply, close) from the front end
10.88.0.51 to the DC 10.88.0.50, the lab's addresses.

Usage: python3 samples/lab/synth/crossrealm_delegation.py [OUTPUT.pcap]
"""

import os
import random
import struct
import sys

# ------------------------------------------------------------------ DER ---


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def seq(*items):
    return tlv(0x30, b"".join(items))


def ctx(n, content):            # [n] EXPLICIT, constructed context tag
    return tlv(0xA0 | n, content)


def app(n, content):            # [APPLICATION n], constructed
    return tlv(0x60 | n, content)


def integer(v):
    n = 1
    while not -(1 << (8 * n - 1)) <= v < (1 << (8 * n - 1)):
        n += 1
    return tlv(0x02, v.to_bytes(n, "big", signed=True))


def gstring(s):                 # KerberosString / Realm: GeneralString
    return tlv(0x1B, s.encode("ascii"))


def octets(b):
    return tlv(0x04, b)


def flags32(v):                 # KerberosFlags: BIT STRING of 32 bits
    return tlv(0x03, b"\x00" + v.to_bytes(4, "big"))


def ktime(s):                   # KerberosTime: GeneralizedTime, "YYYYMMDDHHMMSSZ"
    return tlv(0x18, s.encode("ascii"))


# ------------------------------------------------------------- Kerberos ---
NT_PRINCIPAL, NT_SRV_INST = 1, 2
AES256 = 18


def principal(name_type, *components):
    return seq(ctx(0, integer(name_type)), ctx(1, seq(*(gstring(c) for c in components))))


def enc_data(etype, cipher, kvno=None):
    parts = [ctx(0, integer(etype))]
    if kvno is not None:
        parts.append(ctx(1, integer(kvno)))
    parts.append(ctx(2, octets(cipher)))
    return seq(*parts)


def ticket(realm, sname, cipher, kvno):
    return app(1, seq(ctx(0, integer(5)), ctx(1, gstring(realm)), ctx(2, sname),
                      ctx(3, enc_data(AES256, cipher, kvno))))


def pa_data(padata_type, value):
    return seq(ctx(1, integer(padata_type)), ctx(2, octets(value)))


def kdc_option_bits(*bits):
    v = 0
    for b in bits:
        v |= 1 << (31 - b)
    return v


FRONT_REALM = "AD.LAB.TEST"            # the front end's (and user's) domain
BACK_REALM = "RES.LAB.TEST"            # the back end's domain
BACK_SPN = ("MSSQLSvc", "sql.res.lab.test:1433")
FRONT_ACCOUNT = "websvc"


def s4u2proxy_tgs_req(rng):
    tgt = ticket(FRONT_REALM, principal(NT_SRV_INST, "krbtgt", FRONT_REALM),
                 rng.randbytes(420), kvno=2)
    ap_req = app(14, seq(ctx(0, integer(5)), ctx(1, integer(14)), ctx(2, flags32(0)),
                         ctx(3, tgt), ctx(4, enc_data(AES256, rng.randbytes(180)))))
    # PA-PAC-OPTIONS ::= SEQUENCE { flags [0] PAC-OPTIONS-FLAGS }; bit 3 is
    # resource-based-constrained-delegation (MS-KILE 2.2.10).
    pac_options = seq(ctx(0, flags32(kdc_option_bits(3))))
    # The user's service ticket to the front end (from S4U2Self), encrypted
    # in the front end's key.
    evidence = ticket(FRONT_REALM, principal(NT_PRINCIPAL, FRONT_ACCOUNT),
                      rng.randbytes(400), kvno=2)
    # forwardable(1) renewable(8) cname-in-addl-tkt(14) canonicalize(15)
    # renewable-ok(27)
    options = kdc_option_bits(1, 8, 14, 15, 27)
    body = seq(ctx(0, flags32(options)),
               ctx(2, gstring(BACK_REALM)),
               ctx(3, principal(NT_SRV_INST, *BACK_SPN)),
               ctx(5, ktime("20370913024805Z")),
               ctx(7, integer(rng.getrandbits(31))),
               ctx(8, seq(*(integer(e) for e in (18, 17, 23, 24, -135)))),
               ctx(11, seq(evidence)))
    return app(12, seq(ctx(1, integer(5)), ctx(2, integer(12)),
                       ctx(3, seq(pa_data(1, ap_req), pa_data(167, pac_options))),
                       ctx(4, body)))


KDC_ERR_BADOPTION = 13
KERB_ERR_TYPE_EXTENDED = 3
STATUS_CROSSREALM_DELEGATION_FAILURE = 0xC000040B


def krb_error_badoption(stime, susec):
    ext_error = struct.pack("<III", STATUS_CROSSREALM_DELEGATION_FAILURE, 0, 1)
    kerb_error_data = seq(ctx(1, integer(KERB_ERR_TYPE_EXTENDED)), ctx(2, octets(ext_error)))
    return app(30, seq(ctx(0, integer(5)), ctx(1, integer(30)),
                       ctx(4, ktime(stime)), ctx(5, integer(susec)),
                       ctx(6, integer(KDC_ERR_BADOPTION)),
                       ctx(9, gstring(BACK_REALM)),
                       ctx(10, principal(NT_SRV_INST, *BACK_SPN)),
                       ctx(12, octets(kerb_error_data))))


# ------------------------------------------------------ Ethernet/IP/TCP ---
MAC_FE, MAC_DC = bytes.fromhex("028800000051"), bytes.fromhex("028800000050")
IP_FE, IP_DC = bytes([10, 88, 0, 51]), bytes([10, 88, 0, 50])
SYN, FIN, PSH, ACK = 0x02, 0x01, 0x08, 0x10


def checksum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Flow:
    """One TCP connection; frame() returns an Ethernet frame."""

    def __init__(self, sport, dport, isn_c, isn_s):
        self.port = {"c": sport, "s": dport}
        self.seq = {"c": isn_c, "s": isn_s}
        self.ip_id = {"c": 0x4d2, "s": 0x1a2b}

    def frame(self, side, flags, payload=b"", options=b""):
        other = "s" if side == "c" else "c"
        src_ip, dst_ip = (IP_FE, IP_DC) if side == "c" else (IP_DC, IP_FE)
        src_mac, dst_mac = (MAC_FE, MAC_DC) if side == "c" else (MAC_DC, MAC_FE)
        ack = self.seq[other] if flags & ACK else 0
        hdr_len = 20 + len(options)
        tcp = struct.pack("!HHIIBBHHH", self.port[side], self.port[other], self.seq[side], ack,
                          (hdr_len // 4) << 4, flags, 64240 if side == "c" else 65160, 0, 0)
        tcp += options
        pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp + payload)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload),
                         self.ip_id[side], 0x4000, 128 if side == "s" else 64, 6, 0,
                         src_ip, dst_ip)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        self.ip_id[side] += 1
        self.seq[side] = (self.seq[side] + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF
        return dst_mac + src_mac + b"\x08\x00" + ip + tcp + payload


def record(msg):                # Kerberos over TCP: 4-byte length, then the message
    return struct.pack("!I", len(msg)) + msg


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for t, data in frames:
            sec, usec = int(t), round((t - int(t)) * 1e6)
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "..", "synthetic-crossrealm-delegation.pcap")
    rng = random.Random(0x40B)
    t0 = 1795323600.0                   # 2026-11-22 05:00:00 UTC
    req = s4u2proxy_tgs_req(rng)
    err = krb_error_badoption("20261122050000Z", 2817)
    mss = bytes([2, 4, 0x05, 0xB4])     # MSS 1460
    flow = Flow(rng.randint(49152, 65535), 88, rng.getrandbits(32), rng.getrandbits(32))
    frames = [
        (t0 + 0.000000, flow.frame("c", SYN, options=mss)),
        (t0 + 0.000210, flow.frame("s", SYN | ACK, options=mss)),
        (t0 + 0.000260, flow.frame("c", ACK)),
        (t0 + 0.000400, flow.frame("c", PSH | ACK, record(req))),
        (t0 + 0.000450, flow.frame("s", ACK)),
        (t0 + 0.002817, flow.frame("s", PSH | ACK, record(err))),
        (t0 + 0.002900, flow.frame("c", ACK)),
        (t0 + 0.003100, flow.frame("c", FIN | ACK)),
        (t0 + 0.003250, flow.frame("s", FIN | ACK)),
        (t0 + 0.003300, flow.frame("c", ACK)),
    ]
    write_pcap(out, frames)
    print("wrote %s (%d frames, TGS-REQ %d bytes, KRB-ERROR %d bytes)"
          % (os.path.normpath(out), len(frames), len(req), len(err)))


if __name__ == "__main__":
    main()
