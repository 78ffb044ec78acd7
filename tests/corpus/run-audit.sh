#!/usr/bin/env bash
# krbflow audit over the public corpus (../shared/corpus, or KF_CORPUS_DIR)
# plus the bundled samples, two workers at a time: every capture found, each
# document equal to the capture's own `krbflow --json`, the summary agreeing
# with them, shards 1/3..3/3 merged equal to the single run (check_audit.py).
#
# Usage: run-audit.sh KRBFLOW
set -u
kf=${1:?usage: run-audit.sh path/to/krbflow}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=${KF_CORPUS_DIR:-$root/../shared/corpus}
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
[ -d "$corpus" ] || { echo "SKIP: no corpus at $corpus"; exit 77; }
cd "$root" || exit 1
want=$(find "$corpus" samples -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | wc -l)
got=$("$kf" audit --json --no-progress -j 2 "$corpus" samples 2>/dev/null | wc -l)
if [ "$got" != "$want" ]; then
	echo "FAIL: audit found $got captures, the tree has $want"
	exit 1
fi
echo "ok: audit found all $want captures"
python3 "$root/tests/cli/check_audit.py" "$kf" "$corpus" samples
