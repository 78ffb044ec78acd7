#!/usr/bin/env python3
"""krbflow audit checked against krbflow itself: every JSON Lines document of
`krbflow audit --json` equals `krbflow --json` of that capture alone; the
summary's totals and rows agree with those documents; -j 1 and -j 2 give the
same output; the shards 1/3..3/3 merged give the single run's summary.

usage: check_audit.py KRBFLOW PATH...
"""
import collections
import json
import subprocess
import sys
import tempfile


def run(argv):
    p = subprocess.run(argv, capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def main():
    kf, paths = sys.argv[1], sys.argv[2:]
    bad = []
    rc, lines, err = run([kf, "audit", "--json", "-j", "2", "--no-progress"] + paths)
    docs = [json.loads(l) for l in lines.splitlines() if l.strip()]
    unreadable = sum(1 for d in docs if "error" in d["capture"])
    if rc not in ((2,) if unreadable else (0, 1)):
        sys.exit("FAIL: audit --json exited %d: %s" % (rc, err[:500]))
    files = [d["capture"]["file"] for d in docs]
    if files != sorted(files):
        bad.append("documents not in file-name order")
    # 1. each document is the capture's own analysis
    for d in docs:
        f = d["capture"]["file"]
        if "error" in d["capture"]:
            continue
        rc1, out1, _ = run([kf, "--json", f])
        if json.loads(out1) != d:
            bad.append("%s: audit document differs from krbflow --json" % f)
    # 2. the summary agrees with the documents
    rc, summary, err = run([kf, "audit", "-j", "2", "--no-progress"] + paths)
    first = summary.splitlines()[0] if summary else ""
    sev = collections.Counter(f["severity"] for d in docs for f in d.get("findings", []))
    msgs = sum(len(d.get("messages", [])) for d in docs)
    ok_docs = [d for d in docs if "error" not in d["capture"]]
    expect = "%d capture%s" % (len(docs), "" if len(docs) == 1 else "s")
    if len(ok_docs) != len(docs):
        expect += " (%d unreadable)" % (len(docs) - len(ok_docs))
    expect += ", %d authentication messages; findings: %d error, %d warning, %d info" % (
        msgs, sev["error"], sev["warning"], sev["info"])
    if first != expect:
        bad.append("summary line %r, expected %r" % (first, expect))
    rows = {}
    lines_ = summary.splitlines()
    for i, l in enumerate(lines_):
        for d in ok_docs:
            f = d["capture"]["file"]
            if l.startswith(f) and (l == f or l[len(f)] == " "):
                nums = (l[len(f):] if l != f else lines_[i + 1]).split()
                rows[f] = nums[:5]
    for d in ok_docs:
        f = d["capture"]["file"]
        s = collections.Counter(x["severity"] for x in d["findings"])
        want = [str(d["capture"]["packets"]), str(len(d["messages"])), str(s["error"]), str(s["warning"]),
                str(s["info"])]
        if rows.get(f) != want:
            bad.append("%s: summary row %s, expected %s" % (f, rows.get(f), want))
    # 3. one worker or two: the same
    rc1, summary1, _ = run([kf, "audit", "-j", "1", "--no-progress"] + paths)
    if summary1 != summary:
        bad.append("-j 1 and -j 2 summaries differ")
    # 4. shards merged = the single run
    with tempfile.TemporaryDirectory() as tmp:
        parts = []
        for k in (1, 2, 3):
            rck, out, _ = run([kf, "audit", "--json", "--no-progress", "--shard", "%d/3" % k] + paths)
            part = "%s/shard%d.jsonl" % (tmp, k)
            open(part, "w").write(out)
            parts.append(part)
        rcm, merged, err = run([kf, "merge"] + parts)
        if merged != summary:
            bad.append("merged shards differ from the single run")
        if rcm != rc:
            bad.append("merge exit %d, audit exit %d" % (rcm, rc))
        allk = sorted(l for p in parts for l in open(p).read().splitlines())
        if allk != sorted(lines.splitlines()):
            bad.append("shards' documents are not the single run's")
    for b in bad:
        print("FAIL: " + b)
    print("%s: %d captures, %d messages, findings %s" % (
        "ok" if not bad else "FAIL", len(docs), msgs, dict(sev)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
