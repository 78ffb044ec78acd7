#!/usr/bin/env bash
# valgrind memcheck on krbflow --json for every sample: no invalid read or
# write, no use of uninitialised memory, no leak (definite, indirect or
# possible).  Skipped (77) when valgrind is missing or krbflow is built with
# AddressSanitizer (the two do not mix).
# Usage: run-memcheck.sh KRBFLOW
set -u
kf=${1:?usage: run-memcheck.sh path/to/krbflow}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v valgrind >/dev/null || { echo "skip: valgrind not installed"; exit 77; }
if [ -n "${KRBFLOW_ASAN:-}" ] || nm "$kf" 2>/dev/null | grep -q __asan_init || ldd "$kf" 2>/dev/null | grep -q libasan; then
	echo "skip: $kf is an AddressSanitizer build (valgrind cannot run it)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
for s in samples/*.pcap; do
	valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --track-origins=yes \
		"$kf" --json "$s" >/dev/null 2>"$tmp/vg"
	rc=$?
	if [ "$rc" = 99 ] || { [ "$rc" != 0 ] && [ "$rc" != 1 ]; } || grep -q '^==[0-9]*==' "$tmp/vg"; then
		fail=$((fail + 1)); echo "FAIL $s (exit $rc)"; head -30 "$tmp/vg"
	else
		pass=$((pass + 1))
	fi
done
echo "valgrind: $pass passed, $fail failed"
[ "$fail" = 0 ]
