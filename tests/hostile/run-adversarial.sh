#!/usr/bin/env bash
# Adversarial captures (gen_adversarial.py: SYN flood of a million flows, a
# million messages, never-completing and overlapping fragment trains, 4 GiB
# record marks, 10,000-deep ASN.1, megabyte headers, huge Content-Lengths,
# chunk-size overflows, gaps before every record, IPv6 extension chains, DNS
# compression loops, NTLM buffers at 0xffffffff, a 10 MB token; SMB: a
# self-referencing SMB2 compound, an AndX loop, NetBIOS lengths of 0xFFFFFF
# that never arrive, 300,000 tiny PDUs, 20,000 sessions on one connection; an LDAP SASL bind of
# 100,000 saslBindInProgress steps, a DCE/RPC bind in 200 fragments and a fragment chain
# that never ends, a TDS LOGIN7 in 1-byte packets without end-of-message) run through
# krbflow --json under memcheck (peak RSS from wait4).  Each run must finish
# within the timeout, exit 0, 1 or 2, print no sanitizer report, stay under
# the memory limit, and report the cap it hits in capture.warnings; a cap
# reached without a warning (transport events, messages) fails too.
#
# Usage: run-adversarial.sh KRBFLOW
# Environment: KRBFLOW_HOSTILE_TMP (where the ~200 MB of captures go, default
# a mktemp dir under /tmp, removed at exit); KRBFLOW_HOSTILE_ONLY="name..."
# (a subset); KRBFLOW_ASAN=1 (or detected: a krbflow linked with ASan) ->
# --small captures (200k SYNs/messages instead of a million) and a 1024 MiB
# limit, since ASan's shadow memory and quarantine count in its RSS; the
# 256 MiB bound is measured on the normal build.
set -u
kf=${1:?usage: run-adversarial.sh path/to/krbflow}
here=$(cd "$(dirname "$0")" && pwd)
kfdir=$(cd "$(dirname "$kf")" && pwd)
command -v python3 >/dev/null || { echo "skip: python3 not found"; exit 77; }

tmp=${KRBFLOW_HOSTILE_TMP:-}
if [ -z "$tmp" ]; then tmp=$(mktemp -d /tmp/krbflow-hostile.XXXXXX); trap 'rm -rf "$tmp"' EXIT; fi
mkdir -p "$tmp"

# the memcheck tool: built by CMake next to krbflow, else compiled here
mc=$kfdir/tests/hostile/memcheck
if [ ! -x "$mc" ]; then
	mc=$tmp/memcheck
	${CC:-cc} -O2 -o "$mc" "$here/memcheck.c" || { echo "FAIL: cannot build memcheck"; exit 1; }
fi

asan=${KRBFLOW_ASAN:-}
if [ -z "$asan" ] && { nm "$kf" 2>/dev/null | grep -q __asan_init || ldd "$kf" 2>/dev/null | grep -q libasan; }; then
	asan=1
fi
limit_mib=256 small=
if [ -n "$asan" ]; then limit_mib=1024 small=--small; echo "ASan build: --small captures, ${limit_mib} MiB limit"; fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

python3 "$here/gen_adversarial.py" "$tmp" $small ${KRBFLOW_HOSTILE_ONLY:-} || { echo "FAIL: generator"; exit 1; }

pass=0 fail=0
while read -r name expect; do
	[ -f "$tmp/$name.pcap" ] || continue
	out=$tmp/$name.json err=$tmp/$name.err
	line=$("$mc" -l "$limit_mib" -t 120 -o "$out" -e "$err" -- "$kf" --json "$tmp/$name.pcap" 2>&1)
	mrc=$?
	rm -f "$tmp/$name.pcap"
	status=$(sed -n 's/^memcheck: \([^ ]*\) .*/\1/p' <<<"$line")
	peak=$(sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p' <<<"$line")
	secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$line")
	problems=() warns=
	case $mrc in
	0) ;;
	1) problems+=("peak RSS ${peak} KiB over ${limit_mib} MiB") ;;
	2) problems+=("crashed ($status)") ;;
	3) problems+=("did not finish within 120 s") ;;
	*) problems+=("memcheck: $line") ;;
	esac
	case $status in exit=0|exit=1|exit=2|killed-over-limit|timeout|signal=*) ;; *) problems+=("exit status $status") ;; esac
	if grep -q -e "ERROR: AddressSanitizer" -e "runtime error:" -e "ERROR: LeakSanitizer" "$err"; then
		problems+=("sanitizer report: $(grep -m1 -e ERROR -e 'runtime error' "$err")")
	fi
	if [ "$mrc" = 0 ] && [ "$status" != exit=2 ]; then
		msg=$(python3 - "$out" "$expect" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("output is not one JSON document: %s" % e); sys.exit()
cap = d["capture"]
codes = {w["code"] for w in cap["warnings"]}
bad = []
for alt in sys.argv[2].split():
    if alt != "-" and not codes & set(alt.split("|")):
        bad.append("no %s warning" % alt)
# caps of limits.h that end in a list: reaching one must say so
# the caps of decoders/base/limits.h: reaching one must be said
if len(cap["transport_events"]) >= 20000 and "transport-event-limit" not in codes:
    bad.append("KF_LIMIT_TRANSPORT_EVENTS (20000) reached, no warning says so")
if len(d["messages"]) >= 250000 and "message-limit" not in codes:
    bad.append("KF_LIMIT_MESSAGES reached without message-limit")
print(",".join(sorted("%s=%d" % (w["code"], w["count"]) for w in cap["warnings"])) or "none")
print("; ".join(bad))
PY
		)
		warns=$(head -1 <<<"$msg")
		msg=$(tail -n +2 <<<"$msg")
		[ -n "$msg" ] && problems+=("$msg")
	fi
	rm -f "$out"
	if [ ${#problems[@]} = 0 ]; then
		pass=$((pass + 1))
		printf 'ok   %-26s %-8s peak %7s KiB %6ss  %s\n' "$name" "$status" "$peak" "$secs" "$warns"
	else
		fail=$((fail + 1))
		printf 'FAIL %-26s %-8s peak %7s KiB %6ss: %s\n' "$name" "$status" "$peak" "$secs" "$(IFS=';'; echo "${problems[*]}")"
		head -3 "$err"
	fi
done < <(python3 "$here/gen_adversarial.py" --list)

echo "hostile: $pass passed, $fail failed"
[ "$fail" = 0 ]
