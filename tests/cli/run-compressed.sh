#!/usr/bin/env bash
# Compressed captures (gzip, zstd) read in place and on standard input: the
# --json output equals the plain file's but for its "file" line; a cut
# compressed file is a truncated capture; garbage after a magic is an error.
# Usage: run-compressed.sh KRBFLOW   (skips, exit 77, without gzip and zstd)
set -u
kf=${1:?usage: run-compressed.sh path/to/krbflow}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
for tool in gzip zstd; do
	command -v "$tool" >/dev/null || { echo "compressed: $tool not installed, skipped"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
same() { # name plain-json other-json: equal but for the "file" line
	if diff <(grep -v '^    "file": ' "$2") <(grep -v '^    "file": ' "$3") >"$tmp/diff"; then ok; else
		ko "$1: output differs from the plain capture's"; head -10 "$tmp/diff"; fi
}

samples="web-healthy-401first kerberos-tcp kerberos-udp-fragmented web-ntlm-fallback samba-account-errors"
for s in $samples; do
	plain=samples/$s.pcap
	"$kf" --json "$plain" >"$tmp/$s.json" 2>"$tmp/$s.err"
	want=$?
	gzip -9 -c "$plain" >"$tmp/$s.pcap.gz"
	zstd -q -19 -c "$plain" >"$tmp/$s.pcap.zst"
	# two members / two frames, as `cat a.gz b.gz` makes
	head -c 3000 "$plain" | gzip -c >"$tmp/$s.multi.pcap.gz"
	tail -c +3001 "$plain" | gzip -1 -c >>"$tmp/$s.multi.pcap.gz"
	head -c 3000 "$plain" | zstd -q -c >"$tmp/$s.multi.pcap.zst"
	tail -c +3001 "$plain" | zstd -q -c >>"$tmp/$s.multi.pcap.zst"
	for z in "$tmp/$s.pcap.gz" "$tmp/$s.pcap.zst" "$tmp/$s.multi.pcap.gz" "$tmp/$s.multi.pcap.zst"; do
		name=$(basename "$z")
		"$kf" --json "$z" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ "$rc" = "$want" ] && ok || ko "$name: exit $rc, plain $want"
		same "$name" "$tmp/$s.json" "$tmp/out"
		grep -q "\"file\": \"$z\"" "$tmp/out" && ok || ko "$name: file not named"
		if cmp -s <(sed "s|$z|CAPTURE|g" "$tmp/err") <(sed "s|$plain|CAPTURE|g" "$tmp/$s.err"); then ok; else
			ko "$name: stderr differs"; fi
		# standard input, redirected and through a pipe
		"$kf" --json - <"$z" >"$tmp/out" 2>/dev/null
		rc=$?
		[ "$rc" = "$want" ] && ok || ko "$name on stdin: exit $rc, plain $want"
		same "$name on stdin" "$tmp/$s.json" "$tmp/out"
		cat "$z" | "$kf" --json - >"$tmp/out" 2>/dev/null
		same "$name through a pipe" "$tmp/$s.json" "$tmp/out"
	done
done

# plain captures through a pipe (the sniffed bytes are replayed)
cat samples/kerberos-tcp.pcap | "$kf" --json - >"$tmp/out" 2>/dev/null
same "plain pipe" "$tmp/kerberos-tcp.json" "$tmp/out"

# a cut compressed file: a truncated capture (exit 0, warned), partial results
z=$tmp/kerberos-tcp.pcap.gz
head -c $(($(stat -c %s "$z") * 3 / 4)) "$z" >"$tmp/cut.pcap.gz"
"$kf" --json "$tmp/cut.pcap.gz" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && ok || ko "cut gzip: exit $rc"
grep -q '"code": "truncated"' "$tmp/out" && ok || ko "cut gzip: no truncated warning"
grep -q "gzip data ends early" "$tmp/err" && ok || ko "cut gzip: reason not given"

# a magic then garbage: a clear error, exit 2
printf '\037\213this is no deflate stream' >"$tmp/garbage.pcap.gz"
"$kf" "$tmp/garbage.pcap.gz" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 2 ] && ok || ko "garbage gzip: exit $rc"
grep -q "gzip data is corrupt" "$tmp/err" && ok || ko "garbage gzip: $(cat "$tmp/err")"
printf '\050\265\057\375this is no zstd frame' | "$kf" - >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 2 ] && ok || ko "garbage zstd on stdin: exit $rc"
grep -q "zstd data is corrupt" "$tmp/err" && ok || ko "garbage zstd: $(cat "$tmp/err")"

echo "compressed: $pass passed, $fail failed"
[ "$fail" = 0 ]
