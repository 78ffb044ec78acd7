#!/usr/bin/env bash
# The findings krbflow reports on every capture of ../shared/corpus, reviewed
# once and kept in tests/corpus/findings-golden.txt (one line per finding:
# capture rule severity confidence frames), so a change in any finding shows
# in review. Also fails when krbflow exits other than 0 on a capture.
# The same file marks each capture, in lines
#   health CAPTURE healthy|faulty REASON
# (faulty: the capture shows an authentication failure; healthy: nothing in
# it failed). A capture without a mark, or an `error` finding on a healthy
# capture, fails: krbflow must never claim a failure the capture doesn't show.
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
if [ ! -f "$golden" ]; then echo "findings: no $golden (run with --update and review it)"; exit 1; fi
grep '^health ' "$golden" >"$out.health"
if [ "${2:-}" = "--update" ]; then
	cat "$out.health" "$out" >"$golden"
	rm -f "$out.health"
	echo "findings: wrote $(wc -l <"$out") findings to $golden (health marks kept)"
	exit 0
fi
# the health marks: one per capture, and no error finding on a healthy one
for f in "$corpus"/*.pcap "$corpus"/*.pcapng "$corpus"/*.cap; do
	[ -e "$f" ] || continue
	name=$(basename "$f")
	mark=$(awk -v n="$name" '$2 == n { print $3; exit }' "$out.health")
	case $mark in
	healthy)
		if awk -v n="$name" '$1 == n && $3 == "error"' "$out" | grep -q .; then
			echo "FAIL $name is healthy ($(awk -v n="$name" '$2 == n { $1 = $2 = $3 = ""; print; exit }' "$out.health" | sed 's/^ *//')) but has an error finding:"
			awk -v n="$name" '$1 == n && $3 == "error"' "$out" | head -3
			bad=$((bad + 1))
		fi
		;;
	faulty) ;;
	*) echo "FAIL $name has no health mark (health $name healthy|faulty REASON)"; bad=$((bad + 1)) ;;
	esac
done
rm -f "$out.health"
grep -v '^health ' "$golden" >"$out.golden"
if diff -u "$out.golden" "$out" >"$out.diff"; then
	echo "findings: $(wc -l <"$out") findings as reviewed"
	rm -f "$out.golden" "$out.diff"
	[ $bad -eq 0 ] && echo "findings: 1 passed, 0 failed" && exit 0
	echo "findings: 0 passed, 1 failed"
	exit 1
fi
rm -f "$out.golden"
cat "$out.diff" | head -60
rm -f "$out.diff"
echo "findings: 0 passed, 1 failed"
exit 1
