#!/usr/bin/env bash
# The benchmark kept honest in CI, without timing anything (speed is judged by
# bench/run.py, not by tests): the generator is deterministic; krbflow finds
# in a mixed capture exactly what the replayed samples hold (the bulk traffic
# neither hides nor invents anything); bulk-only traffic yields no finding;
# the skip path does not allocate per packet (allocations do not grow with the
# number of bulk packets beyond one handful per connection); the runner runs,
# alone and against a baseline (--baseline).
#
# Usage: run-smoke.sh KRBFLOW
set -u
kf=${1:?usage: run-smoke.sh path/to/krbflow}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v python3 >/dev/null || { echo "skip: python3 not found"; exit 77; }
tmp=$(mktemp -d /tmp/krbflow-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
gen="python3 $root/bench/gen_capture.py"
fail=0

# 1. same arguments, same bytes
$gen --size 12M --seed 7 -o "$tmp/a.pcap" 2>/dev/null && $gen --size 12M --seed 7 -o "$tmp/b.pcap" 2>/dev/null ||
	{ echo "FAIL: generator"; exit 1; }
if cmp -s "$tmp/a.pcap" "$tmp/b.pcap"; then echo "ok: generator deterministic"; else echo "FAIL: two runs differ"; fail=1; fi

# 2. the replayed samples, all of them and nothing else
python3 "$here/check_mixed.py" "$kf" "$tmp/a.pcap" "$root/samples" || fail=1

# 3. bulk only: no finding, and allocations per connection, not per packet
$gen --size 6M --bulk-only -o "$tmp/bulk6.pcap" 2>/dev/null && $gen --size 24M --bulk-only -o "$tmp/bulk24.pcap" 2>/dev/null ||
	{ echo "FAIL: generator (bulk)"; exit 1; }
python3 - "$kf" "$tmp" <<'PY' || fail=1
import json, os, re, subprocess, sys
kf, tmp = sys.argv[1], sys.argv[2]
res = {}
for n in ("bulk6", "bulk24"):
    p = subprocess.run([kf, "--json", "%s/%s.pcap" % (tmp, n)], capture_output=True,
                       env=dict(os.environ, KRBFLOW_COUNT_ALLOC="1"))
    d = json.loads(p.stdout)
    allocs = int(re.search(rb"allocations: (\d+)", p.stderr).group(1))
    man = json.load(open("%s/%s.pcap.manifest.json" % (tmp, n)))
    others = [m for m in d["messages"] if m["carrier"] != "dns"]
    res[n] = (man["packets"], allocs)
    if d["findings"] or others:
        print("FAIL: %s: bulk traffic gave %d findings, %d non-DNS messages" % (n, len(d["findings"]), len(others)))
        sys.exit(1)
(p6, a6), (p24, a24) = res["bulk6"], res["bulk24"]
per_packet = (a24 - a6) / max(p24 - p6, 1)
print("%s: bulk %d -> %d packets, allocations %d -> %d (%.4f per added packet)" % (
    "ok" if per_packet < 0.02 else "FAIL", p6, p24, a6, a24, per_packet))
sys.exit(0 if per_packet < 0.02 else 1)
PY

# 4. the runner, on a small capture, with its own launcher (no timing judged)
fl=$(dirname "$kf")/bench/krbflow-floor
if [ -x "$fl" ] && [ -x "$(dirname "$kf")/bench/krbflow-bench-spawn" ]; then
	out=$(python3 "$root/bench/run.py" --sizes 3M --runs 1 --tshark-runs 0 --cpu -1 --data "$tmp/data" \
		--krbflow "$kf" --floor "$fl" 2>&1)
	if echo "$out" | grep -q "krbflow/floor" && echo "$out" | grep -q "| mixed | 3M |"; then
		echo "ok: runner printed its table"
	else
		echo "FAIL: runner"; echo "$out" | tail -20; fail=1
	fi
	# 5. the runner against a baseline (krbflow against itself): one comparison line per
	# capture, every figure a number (their values are not judged)
	out=$(python3 "$root/bench/run.py" --sizes 3M --runs 1 --tshark-runs 0 --cpu -1 --data "$tmp/data" \
		--krbflow "$kf" --floor "$fl" --baseline "$kf" 2>&1)
	if python3 - "$out" <<'PY'; then
import sys
lines = sys.argv[1].splitlines()
head = "| capture | size | krbflow/baseline | krbflow peak RSS MiB | baseline peak RSS MiB | krbflow/floor | baseline/floor |"
if head not in lines:
    sys.exit("no krbflow/baseline table")
rows = {}
for line in lines[lines.index(head) + 2:]:
    if not line.startswith("|"):
        break
    cells = [c.strip() for c in line.strip("|").split("|")]
    rows[(cells[0], cells[1])] = [float(c) for c in cells[2:]]  # ValueError: not a number
if sorted(rows) != [("bulk", "3M"), ("mixed", "3M")] or any(len(v) != 5 for v in rows.values()):
    sys.exit("krbflow/baseline rows: %s" % sorted(rows))
if not any(l.startswith("| mixed | 3M | ") and "| baseline | 1 |" in l for l in lines):
    sys.exit("no baseline row in the main table")
PY
		echo "ok: runner compared krbflow with a baseline"
	else
		echo "FAIL: runner --baseline"; echo "$out" | tail -20; fail=1
	fi
else
	echo "note: floor program not built next to krbflow, runner not tried"
fi
exit $fail
