#!/usr/bin/env bash
# The benchmark kept honest in CI, without timing anything (speed is judged by
# bench/run.py, not by tests): the generator is deterministic; krbflow finds
# in a mixed capture exactly what the replayed samples hold (the bulk traffic
# neither hides nor invents anything); bulk-only traffic yields no finding;
# the skip path does not allocate per packet (allocations do not grow with the
# number of bulk packets beyond one handful per connection); SMB2 bulk yields
# nothing but the NTLM messages of its SESSION_SETUPs (none while krbflow has
# no SMB carrier), allocations and peak RSS that do not grow with the number of
# SMB PDUs on one connection, and, where tshark is installed, no packet tshark
# calls malformed and NTLM exactly at the manifest's frames; the runner runs,
# alone and against a baseline (--baseline).
#
# SMB: krbflow has no SMB carrier yet, so the SMB sessions' NTLM messages are
# tolerated (none, or exactly the manifest's); once the carrier lands, set
# smb_carrier=yes below and they are required, frame for frame.
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
smb_carrier=yes
smb_flag=$([ "$smb_carrier" = yes ] && echo --require-smb)

# 1. same arguments, same bytes
$gen --size 12M --seed 7 -o "$tmp/a.pcap" 2>/dev/null && $gen --size 12M --seed 7 -o "$tmp/b.pcap" 2>/dev/null ||
	{ echo "FAIL: generator"; exit 1; }
if cmp -s "$tmp/a.pcap" "$tmp/b.pcap"; then echo "ok: generator deterministic"; else echo "FAIL: two runs differ"; fail=1; fi

# 2. the replayed samples, all of them and nothing else (and the SMB sessions' NTLM messages)
python3 "$here/check_mixed.py" $smb_flag "$kf" "$tmp/a.pcap" "$root/samples" || fail=1

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

# 4. SMB2 bulk: 20 MB of mostly SMB (deterministic too), nothing found in it but the NTLM
# messages of its SESSION_SETUPs; then one SMB connection over the whole capture, 5 and
# 20 MB: the same allocations and peak RSS for about three times the PDUs
$gen --size 20M --smb-bulk --seed 3 -o "$tmp/smb20.pcap" 2>/dev/null &&
	$gen --size 20M --smb-bulk --seed 3 -o "$tmp/smb20b.pcap" 2>/dev/null &&
	$gen --size 5M --smb-bulk --smb-share 1 --concurrent 1 --smb-files 100000 -o "$tmp/smb1c5.pcap" 2>/dev/null &&
	$gen --size 20M --smb-bulk --smb-share 1 --concurrent 1 --smb-files 100000 -o "$tmp/smb1c20.pcap" 2>/dev/null ||
	{ echo "FAIL: generator (smb)"; exit 1; }
