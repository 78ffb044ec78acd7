#!/usr/bin/env bash
# Golden tests: each tests/golden/<case>/ has `args` (krbflow arguments, run
# from the repository root), `expected.txt` (text report) and `expected.json`
# (the --json document), plus a README.md saying what the case shows.
# Usage: run-golden.sh KRBFLOW    (tools/update-golden.sh rewrites them)
set -u
krbflow=${1:?usage: run-golden.sh path/to/krbflow}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
export TZ=UTC
pass=0 fail=0
for dir in "$here"/*/; do
	[ -f "$dir/args" ] || continue
	name=$(basename "$dir")
	read -r -a args <"$dir/args"
	ok=1
	for kind in txt json; do
		exp="$dir/expected.$kind"
		[ -f "$exp" ] || continue
		if [ "$kind" = json ]; then
			got=$("$krbflow" --json "${args[@]}" 2>/dev/null)
		else
			got=$("$krbflow" "${args[@]}" 2>/dev/null)
		fi
		rc=$?
		if [ $rc -gt 1 ] && [ ! -f "$dir/expect-exit-$rc" ]; then
			echo "FAIL $name ($kind): krbflow exited $rc"
			ok=0
			continue
		fi
		if ! diff -u "$exp" <(printf '%s\n' "$got") >"/tmp/golden-$name-$kind.diff"; then
			echo "FAIL $name ($kind): output differs from $(basename "$exp")"
			head -40 "/tmp/golden-$name-$kind.diff"
			ok=0
		fi
	done
	if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
if [ $((pass + fail)) -eq 0 ]; then
	echo "golden: no cases found"
	exit 1
fi
echo "golden: $pass passed, $fail failed"
[ $fail -eq 0 ]
