#!/usr/bin/env bash
# The findings krbflow reports on every capture of ../shared/corpus, reviewed
# once and kept in tests/corpus/findings-golden.txt (one line per finding:
# capture rule severity confidence frames), so a change in any finding shows
# in review. Also fails when krbflow exits other than 0 on a capture.
# Usage: run-findings.sh KRBFLOW [--update]   (exit 77 when the corpus is absent)
set -u
krbflow=${1:?usage: run-findings.sh path/to/krbflow [--update]}
here=$(cd "$(dirname "$0")" && pwd)
corpus=$(cd "$here/../../.." && pwd)/shared/corpus
golden=$here/findings-golden.txt
if [ ! -d "$corpus" ]; then echo "findings: skipped: no corpus at $corpus"; exit 77; fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bad=0
for f in "$corpus"/*.pcap "$corpus"/*.pcapng "$corpus"/*.cap; do
	[ -e "$f" ] || continue
	name=$(basename "$f")
	json=$("$krbflow" --json "$f" 2>/dev/null)
	rc=$?
	if [ $rc -ne 0 ]; then echo "FAIL $name: krbflow exited $rc"; bad=$((bad + 1)); continue; fi
	printf '%s' "$json" | python3 -c '
import json, sys
name = sys.argv[1]
for f in json.load(sys.stdin)["findings"]:
    print(name, f["rule"], f["severity"], f["confidence"], ",".join(map(str, f["frames"])))
' "$name" >>"$out"
done
sort -o "$out" "$out"
if [ "${2:-}" = "--update" ]; then
	cp "$out" "$golden"
	echo "findings: wrote $(wc -l <"$golden") findings to $golden"
	exit 0
fi
if [ ! -f "$golden" ]; then echo "findings: no $golden (run with --update and review it)"; exit 1; fi
if diff -u "$golden" "$out" >"$out.diff"; then
	echo "findings: $(wc -l <"$golden") findings as reviewed"
	[ $bad -eq 0 ] && echo "findings: 1 passed, 0 failed" && exit 0
fi
cat "$out.diff" | head -60
rm -f "$out.diff"
echo "findings: 0 passed, 1 failed"
exit 1
