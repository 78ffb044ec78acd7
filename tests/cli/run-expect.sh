#!/usr/bin/env bash
# Expected-findings files (--expect / --write-expect, cli/expect.c): a written
# file matches its capture; each kind of edit is reported as its difference
# (exit 1); a malformed or missing file is exit 2 with FILE:LINE; the report
# still goes to stdout; --fail-on and --expect both lead to exit 1.
# Usage: run-expect.sh KRBFLOW
set -u
kf=${1:?usage: run-expect.sh path/to/krbflow}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # name expected-exit command...
	local name=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	if [ "$got" = "$want" ]; then ok; else
		bad "$name: exit $got, wanted $want"; head -5 "$tmp/err"; fi
	# under a sanitizer build a report must not hide behind an expected exit 1
	if grep -q 'Sanitizer' "$tmp/err"; then bad "$name: sanitizer report"; head -5 "$tmp/err"; fi
}
grep_out() { # name fixed-string file
	if grep -qF -- "$2" "$3"; then ok; else bad "$1: no '$2' in $3"; head -5 "$3"; fi
}
no_out() { # name fixed-string file
	if grep -qF -- "$2" "$3"; then bad "$1: '$2' in $3"; else ok; fi
}
empty() { # name file
	if [ -s "$2" ]; then bad "$1: $2 not empty"; head -5 "$2"; else ok; fi
}
lines() { # name count fixed-string file
	local n
	n=$(grep -cF -- "$3" "$4")
	if [ "$n" = "$2" ]; then ok; else bad "$1: $n lines with '$3' in $4, wanted $2"; fi
}

errs=samples/kerberos-errors.pcap     # principal-unknown 5,6,7,8; preauth-failed 11,12; principal-unknown 13,14
loop=samples/web-auth-loop.pcap       # auth-loop 14,15,26,27,38,39
good=samples/deleg-works.pcap         # no findings
for s in "$errs" "$loop" "$good"; do
	[ -r "$s" ] || { echo "skip: $s missing"; exit 77; }
done
hdr='# krbflow expected findings v1'

# 1. a written file matches its capture, in text and JSON mode
for s in "$errs" "$loop" "$good"; do
	n=$(basename "$s" .pcap)
	check "write $n" 0 "$kf" --write-expect "$tmp/$n.exp" "$s"
	empty "write $n quiet" "$tmp/err"
	grep_out "write $n report" "Findings" "$tmp/out"
	if [ "$(head -1 "$tmp/$n.exp")" = "$hdr" ]; then ok; else bad "write $n: header is '$(head -1 "$tmp/$n.exp")'"; fi
	check "expect $n" 0 "$kf" --expect "$tmp/$n.exp" "$s"
	empty "expect $n quiet" "$tmp/err"
	check "expect $n json" 0 "$kf" --json --expect "$tmp/$n.exp" "$s"
	empty "expect $n json quiet" "$tmp/err"
done
# the file holds exactly the report's findings, one line each, in its order
# (the fourth column, the cause, is checked against the JSON below)
grep -v '^#' "$tmp/kerberos-errors.exp" | awk '{print $1, $2, $3}' >"$tmp/body"
printf 'principal-unknown error 5,6,7,8\npreauth-failed error 11,12\nprincipal-unknown error 13,14\n' >"$tmp/want"
if cmp -s "$tmp/body" "$tmp/want"; then ok; else bad "kerberos-errors.pcap no longer yields the findings spelled out here:"; cat "$tmp/body"; fi
"$kf" --json "$errs" | jq -r '.findings[] | "\(.rule) \(.severity) \(.frames | map(tostring) | join(",")) \(.cause)"' \
	>"$tmp/fromjson" 2>/dev/null
grep -v '^#' "$tmp/kerberos-errors.exp" >"$tmp/body4"
if cmp -s "$tmp/body4" "$tmp/fromjson"; then ok; else bad "expect file differs from the JSON findings"; diff "$tmp/body4" "$tmp/fromjson"; fi
# the differences below are spelled out for these findings: say so if a sample changes
if [ "$(grep -v '^#' "$tmp/web-auth-loop.exp")" = 'auth-loop error 14,15,26,27,38,39 authorization-refused' ]; then ok; else
	bad "web-auth-loop.pcap no longer yields just auth-loop 14,15,26,27,38,39:"; grep -v '^#' "$tmp/web-auth-loop.exp"; fi
if [ "$(grep -vc '^#' "$tmp/deleg-works.exp")" = 0 ]; then ok; else bad "deleg-works.exp has findings"; fi
# order, comments, blank lines, CRLF and blanks do not matter
{ echo "$hdr"; echo; echo '  # a comment'; printf 'principal-unknown\terror   13,14  \r\n';
  echo 'preauth-failed error 11,12'; echo 'principal-unknown error 5,6,7,8'; } >"$tmp/reordered.exp"
check "reordered" 0 "$kf" --expect "$tmp/reordered.exp" "$errs"
empty "reordered quiet" "$tmp/err"
# writing twice truncates
check "rewrite" 0 "$kf" --write-expect "$tmp/kerberos-errors.exp" "$good"
check "rewritten matches" 0 "$kf" --expect "$tmp/kerberos-errors.exp" "$good"
check "restore" 0 "$kf" --write-expect "$tmp/kerberos-errors.exp" "$errs"

