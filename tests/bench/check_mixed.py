#!/usr/bin/env python3
"""The benchmark's mixed capture, decoded: krbflow must find in it exactly the
messages and findings of the samples it replays (counted sample by sample),
plus one DNS message per bulk DNS answer; the bulk must add nothing else.

usage: check_mixed.py KRBFLOW CAPTURE SAMPLES_DIR
"""
import collections
import json
import os
import subprocess
import sys


def analyze(kf, path):
    p = subprocess.run([kf, "--json", path], capture_output=True)
    if p.returncode not in (0, 1):
        sys.exit("FAIL: krbflow exited %d on %s: %s" % (p.returncode, path, p.stderr.decode()[:300]))
    d = json.loads(p.stdout)
    msgs = collections.Counter((m["carrier"], m["type"]) for m in d["messages"])
    finds = collections.Counter(f["rule"] for f in d["findings"])
    return msgs, finds


def main():
    kf, capture, samples = sys.argv[1:4]
    man = json.load(open(capture + ".manifest.json"))
    want_m, want_f, cache = collections.Counter(), collections.Counter(), {}
    for name in man["instances"]:
        if name not in cache:
            cache[name] = analyze(kf, os.path.join(samples, name))
        want_m += cache[name][0]
        want_f += cache[name][1]
    want_m[("dns", "DNS")] += man["bulk_dns_answers"]
    got_m, got_f = analyze(kf, capture)
    bad = 0
    for k in sorted(set(want_m) | set(got_m)):
        if want_m[k] != got_m[k]:
            print("FAIL: %s %s: expected %d messages, got %d" % (k[0], k[1], want_m[k], got_m[k]))
            bad += 1
    for k in sorted(set(want_f) | set(got_f)):
        if want_f[k] != got_f[k]:
            print("FAIL: finding %s: expected %d, got %d" % (k, want_f[k], got_f[k]))
            bad += 1
    print("%s: %d sample instances, %d messages, %d findings %s" % (
        os.path.basename(capture), len(man["instances"]), sum(got_m.values()), sum(got_f.values()),
        "as expected" if not bad else "(%d differences)" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
