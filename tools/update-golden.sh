#!/usr/bin/env bash
# Rewrite the golden expectations from the current build and show the diff,
# so a reviewer reads exactly what changed in krbflow's output.
# Usage: tools/update-golden.sh [KRBFLOW] [CASE...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
krbflow=${1:-$root/build/krbflow}
shift || true
cd "$root"
export TZ=UTC
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=($(ls tests/golden))
for name in "${cases[@]}"; do
	dir=tests/golden/$name
	[ -f "$dir/args" ] || continue
	read -r -a args <"$dir/args"
	"$krbflow" "${args[@]}" >"$dir/expected.txt" 2>/dev/null || true
	"$krbflow" --json "${args[@]}" >"$dir/expected.json" 2>/dev/null || true
done
git --no-pager diff --stat -- tests/golden
git --no-pager diff -- tests/golden | head -200