# 2. edits are differences: exit 1, one line each, the report still on stdout
exp=$tmp/kerberos-errors.exp
sed 's/^preauth-failed error 11,12/preauth-failed warning 11,12/' "$exp" >"$tmp/sev.exp"
check "changed severity" 1 "$kf" --expect "$tmp/sev.exp" "$errs"
grep_out "changed severity said" "~ preauth-failed 11,12: severity warning expected, error found ($tmp/sev.exp:5)" "$tmp/err"
grep_out "changed severity total" "1 difference from the expected findings: 0 missing, 0 unexpected, 1 changed severity" "$tmp/err"
no_out "changed severity is not missing" "- expected" "$tmp/err"
no_out "changed severity is not unexpected" "+ found" "$tmp/err"
grep_out "changed severity report" "Findings" "$tmp/out"

sed '/^principal-unknown error 13,14/d' "$exp" >"$tmp/del.exp"
check "deleted line" 1 "$kf" --expect "$tmp/del.exp" "$errs"
grep_out "deleted line said" "+ found principal-unknown error 13,14 not expected" "$tmp/err"
lines "deleted line only" 2 "" "$tmp/err"
grep_out "deleted line total" "1 difference from the expected findings: 0 missing, 1 unexpected, 0 changed severity (2 expected, 3 found)" "$tmp/err"

{ cat "$exp"; echo 'clock-skew error 7,8,12'; } >"$tmp/add.exp"
check "added line" 1 "$kf" --json --expect "$tmp/add.exp" "$errs"
grep_out "added line said" "- expected clock-skew error 7,8,12 not found ($tmp/add.exp:7)" "$tmp/err"
grep_out "added line total" "0 unexpected, 0 changed severity (4 expected, 3 found)" "$tmp/err"
if jq -e '.findings | length == 3' "$tmp/out" >/dev/null 2>&1; then ok; else bad "added line: no JSON report on stdout"; fi

# a repeated line is a multiset difference, not matched twice
{ cat "$exp"; echo 'principal-unknown error 13,14'; } >"$tmp/dup.exp"
check "duplicated line" 1 "$kf" --expect "$tmp/dup.exp" "$errs"
grep_out "duplicated line said" "- expected principal-unknown error 13,14 not found ($tmp/dup.exp:7)" "$tmp/err"

sed 's/^principal-unknown error 5,6,7,8/principal-unknown error 5,6,7,9/' "$exp" >"$tmp/frame.exp"
check "changed frame" 1 "$kf" --expect "$tmp/frame.exp" "$errs"
grep_out "changed frame missing" "- expected principal-unknown error 5,6,7,9 not found ($tmp/frame.exp:4)" "$tmp/err"
grep_out "changed frame unexpected" "+ found principal-unknown error 5,6,7,8 not expected" "$tmp/err"
grep_out "changed frame total" "2 differences from the expected findings: 1 missing, 1 unexpected, 0 changed severity" "$tmp/err"

# expectations of one capture against another
check "other capture" 1 "$kf" --expect "$tmp/web-auth-loop.exp" "$good"
grep_out "other capture missing" "- expected auth-loop error 14,15,26,27,38,39 not found" "$tmp/err"
check "no findings expected" 1 "$kf" --expect "$tmp/deleg-works.exp" "$loop"
grep_out "no findings expected said" "+ found auth-loop error 14,15,26,27,38,39 not expected" "$tmp/err"

# the cause column: another of the rule's causes is a difference of its own; a
# line without it matches whatever the cause
sed 's/ authorization-refused$/ ticket-rejected/' "$tmp/web-auth-loop.exp" >"$tmp/cause.exp"
check "changed cause" 1 "$kf" --expect "$tmp/cause.exp" "$loop"
grep_out "changed cause said" "~ auth-loop 14,15,26,27,38,39: cause ticket-rejected expected, authorization-refused found ($tmp/cause.exp:" "$tmp/err"
grep_out "changed cause total" "1 difference from the expected findings: 0 missing, 0 unexpected, 0 changed severity, 1 changed cause" "$tmp/err"
awk '/^#/ {print; next} {print $1, $2, $3}' "$tmp/web-auth-loop.exp" >"$tmp/nocause.exp"
check "no cause column" 0 "$kf" --expect "$tmp/nocause.exp" "$loop"

