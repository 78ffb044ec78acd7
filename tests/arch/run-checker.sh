#!/usr/bin/env bash
# Self-test of tests/arch/check_includes.py: a throw-away tree that passes,
# then the same tree with an include cycle, a forbidden include, a call cycle
# and an over-long analyzer file, each of which the checker must report.
# Usage: run-checker.sh KRBFLOW   (the binary is not used)
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
run() { # expected-exit: run the checker over $tmp/tree into $tmp/out
	python3 "$here/check_includes.py" "$tmp/tree" >"$tmp/out" 2>&1
	local got=$?
	if [ "$got" = "$1" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL checker exited $got, wanted $1"; cat "$tmp/out"; fi
}
expect() { # name pattern
	if grep -qE -- "$2" "$tmp/out"; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL $1: no /$2/ in:"; cat "$tmp/out"; fi
}

t=$tmp/tree
mkdir -p "$t/decoders/base" "$t/analyzer/model" "$t/analyzer/rules" "$t/reports" "$t/cli"
printf '/* base */\n#define KF_X 1\n' >"$t/decoders/base/limits.h"
printf '#include "base/limits.h"\nint kf_dec(void);\n' >"$t/decoders/dec.h"
printf '#include "dec.h"\nint kf_dec(void)\n{\n\treturn KF_X;\n}\n' >"$t/decoders/dec.c"
printf '#include "dec.h"\nint kf_a(void);\n' >"$t/analyzer/model/a.h"
printf '#include "a.h"\nint kf_a(void)\n{\n\treturn kf_dec();\n}\n' >"$t/analyzer/model/a.c"
printf '#include "a.h"\nint kf_p(void);\n' >"$t/analyzer/rules/p.h"
printf '#include "p.h"\nint kf_p(void)\n{\n\treturn kf_a();\n}\n' >"$t/analyzer/rules/p.c"
printf '#include "a.h"\nint kf_q(void);\n' >"$t/analyzer/rules/q.h"
printf '#include "q.h"\nint kf_q(void)\n{\n\treturn 0;\n}\n' >"$t/analyzer/rules/q.c"
printf '#include "a.h"\nint main(void)\n{\n\treturn kf_a();\n}\n' >"$t/krbflow.c"
run 0
expect "a clean tree is ok" ': ok$'

# an include cycle: a.h -> b.h -> a.h
printf '#include "b.h"\n' >>"$t/analyzer/model/a.h"
printf '#include "a.h"\nint kf_b(void);\n' >"$t/analyzer/model/b.h"
# a forbidden edge: a decoder including the model
printf '#include "a.h"\n' >>"$t/decoders/dec.c"
# a call cycle between units: p calls q, q calls p
printf 'int kf_p2(void)\n{\n\treturn kf_q();\n}\n' >>"$t/analyzer/rules/p.c"
printf '#include "p.h"\nint kf_q2(void)\n{\n\treturn kf_p();\n}\n' >>"$t/analyzer/rules/q.c"
# an analyzer file over 1,000 lines
for i in $(seq 1001); do echo "/* $i */"; done >"$t/analyzer/model/long.h"
run 1
expect "include cycle" '^include cycle: analyzer/model/a -> analyzer/model/b -> analyzer/model/a$'
expect "forbidden include" '^decoders/dec.c: #include "a.h": decoders may not include model'
expect "call cycle" '^call cycle: analyzer/rules/p -> analyzer/rules/q -> analyzer/rules/p$'
expect "long file" '^analyzer/model/long.h: 1001 lines'
expect "problem count" ': 4 problems$'

echo "arch checker: $pass passed, $fail failed"
[ "$fail" = 0 ]
