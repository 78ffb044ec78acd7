#!/usr/bin/env python3
"""Whole-capture mutation: damage the sample captures and run krbflow on each variant.

Usage: mutate.py KRBFLOW [--count N] [--seed S] [--keep DIR] [--timeout S] SAMPLE.pcap...

Mutations (fixed seed, so a batch is reproducible): truncation at a random byte; 1-8 bit flips;
a length field (pcap record caplen/len, IPv4 total length, UDP length, Kerberos record mark, a
DER length, an HTTP Content-Length) set to 0, 0x7fffffff or 0xffffffff (or the field's maximum);
a record duplicated or removed.  Every run must exit 0, 1 or 2, not be killed by a signal or the
timeout, and print no sanitizer report.  A truncated variant must still report every message of
a frame wholly before the cut, with the same type (rejecting damaged input wholesale is not
robustness).  Failing variants are written to --keep DIR.  Stdlib only.
"""
import argparse
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

SAN = (b"ERROR: AddressSanitizer", b"runtime error:", b"ERROR: LeakSanitizer")


def records(data):
    """(offset, caplen) of each classic pcap record, little or big endian."""
    magic = data[:4]
    end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    out, off = [], 24
    while off + 16 <= len(data):
        cap = struct.unpack_from(end + "I", data, off + 8)[0]
        if off + 16 + cap > len(data):
            break
        out.append((off, cap))
        off += 16 + cap
    return end, out


def messages(kf, path, timeout):
    p = subprocess.run([kf, "--json", path], capture_output=True, timeout=timeout)
    d = json.loads(p.stdout)
    out = []
    for m in d["messages"]:
        # By design (analyzer/app_tcp.c kf_app_release) an HTTP request without
        # credentials is recorded only once its response arrives: when the cut
        # falls before that response, it is not expected.
        need = m.get("reply_in", 0) if m["type"] == "HTTP-REQUEST" and "auth_scheme" not in m else 0
        out.append((m["frame"], m["type"], need))
    return out


def length_fields(data, recs):
    """Offsets and widths of length fields worth corrupting (absolute offsets, big endian)."""
    f = []
    for off, cap in recs:
        p = off + 16
        f.append(("pcap-caplen", off + 8, 4, "<"))
        f.append(("pcap-len", off + 12, 4, "<"))
        if cap >= 34 and data[p + 12:p + 14] == b"\x08\x00":
            ip = p + 14
            ihl = (data[ip] & 15) * 4
            f.append(("ip-total", ip + 2, 2, ">"))
            if data[ip + 9] == 17 and cap >= 14 + ihl + 8:
                f.append(("udp-len", ip + ihl + 4, 2, ">"))
            if data[ip + 9] == 6 and cap >= 14 + ihl + 20:
                tcp = ip + ihl
                doff = (data[tcp + 12] >> 4) * 4
                pay = tcp + doff
                if pay + 4 <= p + cap and 88 in struct.unpack_from(">HH", data, tcp):
                    f.append(("krb-record-mark", pay, 4, ">"))
                cl = data.find(b"Content-Length:", pay, p + cap)
                if cl > 0:
                    f.append(("content-length", cl + 16, 0, "http"))
        # DER lengths: the byte after a constructed tag, long form
        for i in range(p + 42, p + cap - 3):
            if data[i] in (0x30, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x7E, 0xA0, 0xA1, 0xA2, 0xA3, 0xA4) and \
                    data[i + 1] in (0x81, 0x82):
                f.append(("der-length", i + 1, 1 + (data[i + 1] & 0x7F), "der"))
    return f