if cmp -s "$tmp/smb20.pcap" "$tmp/smb20b.pcap"; then echo "ok: generator deterministic (smb)"; else echo "FAIL: two smb runs differ"; fail=1; fi
python3 "$here/check_mixed.py" $smb_flag "$kf" "$tmp/smb20.pcap" "$root/samples" || fail=1
spawn=$(dirname "$kf")/bench/krbflow-bench-spawn
python3 - "$kf" "$tmp" "$spawn" "$smb_carrier" <<'PY' || fail=1
import json, os, re, subprocess, sys
kf, tmp, spawn, carrier = sys.argv[1:5]
res = {}
for n in ("smb1c5", "smb1c20"):
    path = "%s/%s.pcap" % (tmp, n)
    p = subprocess.run([kf, "--json", path], capture_output=True, env=dict(os.environ, KRBFLOW_COUNT_ALLOC="1"))
    d = json.loads(p.stdout)
    allocs = int(re.search(rb"allocations: (\d+)", p.stderr).group(1))
    man = json.load(open(path + ".manifest.json"))
    smb = man["smb"]
    if smb["connections"] != 1 or len(smb["auth_messages"]) != 3:
        print("FAIL: %s: %d SMB connections, %d NTLM messages (one connection, three messages wanted)" % (
            n, smb["connections"], len(smb["auth_messages"])))
        sys.exit(1)
    want = sorted((a["frame"], a["type"]) for a in smb["auth_messages"])
    # the SMB-REQUEST/RESPONSE records beside the tokens are the carrier's own
    got = sorted((m["frame"], m["type"]) for m in d["messages"] if not m["type"].startswith("SMB-"))
    # the generated servers offer Kerberos and the clients log on with NTLM and no KDC
    # traffic: ntlm-fallback says so (an SMB cause), and nothing else may be found
    other = [f for f in d["findings"]
             if f["rule"] != "ntlm-fallback" or not f.get("cause", "").startswith("smb-")]
    if other or (got != want and (got or carrier == "yes")):
        print("FAIL: %s: findings %s, messages %s (expected %s)" % (
            n, [f["rule"] for f in d["findings"]], got, want if got or carrier == "yes" else []))
        sys.exit(1)
    rss = None
    if os.access(spawn, os.X_OK):
        s = subprocess.run([spawn, "-1", kf, "--json", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True).stderr
        rss = int(re.search(r"peak_kib=(\d+)", s).group(1))
    res[n] = (smb["pdus"], allocs, rss)
(p5, a5, r5), (p20, a20, r20) = res["smb1c5"], res["smb1c20"]
per_pdu = (a20 - a5) / max(p20 - p5, 1)
ok = per_pdu < 0.05 and p20 >= 2 * p5
print("%s: one SMB connection, %d -> %d PDUs, allocations %d -> %d (%.3f per added PDU)" % (
    "ok" if ok else "FAIL", p5, p20, a5, a20, per_pdu))
if r5 is not None:
    flat = r20 <= r5 * 1.10 + 256
    print("%s: one SMB connection, peak RSS %d KiB -> %d KiB" % ("ok" if flat else "FAIL", r5, r20))
    ok = ok and flat
sys.exit(0 if ok else 1)
PY
if command -v tshark >/dev/null; then
	python3 - "$tmp/smb20.pcap" <<'PY' || fail=1
import json, subprocess, sys
path = sys.argv[1]
man = json.load(open(path + ".manifest.json"))
out = subprocess.run(["tshark", "-n", "-r", path, "-Y", "_ws.malformed || _ws.expert.severity >= warning || "
                      "(ntlmssp && (tcp.port == 445 || tcp.port == 139))", "-T", "fields", "-e", "frame.number",
                      "-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "ntlmssp.messagetype"],
                     capture_output=True, text=True)
if out.returncode != 0:
    sys.exit("FAIL: tshark: " + out.stderr[-300:])
names = {1: "NTLM-NEGOTIATE", 2: "NTLM-CHALLENGE", 3: "NTLM-AUTHENTICATE"}
bad, ntlm = [], set()
for line in out.stdout.splitlines():
    frame, malformed, severity, mtype = (line.split("\t") + ["", "", ""])[:4]
    if malformed or severity:
        bad.append(int(frame))
    for t in filter(None, mtype.split(",")):
        ntlm.add((int(frame), names.get(int(t, 0), t)))
want = {(a["frame"], a["type"]) for a in man["smb"]["auth_messages"]}
if bad or ntlm != want:
    print("FAIL: tshark on the SMB capture: malformed or warned frames %s; NTLM frames not in the manifest %s, "
          "manifest frames tshark does not show %s" % (bad[:10], sorted(ntlm - want)[:10], sorted(want - ntlm)[:10]))
    sys.exit(1)
print("ok: tshark: SMB capture well formed, NTLM at the manifest's %d frames" % len(want))
PY
else
	echo "note: tshark not installed, SMB capture not checked against it"
fi

# 5. the runner, on a small capture, with its own launcher (no timing judged)
fl=$(dirname "$kf")/bench/krbflow-floor
if [ -x "$fl" ] && [ -x "$(dirname "$kf")/bench/krbflow-bench-spawn" ]; then
	out=$(python3 "$root/bench/run.py" --sizes 3M --runs 1 --tshark-runs 0 --cpu -1 --data "$tmp/data" \
		--krbflow "$kf" --floor "$fl" 2>&1)
	if echo "$out" | grep -q "krbflow/floor" && echo "$out" | grep -q "| mixed | 3M |"; then
		echo "ok: runner printed its table"
	else
		echo "FAIL: runner"; echo "$out" | tail -20; fail=1
	fi
	# 6. the runner against a baseline (krbflow against itself): one comparison line per
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
if sorted(rows) != [("bulk", "3M"), ("mixed", "3M"), ("smb", "3M")] or any(len(v) != 5 for v in rows.values()):
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
