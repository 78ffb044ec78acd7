#!/usr/bin/env python3
"""Compare fresh lab captures with the committed samples of the same name.

For each capture the lab wrote, krbflow --json is run on it and on the
committed sample, and two things must match:
  - the story: the sequence of messages as (carrier, type, error code, NTLM
    or HTTP status where present), consecutive repeats folded (so a different
    number of retransmissions is not a difference);
  - the findings: the set of (rule, severity).
Frames, times, addresses, nonces and bytes are not compared. A capture the
lab wrote without a committed counterpart, or a committed sample the lab did
not write (unless listed in samples/lab/unstable.txt with a reason), fails.
Prints one line per capture and closes with "lab: N passed, M failed".
"""
import json
import os
import subprocess
import sys


def krbflow_doc(krbflow, path):
    r = subprocess.run([krbflow, "--json", path], capture_output=True, timeout=300)
    if r.returncode not in (0, 1):
        raise RuntimeError(f"krbflow exited {r.returncode} on {path}: {r.stderr.decode(errors='replace')[:300]}")
    return json.loads(r.stdout)


def story(doc):
    seq = []
    for m in doc.get("messages", []):
        item = (m.get("carrier"), m.get("type"), m.get("error_code"), m.get("status"))
        if not seq or seq[-1] != item:
            seq.append(item)
    return seq


def findings(doc):
    return sorted({(f.get("rule"), f.get("severity")) for f in doc.get("findings", [])})


def fmt(item):
    carrier, typ, err, status = item
    s = f"{carrier}:{typ}"
    if err is not None:
        s += f"({err})"
    if status is not None:
        s += f"[{status}]"
    return s


def load_unstable(samples):
    path = os.path.join(samples, "lab", "unstable.txt")
    out = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            if not reason.strip():
                raise SystemExit(f"{path}: entry '{name}' needs a reason")
            out[name] = reason.strip()
    return out


def main():
    krbflow, samples, fresh = sys.argv[1:4]
    unstable = load_unstable(samples)
    passed = failed = 0
    fresh_caps = sorted(f for f in os.listdir(fresh) if f.endswith(".pcap"))
    committed = sorted(f for f in os.listdir(samples) if f.endswith(".pcap") and not f.startswith(("synthetic-", "merge-")))
    for name in committed:
        if name not in fresh_caps:
            print(f"FAIL {name}: committed sample not produced by the lab")
            failed += 1
    for name in fresh_caps:
        ref_path = os.path.join(samples, name)
        if not os.path.exists(ref_path):
            print(f"FAIL {name}: the lab wrote it but no committed sample has that name")
            failed += 1
            continue
        try:
            a = krbflow_doc(krbflow, ref_path)
            b = krbflow_doc(krbflow, os.path.join(fresh, name))
        except Exception as e:  # a crash or bad JSON is a failure, with the reason
            print(f"FAIL {name}: {e}")
            failed += 1
            continue
        problems = []
        sa, sb = story(a), story(b)
        if sa != sb:
            problems.append("story differs:\n      committed: " + " ".join(map(fmt, sa)) +
                            "\n      fresh:     " + " ".join(map(fmt, sb)))
        fa, fb = findings(a), findings(b)
        if fa != fb:
            problems.append(f"findings differ: committed {fa}, fresh {fb}")
        if problems and name in unstable:
            print(f"PASS {name} (unstable: {unstable[name]}; {len(problems)} difference(s) tolerated)")
            passed += 1
        elif problems:
            print(f"FAIL {name}: " + "; ".join(problems))
            failed += 1
        else:
            print(f"PASS {name}: {len(sa)} steps, {len(fa)} findings")
            passed += 1
    print(f"lab: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
