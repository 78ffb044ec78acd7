#!/usr/bin/env bash
# The command line's contract (OUTPUT.md): exit codes, messages for bad input,
# --fail-on, JSON Lines for several captures, stdin, `krbflow rules`.
# Usage: run-cli.sh KRBFLOW
set -u
kf=${1:?usage: run-cli.sh path/to/krbflow}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name expected-exit command...
	local name=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	if [ "$got" = "$want" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL $name: exit $got, wanted $want"; head -5 "$tmp/err"; fi
}
grep_out() { # name pattern file
	if grep -q -- "$2" "$3"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1: no '$2' in $3"; fi
}

check "help" 0 "$kf" --help
grep_out "help mentions --fail-on" "--fail-on" "$tmp/out"
check "version" 0 "$kf" --version
check "no capture" 2 "$kf"
check "unknown option" 2 "$kf" --frobnicate x
check "missing file" 2 "$kf" /nonexistent.pcap
grep_out "missing file named" "/nonexistent.pcap" "$tmp/err"
check "directory" 2 "$kf" samples
grep_out "directory said" "is a directory" "$tmp/err"
printf 'not a capture\n' >"$tmp/text.pcap"
check "not a capture" 2 "$kf" "$tmp/text.pcap"
grep_out "format said" "not a pcap or pcapng" "$tmp/err"
: >"$tmp/empty.pcap"
check "empty file" 2 "$kf" "$tmp/empty.pcap"
check "bad filter" 2 "$kf" -f 'port 8x8' samples/kerberos-udp.pcap
check "bad fail-on" 2 "$kf" --fail-on fatal samples/kerberos-udp.pcap
check "healthy" 0 "$kf" samples/kerberos-udp.pcap
check "healthy fail-on error" 0 "$kf" --fail-on error samples/kerberos-udp.pcap
check "finding fail-on error" 1 "$kf" --fail-on error samples/kerberos-kdc-unreachable.pcap
check "finding without fail-on" 0 "$kf" samples/kerberos-kdc-unreachable.pcap
check "info below fail-on warning" 0 "$kf" --fail-on warning samples/kerberos-udp-fragmented.pcap
check "info at fail-on info" 1 "$kf" --fail-on info samples/kerberos-udp-fragmented.pcap
# a truncated capture is reported, with a warning, and is not an error
head -c 1500 samples/kerberos-tcp.pcap >"$tmp/cut.pcap"
check "truncated" 0 "$kf" --json "$tmp/cut.pcap"
grep_out "truncated warned" "truncated" "$tmp/err"
grep_out "truncated in json" '"truncated"' "$tmp/out"
# several captures: JSON Lines, one document per line; an unreadable one makes it 2
check "json lines" 2 "$kf" --json samples/kerberos-udp.pcap /nonexistent.pcap samples/kerberos-tcp.pcap
lines=$(wc -l <"$tmp/out")
if [ "$lines" = 2 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL json lines: $lines lines"; fi
# stdin
check "stdin" 0 sh -c "\"$kf\" --json - < samples/kerberos-udp.pcap"
grep_out "stdin file" '"file": "-"' "$tmp/out"
check "rules" 0 "$kf" rules
grep_out "rules lists kdc-unreachable" "kdc-unreachable" "$tmp/out"
check "rules extra arg" 2 "$kf" rules x
# every rule of the catalogue is documented in docs/rules.md
for id in $("$kf" rules | awk 'NR > 1 && ($2 == "error" || $2 == "warning" || $2 == "info") {print $1}'); do
	grep_out "docs/rules.md documents $id" "$id" docs/rules.md
done
echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