def mutate(rng, data, end, recs):
    """Return (kind, description, variant, first damaged frame (1-based) or None)."""
    kind = rng.choice(["truncate", "truncate", "bitflip", "bitflip", "length", "length", "length", "dup", "drop"])
    if kind == "truncate" or not recs:
        cut = rng.randrange(24, len(data))
        frame = next((i + 1 for i, (o, c) in enumerate(recs) if o + 16 + c > cut), len(recs) + 1)
        return "truncate", "cut at byte %d" % cut, data[:cut], frame
    v = bytearray(data)
    if kind == "bitflip":
        n = rng.randint(1, 8)
        pos = [rng.randrange(24, len(v)) for _ in range(n)]
        for q in pos:
            v[q] ^= 1 << rng.randrange(8)
        first = min(next((i + 1 for i, (o, c) in enumerate(recs) if o + 16 + c > q), 0) for q in pos)
        return "bitflip", "bits at %s" % pos, bytes(v), first
    if kind == "length":
        name, off, width, how = rng.choice(length_fields(data, recs))
        frame = next((i + 1 for i, (o, c) in enumerate(recs) if o + 16 + c > off), 0)
        if how == "http":
            val = rng.choice([b"0", b"2147483647", b"4294967295", b"18446744073709551615", b"-1"])
            e = data.find(b"\r\n", off)
            v[off:e] = val
            return "length", "%s=%s at %d" % (name, val.decode(), off), bytes(v), frame
        if how == "der":
            val = rng.choice([0, 0x7FFFFFFF, 0xFFFFFFFF])
            nb = width - 1
            v[off + 1:off + 1 + nb] = (val & ((1 << (8 * nb)) - 1)).to_bytes(nb, "big")
            if rng.random() < 0.5:  # or make it a 4-byte length
                v[off:off + width] = b"\x84" + val.to_bytes(4, "big")
                v[off + 5:off + 5] = b""
            return "length", "%s=%#x at %d" % (name, val, off), bytes(v), frame
        val = rng.choice([0, 0x7FFFFFFF, 0xFFFFFFFF]) & ((1 << (8 * width)) - 1)
        fmt = {"<": "<", ">": ">"}[how] + ("I" if width == 4 else "H")
        if how == "<":
            fmt = end + "I"
        struct.pack_into(fmt, v, off, val)
        return "length", "%s=%#x at %d" % (name, val, off), bytes(v), frame
    i = rng.randrange(len(recs))
    o, c = recs[i]
    rec = data[o:o + 16 + c]
    if kind == "dup":
        return "dup", "record %d duplicated" % (i + 1), data[:o + 16 + c] + rec + data[o + 16 + c:], i + 2
    return "drop", "record %d removed" % (i + 1), data[:o] + data[o + 16 + c:], i + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("krbflow")
    ap.add_argument("samples", nargs="+")
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=20241122)
    ap.add_argument("--keep")
    ap.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    base = {}
    for s in a.samples:
        data = open(s, "rb").read()
        end, recs = records(data)
        base[s] = (data, end, recs, messages(a.krbflow, s, a.timeout))
    tmpd = tempfile.mkdtemp(prefix="krbflow-mutate.")
    path = os.path.join(tmpd, "variant.pcap")
    stats, fails = {}, 0
    exits = {}
    for n in range(a.count):
        s = a.samples[n % len(a.samples)]
        data, end, recs, msgs = base[s]
        kind, desc, var, frame = mutate(rng, data, end, recs)
        with open(path, "wb") as f:
            f.write(var)
        why = None
        try:
            p = subprocess.run([a.krbflow, "--json", path], capture_output=True, timeout=a.timeout, env=env)
            rc = p.returncode
            exits[rc] = exits.get(rc, 0) + 1
            if rc < 0:
                why = "killed by signal %d" % -rc
            elif any(x in p.stderr for x in SAN):
                why = "sanitizer report: " + p.stderr.decode(errors="replace")[:400]
            elif rc not in (0, 1, 2):
                why = "exit %d: %s" % (rc, p.stderr.decode(errors="replace")[:200])
            elif kind == "truncate" and rc != 2:
                got = set()
                try:
                    got = {(m["frame"], m["type"]) for m in json.loads(p.stdout)["messages"]}
                except Exception as e:
                    why = "output is not JSON: %s" % e
                if why is None:
                    missing = [m[:2] for m in msgs if m[0] < frame and m[2] < frame and m[:2] not in got]
                    if missing:
                        why = "truncated before frame %d, lost %s" % (frame, missing[:5])
            elif kind == "truncate":
                why = "a truncated capture was rejected wholesale (exit 2)" if frame > 1 else None
        except subprocess.TimeoutExpired:
            why = "no exit within %.0f s (hang)" % a.timeout
        st = stats.setdefault(kind, [0, 0])
        st[0] += 1
        if why:
            st[1] += 1
            fails += 1
            keep = ""
            if a.keep:
                os.makedirs(a.keep, exist_ok=True)
                keep = os.path.join(a.keep, "%05d-%s-%s" % (n, kind, os.path.basename(s)))
                with open(keep, "wb") as f:
                    f.write(var)
            if fails <= 20:
                print("FAIL #%d %s %s (%s): %s %s" % (n, os.path.basename(s), kind, desc, why, keep))
    os.unlink(path)
    os.rmdir(tmpd)
    print("variants by kind (run, failed): " +
          ", ".join("%s %d/%d" % (k, v[0], v[1]) for k, v in sorted(stats.items())))
    print("exit codes: " + ", ".join("%d: %d" % kv for kv in sorted(exits.items())))
    print("hostile mutate: %d passed, %d failed (seed %d)" % (a.count - fails, fails, a.seed))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