# 3. malformed files: exit 2, FILE:LINE and what is wrong; missing file: exit 2
malformed() { # name line-number message-part content...
	local name=$1 ln=$2 msg=$3
	shift 3
	if [ $# = 0 ]; then : >"$tmp/$name.exp"; else printf '%s\n' "$@" >"$tmp/$name.exp"; fi
	check "malformed $name" 2 "$kf" --expect "$tmp/$name.exp" "$errs"
	grep_out "malformed $name located" "$tmp/$name.exp:$ln: " "$tmp/err"
	grep_out "malformed $name said" "$msg" "$tmp/err"
	no_out "malformed $name no diff" "- expected" "$tmp/err"
}
malformed header 1 "not an expected-findings file" '# krbflow expected findings' 'auth-loop error 14'
malformed no-header 1 "not an expected-findings file" 'auth-loop error 14'
malformed version 1 "version 2" '# krbflow expected findings v2'
malformed empty 1 "empty file"
malformed severity 3 "unknown severity 'fatal'" "$hdr" '# c' 'principal-unknown fatal 5,6,7,8'
malformed severity-case 2 "unknown severity 'Error'" "$hdr" 'principal-unknown Error 5,6,7,8'
malformed frame 2 "frame 'x7' is not a number" "$hdr" 'principal-unknown error 5,6,x7,8'
malformed frame-empty 2 "empty frame number" "$hdr" 'principal-unknown error 5,,8'
malformed frame-comma 2 "a comma ends the frames" "$hdr" 'principal-unknown error 5,'
malformed frame-zero 2 "frame 0" "$hdr" 'principal-unknown error 0,5'
malformed frame-order 2 "ascending" "$hdr" 'principal-unknown error 6,5'
malformed frame-repeat 2 "ascending" "$hdr" 'principal-unknown error 5,5'
malformed frame-big 2 "too large" "$hdr" 'principal-unknown error 99999999999999999999'
malformed fields 4 "2 fields" "$hdr" 'preauth-failed error 11,12' '' 'principal-unknown error'
malformed cause 2 "'8' is not a cause of principal-unknown" "$hdr" 'principal-unknown error 5,6,7 8'
malformed extra 2 "'x' after the cause" "$hdr" 'principal-unknown error 5,6,7 8 x'
malformed rule 2 "unknown rule 'no-such-rule'" "$hdr" 'no-such-rule error 1'
frames=$(seq -s, 1 65)
malformed many-frames 2 "more than 64 frames" "$hdr" "auth-loop error $frames"
# 64 frames are allowed (a plain difference)
printf '%s\nauth-loop error %s\n' "$hdr" "$(seq -s, 1 64)" >"$tmp/64.exp"
check "64 frames" 1 "$kf" --expect "$tmp/64.exp" "$good"
head -c 70000 /dev/zero | tr '\0' 'a' >"$tmp/long"
{ echo "$hdr"; echo 'auth-loop error 14'; cat "$tmp/long"; echo; } >"$tmp/long.exp"
check "long line" 2 "$kf" --expect "$tmp/long.exp" "$errs"
grep_out "long line said" "$tmp/long.exp:3: line longer than" "$tmp/err"
printf '%s\nauth-loop error 1\0\n' "$hdr" >"$tmp/nul.exp"
check "NUL byte" 2 "$kf" --expect "$tmp/nul.exp" "$errs"
grep_out "NUL byte said" "$tmp/nul.exp:2: " "$tmp/err"
check "missing file" 2 "$kf" --expect "$tmp/nonexistent.exp" "$errs"
grep_out "missing file said" "$tmp/nonexistent.exp: cannot read: No such file" "$tmp/err"
check "directory" 2 "$kf" --expect "$tmp" "$errs"
grep_out "directory said" "Is a directory" "$tmp/err"
check "write unwritable" 2 "$kf" --write-expect "$tmp/no/such/dir.exp" "$errs"
grep_out "write unwritable said" "cannot create" "$tmp/err"
if [ -w /dev/full ]; then
	check "write full disk" 2 "$kf" --write-expect /dev/full "$errs"
	grep_out "write full disk said" "cannot write" "$tmp/err"
fi

# 4. one capture only
check "expect two captures" 2 "$kf" --expect "$exp" "$errs" "$good"
grep_out "expect two captures said" "take one capture" "$tmp/err"
check "write two captures" 2 "$kf" --write-expect "$tmp/two.exp" "$errs" "$good"
if [ -e "$tmp/two.exp" ]; then bad "write two captures created the file"; else ok; fi

# 5. --fail-on and --expect: exit 1 when either triggers
check "fail-on only" 1 "$kf" --fail-on error --expect "$exp" "$errs"
no_out "fail-on only: no difference" "difference" "$tmp/err"
check "expect only" 1 "$kf" --fail-on error --expect "$tmp/web-auth-loop.exp" "$good"
grep_out "expect only said" "1 difference" "$tmp/err"
check "both" 1 "$kf" --fail-on error --expect "$tmp/sev.exp" "$errs"
grep_out "both said" "~ preauth-failed" "$tmp/err"
check "neither" 0 "$kf" --fail-on error --expect "$tmp/deleg-works.exp" "$good"
frag=samples/kerberos-udp-fragmented.pcap # an info finding only
if [ -r "$frag" ]; then
	check "write info only" 0 "$kf" --write-expect "$tmp/frag.exp" "$frag"
	check "info below fail-on" 0 "$kf" --fail-on error --expect "$tmp/frag.exp" "$frag"
	check "info at fail-on" 1 "$kf" --fail-on info --expect "$tmp/frag.exp" "$frag"
	no_out "info at fail-on: no difference" "difference" "$tmp/err"
fi
echo "expect: $pass passed, $fail failed"
[ "$fail" = 0 ]
