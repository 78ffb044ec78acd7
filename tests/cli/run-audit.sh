#!/usr/bin/env bash
# krbflow audit and krbflow merge on the bundled samples: documents equal the
# captures' own analyses, the summary agrees with them, -j 1 = -j 2, shards
# merged = the single run (check_audit.py); unreadable captures are reported
# and do not stop the audit (exit 2); --fail-on across the audit; bad usage.
#
# Usage: run-audit.sh KRBFLOW
set -u
kf=${1:?usage: run-audit.sh path/to/krbflow}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v python3 >/dev/null || { echo "skip: python3 not found"; exit 77; }
tmp=$(mktemp -d /tmp/krbflow-audit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description expected-exit actual-exit
	if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1 (exit $3, expected $2)"; fail=1; fi
}

cd "$root" || exit 1
python3 "$here/check_audit.py" "$kf" samples || fail=1

# a directory with captures, a non-capture (skipped) and a broken capture (reported)
mkdir -p "$tmp/arch/sub"
cp samples/kerberos-errors.pcap samples/web-auth-loop.pcap "$tmp/arch/"
cp samples/kerberos-udp.pcap "$tmp/arch/sub/trace-without-extension"
echo "not a capture" > "$tmp/arch/notes.txt"
head -c 30 samples/kerberos-tcp.pcap > "$tmp/arch/sub/cut.pcap"
printf '\xd4\xc3\xb2\xa1' > "$tmp/arch/sub/header-only.pcap"
"$kf" audit --no-progress "$tmp/arch" > "$tmp/out" 2> "$tmp/err"
rc=$?
check "an unreadable capture makes the audit exit 2" 2 $rc
grep -q "^5 captures (1 unreadable)" "$tmp/out" && echo "ok: 5 captures found, notes.txt skipped, 1 unreadable" ||
	{ echo "FAIL: summary: $(head -1 "$tmp/out")"; fail=1; }
grep -q "header-only.pcap unreadable: " "$tmp/out" && grep -q "header-only.pcap" "$tmp/err" &&
	echo "ok: the unreadable capture is named with its error" || { echo "FAIL: unreadable row"; fail=1; }
grep -q "trace-without-extension" "$tmp/out" && echo "ok: a capture is found by its magic, not its name" ||
	{ echo "FAIL: trace-without-extension not audited"; fail=1; }
python3 "$here/check_audit.py" "$kf" "$tmp/arch" > "$tmp/chk" || { cat "$tmp/chk"; fail=1; }
"$kf" audit --json --no-progress "$tmp/arch" 2>/dev/null | python3 -c '
import json, sys
d = [json.loads(l) for l in sys.stdin]
e = [x for x in d if "error" in x["capture"]]
assert len(d) == 5 and len(e) == 1 and list(e[0]) == ["krbflow", "capture"], d
' && echo "ok: --json gives the unreadable capture a document with capture.error" ||
	{ echo "FAIL: --json error document"; fail=1; }

# compressed captures in a directory: found by name, read as the plain ones
mkdir -p "$tmp/z"
cp samples/kerberos-errors.pcap "$tmp/z/a.pcap"
gzip -c samples/kerberos-errors.pcap > "$tmp/z/b.pcap.gz"
gzip -c README.md > "$tmp/z/notes.gz"
if command -v zstd >/dev/null; then zstd -q -c samples/kerberos-errors.pcap > "$tmp/z/c.pcapng.zst"; fi
"$kf" audit --no-progress "$tmp/z" > "$tmp/zout"
n=$(grep -c "      14        14     3     0     0  principal-unknown x2, preauth-failed" "$tmp/zout")
want=$(ls "$tmp/z" | grep -vc notes.gz)
[ "$n" = "$want" ] && ! grep -q notes.gz "$tmp/zout" &&
	echo "ok: compressed captures audited like the plain one ($n rows), notes.gz skipped" ||
	{ echo "FAIL: compressed captures in an audit"; cat "$tmp/zout"; fail=1; }

# --fail-on across the audit
"$kf" audit --no-progress --fail-on error samples/kerberos-udp.pcap samples/kerberos-errors.pcap > /dev/null
check "--fail-on error with an error finding in one capture" 1 $?
"$kf" audit --no-progress --fail-on error samples/kerberos-udp.pcap samples/kerberos-tcp.pcap > /dev/null
check "--fail-on error on clean captures" 0 $?

# usage
"$kf" audit --no-progress --shard 4/3 samples > /dev/null 2>&1; check "--shard 4/3" 2 $?
"$kf" audit --no-progress -j 0 samples > /dev/null 2>&1; check "-j 0" 2 $?
"$kf" audit --no-progress "$tmp/does-not-exist" > /dev/null 2>&1; check "a missing path" 2 $?
"$kf" audit > /dev/null 2>&1; check "no path" 2 $?
"$kf" merge "$tmp/arch/notes.txt" > /dev/null 2>&1; check "merge of a file that is not JSON Lines" 2 $?
"$kf" audit --help | grep -q "^usage: krbflow audit" && echo "ok: audit --help" || { echo "FAIL: audit --help"; fail=1; }
# no progress line when stderr is not a terminal
"$kf" audit samples/kerberos-udp.pcap > /dev/null 2> "$tmp/err2"
[ ! -s "$tmp/err2" ] && echo "ok: silent stderr when it is not a terminal" || { echo "FAIL: stderr: $(cat "$tmp/err2")"; fail=1; }
# and a progress line when it is one
n=$(find samples -maxdepth 1 -name '*.pcap' | wc -l)
python3 - "$kf" "$n" <<'PY' && echo "ok: progress line on a terminal" || { echo "FAIL: progress line"; fail=1; }
import os, pty, subprocess, sys
m, s = pty.openpty()
subprocess.run([sys.argv[1], "audit", "-j", "2", "samples"], stdout=subprocess.DEVNULL, stderr=s)
os.close(s)
out = b""
while True:
    try:
        d = os.read(m, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
done = ("] %s/%s captures" % (sys.argv[2], sys.argv[2])).encode()
sys.exit(0 if done in out and b"MB/s" in out and b"ETA" in out else 1)
PY
exit $fail
