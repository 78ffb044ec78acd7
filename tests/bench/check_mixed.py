#!/usr/bin/env python3
"""The benchmark's mixed capture, decoded: krbflow must find in it exactly the
messages and findings of the samples it replays (counted sample by sample),
plus one DNS message per bulk DNS answer; the bulk must add nothing else.

The bulk's SMB2 sessions (TCP 445 and 139) carry NTLM in SESSION_SETUP; the
manifest lists each NTLM message the generator wrote (frame, type, client,
server).  Messages to or from those SMB servers are judged apart: krbflow must
report either none of them (no SMB carrier) or exactly the manifest's NTLM
messages, frame for frame; with --require-smb, exactly those.  Findings about
the SMB sessions (naming an SMB server, or citing a frame of an SMB security
token) are counted but not judged here, and so is capture-clock-implausible
(the replayed samples keep the KDC times of the day they were made).

usage: check_mixed.py [--require-smb] KRBFLOW CAPTURE SAMPLES_DIR
"""
import collections
import json
import os
import subprocess
import sys


def run(kf, path):
    p = subprocess.run([kf, "--json", path], capture_output=True)
    if p.returncode not in (0, 1):
        sys.exit("FAIL: krbflow exited %d on %s: %s" % (p.returncode, path, p.stderr.decode()[:300]))
    return json.loads(p.stdout)


def counts(messages, findings):
    return (collections.Counter((m["carrier"], m["type"]) for m in messages),
            collections.Counter(f["rule"] for f in findings))


class Smb:
    """The SMB part of a capture's manifest (empty for manifests without one)."""

    def __init__(self, man):
        smb = man.get("smb") or {"auth_messages": [], "sessions": []}
        self.servers = {c["server"] for c in smb["sessions"]}
        self.frames = {t["frame"] for c in smb["sessions"] for t in c["tokens"]}
        self.want = collections.Counter((a["frame"], a["type"]) for a in smb["auth_messages"])

    def message(self, m):
        return m.get("src") in self.servers or m.get("dst") in self.servers

    def finding(self, f):
        servers = set(f.get("subject", {}).get("server", []))
        return bool(servers & self.servers or set(f.get("frames", [])) & self.frames)

    def judge(self, name, messages, require):
        """Print the verdict on the SMB messages krbflow reported; returns the number of failures."""
        got = collections.Counter((m["frame"], m["type"]) for m in messages if m["type"].startswith("NTLM-"))
        others = collections.Counter(m["type"] for m in messages if not m["type"].startswith("NTLM-"))
        n_want = sum(self.want.values())
        if not messages and not require:
            print("note: %s: krbflow reported none of the %d NTLM messages of the SMB sessions (no SMB carrier)"
                  % (name, n_want))
            return 0
        bad = 0
        for k in sorted(set(self.want) | set(got)):
            if self.want[k] != got[k]:
                print("FAIL: %s: SMB %s at frame %d: expected %d, got %d" % (name, k[1], k[0], self.want[k], got[k]))
                bad += 1
        print("%s: %s: %d NTLM messages in SMB sessions%s" % (
            "ok" if not bad else "FAIL", name, sum(got.values()),
            ", other SMB messages %s" % dict(others) if others else ""))
        return bad


def main():
    args = sys.argv[1:]
    require = "--require-smb" in args
    args = [a for a in args if a != "--require-smb"]
    kf, capture, samples = args[:3]
    man = json.load(open(capture + ".manifest.json"))
    smb = Smb(man)
    want_m, want_f, cache = collections.Counter(), collections.Counter(), {}
    for name in man["instances"]:
        if name not in cache:
            d = run(kf, os.path.join(samples, name))
            cache[name] = counts(d["messages"], [f for f in d["findings"]
                                                 if f["rule"] != "capture-clock-implausible"])
        want_m += cache[name][0]
        want_f += cache[name][1]
    want_m[("dns", "DNS")] += man["bulk_dns_answers"]
    d = run(kf, capture)
    smb_msgs = [m for m in d["messages"] if smb.message(m)]
    smb_finds = [f for f in d["findings"] if smb.finding(f)]
    # The generator re-times the samples it replays, while their KDC errors
    # keep the stime of the day they were made: the capture's clock really is
    # days from every KDC's, a property of this synthetic file, not judged here.
    retimed = [f for f in d["findings"] if f["rule"] == "capture-clock-implausible"]
    got_m, got_f = counts([m for m in d["messages"] if not smb.message(m)],
                          [f for f in d["findings"] if not smb.finding(f) and f not in retimed])
    if retimed:
        print("note: capture-clock-implausible (%s): the replayed samples keep their KDC stime" %
              ", ".join(f["cause"] or "?" for f in retimed))
    bad = 0
    for k in sorted(set(want_m) | set(got_m)):
        if want_m[k] != got_m[k]:
            print("FAIL: %s %s: expected %d messages, got %d" % (k[0], k[1], want_m[k], got_m[k]))
            bad += 1
    for k in sorted(set(want_f) | set(got_f)):
        if want_f[k] != got_f[k]:
            print("FAIL: finding %s: expected %d, got %d" % (k, want_f[k], got_f[k]))
            bad += 1
    name = os.path.basename(capture)
    print("%s: %d sample instances, %d messages, %d findings %s" % (
        name, len(man["instances"]), sum(got_m.values()), sum(got_f.values()),
        "as expected" if not bad else "(%d differences)" % bad))
    bad += smb.judge(name, smb_msgs, require)
    if smb_finds:
        print("note: %s: %d findings about the SMB sessions, not judged here: %s" % (
            name, len(smb_finds), dict(collections.Counter(f["rule"] for f in smb_finds))))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
