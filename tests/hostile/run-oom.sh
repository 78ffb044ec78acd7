#!/usr/bin/env bash
# Allocation-failure injection (as curl's torture tests): for each sample,
# count the kf_malloc/kf_calloc/kf_realloc calls of a krbflow --json run
# (KRBFLOW_COUNT_ALLOC=1), then run it once for every N from 1 to that count
# with KRBFLOW_FAIL_ALLOC=N (the N-th allocation fails).  Every run must exit
# 0 or 3, never crash or print a sanitizer report; exit 3 must come with an
# "out of memory" message on stderr; exit 0 must print exactly the output of
# the unfailed run (a failure swallowed with a different result is a bug).
# Runs that exit 0 with the same output although an allocation failed are
# listed as "absorbed" (not a failure: the allocation did not matter).
# libpcap and libkrb5 allocate with plain malloc: not covered.
#
# Usage: run-oom.sh KRBFLOW
# Environment: KRBFLOW_OOM_SAMPLES="a.pcap b.pcap" (default: a set of
# samples covering UDP, TCP, fragments, IPv6, HTTP Negotiate/NTLM and the
# HTTP rules; ~700 runs, ~12 s normal, ~20 s under ASan).
set -u
kf=${1:?usage: run-oom.sh path/to/krbflow}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

asan=${KRBFLOW_ASAN:-}
if [ -z "$asan" ] && { nm "$kf" 2>/dev/null | grep -q __asan_init || ldd "$kf" 2>/dev/null | grep -q libasan; }; then
	asan=1
fi
if [ -n "${KRBFLOW_OOM_SAMPLES:-}" ]; then
	samples=$KRBFLOW_OOM_SAMPLES
else
	samples="samples/kerberos-udp.pcap samples/kerberos-tcp-segmented.pcap samples/kerberos-udp-fragmented.pcap
	         samples/kerberos-ipv6.pcap samples/kerberos-errors.pcap samples/kerberos-kdc-unreachable.pcap
	         samples/udp-fragments-dropped.pcap samples/web-ntlm-fallback.pcap samples/web-auth-loop.pcap
	         samples/web-portless-spn.pcap samples/web-cname-nocanon.pcap samples/web-token-too-large.pcap
	         samples/web-healthy-401first.pcap samples/deleg-works.pcap samples/xrealm-s4u.pcap
	         samples/samba-account-errors.pcap"
	# compressed input: gzip, and zstd in two frames whose second needs a
	# larger window (the decoder allocates again in the middle of the file)
	gzip -c samples/web-healthy-401first.pcap > "$tmp/web.pcap.gz"
	samples="$samples $tmp/web.pcap.gz"
	# (a 1.5 MB second frame: zstd's first buffers do not hold its window)
	if command -v zstd >/dev/null && command -v python3 >/dev/null &&
		python3 bench/gen_capture.py --size 1500K --seed 3 -o "$tmp/mixed.pcap" 2>/dev/null; then
		head -c 600 "$tmp/mixed.pcap" > "$tmp/p1"
		tail -c +601 "$tmp/mixed.pcap" > "$tmp/p2"
		{ zstd -q -c "$tmp/p1" && zstd -q -c "$tmp/p2"; } > "$tmp/two-frames.pcap.zst"
		samples="$samples $tmp/two-frames.pcap.zst"
	fi
fi

pass=0 fail=0 runs=0
for s in $samples; do
	base=$tmp/base.json
	KRBFLOW_COUNT_ALLOC=1 "$kf" --json "$s" >"$base" 2>"$tmp/base.err"
	brc=$?
	count=$(sed -n 's/^krbflow: allocations: \([0-9]*\)$/\1/p' "$tmp/base.err")
	if [ -z "$count" ] || [ "$brc" -gt 1 ]; then
		echo "FAIL $s: unfailed run exit $brc, no allocation count"; fail=$((fail + 1)); continue
	fi
	nomem=0 absorbed=() bad=0
	for n in $(seq 1 $((count + 1))); do
		runs=$((runs + 1))
		KRBFLOW_FAIL_ALLOC=$n timeout 60 "$kf" --json "$s" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		why=
		if grep -q -e "ERROR: AddressSanitizer" -e "runtime error:" -e "ERROR: LeakSanitizer" "$tmp/err"; then
			why="sanitizer report: $(grep -m1 -e ERROR -e 'runtime error' "$tmp/err")"
		elif [ "$rc" = 3 ]; then
			grep -qi "out of memory" "$tmp/err" || why="exit 3 without an out-of-memory message"
			nomem=$((nomem + 1))
		elif [ "$rc" = 0 ] || [ "$rc" = 1 ] && [ "$rc" = "$brc" ]; then
			if ! cmp -s "$tmp/out" "$base"; then
				why="exit $rc with output different from the unfailed run (failure swallowed)"
			elif [ "$n" -le "$count" ]; then
				absorbed+=("$n")
			fi
		elif [ "$rc" -gt 128 ] || [ "$rc" = 124 ]; then
			why="killed by signal $((rc - 128)) / timeout (exit $rc)"
		else
			why="exit $rc (wanted 0 or 3): $(head -c 200 "$tmp/err")"
		fi
		if [ -n "$why" ]; then
			bad=$((bad + 1))
			[ "$bad" -le 5 ] && echo "FAIL $s KRBFLOW_FAIL_ALLOC=$n: $why"
		fi
	done
	[ "$bad" -gt 5 ] && echo "FAIL $s: ... $bad failing values of N in all"
	if [ "$bad" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
	printf '%s %s: %d allocations, %d runs out of memory (exit 3), %d bad%s\n' "$([ $bad = 0 ] && echo ok || echo FAIL)" \
		"$s" "$count" "$nomem" "$bad" "${absorbed:+, absorbed (exit 0, same output) at N=${absorbed[*]}}"
done
echo "hostile oom: $pass passed, $fail failed ($runs runs)"
[ "$fail" = 0 ]
