#!/usr/bin/env bash
# Whole-capture mutation (mutate.py): a fixed-seed batch of truncated,
# bit-flipped, length-corrupted, duplicated-record and removed-record
# variants of samples/*.pcap through krbflow --json.  Each must exit 0, 1 or
# 2, with no signal, hang or sanitizer report; truncated variants must keep
# every message before the cut.
# Usage: run-mutate.sh KRBFLOW
# Environment: KRBFLOW_MUTATE_COUNT (default 3000; 2000 on an ASan build,
# detected or KRBFLOW_ASAN=1, ~3x slower per run), KRBFLOW_MUTATE_SEED,
# KRBFLOW_MUTATE_KEEP=DIR (failing variants are saved there).
set -u
kf=${1:?usage: run-mutate.sh path/to/krbflow}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v python3 >/dev/null || { echo "skip: python3 not found"; exit 77; }
asan=${KRBFLOW_ASAN:-}
if [ -z "$asan" ] && { nm "$kf" 2>/dev/null | grep -q __asan_init || ldd "$kf" 2>/dev/null | grep -q libasan; }; then
	asan=1
fi
count=${KRBFLOW_MUTATE_COUNT:-$([ -n "$asan" ] && echo 2000 || echo 3000)}
[ -n "$asan" ] && echo "ASan build: $count variants"
exec python3 tests/hostile/mutate.py "$kf" --count "$count" --seed "${KRBFLOW_MUTATE_SEED:-20241122}" \
	${KRBFLOW_MUTATE_KEEP:+--keep "$KRBFLOW_MUTATE_KEEP"} samples/*.pcap
