#!/usr/bin/env bash
# --keytab end to end: tshark (the oracle) and krbflow agree on what the
# lab's TEST-ONLY keytabs open in every lab sample (check_tshark.py); no key
# of either keytab ever appears in a report (hex or base64, text or JSON, with
# or without --debug-decode); keytab errors are exit 2 with the file named;
# a keytab readable by others is warned about, one of mode 0600 is not;
# KRB5_KTNAME is used when --keytab is not given.
# Usage: run-keytab.sh KRBFLOW
set -u
kf=${1:?usage: run-keytab.sh path/to/krbflow}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
keys=samples/keys
samples=$(ls samples/*.pcap | grep -v synthetic-)

# 1. the oracle
if command -v tshark >/dev/null 2>&1; then
	for k in lab-services lab-kdc; do
		for s in $samples; do
			if python3 tests/keytab/check_tshark.py "$kf" "$s" "$keys/$k.keytab" >"$tmp/o" 2>&1; then ok; else
				bad "tshark disagrees on $s with $k.keytab"; head -5 "$tmp/o"; fi
		done
	done
else
	echo "keytab: tshark not installed; oracle comparison skipped"
fi

# 2. no key material in any output: every key of both keytabs, as klist -K
# prints it (hex) and in base64, must be absent from every report
if command -v klist >/dev/null 2>&1; then
	for k in lab-services lab-kdc; do
		klist -k -K "$keys/$k.keytab" 2>/dev/null | sed -n 's/.*(0x\([0-9a-f]*\)).*/\1/p' >>"$tmp/hex"
	done
	sort -u "$tmp/hex" -o "$tmp/hex"
	n=$(wc -l <"$tmp/hex")
	[ "$n" -gt 50 ] && ok || bad "only $n keys listed from the keytabs"
	python3 - "$tmp/hex" >"$tmp/needles" <<'PY'
import base64, sys
for h in open(sys.argv[1]).read().split():
    b = bytes.fromhex(h)
    for s in (h, h.upper(), base64.b64encode(b).decode(), h[:24], base64.b64encode(b[:12]).decode()):
        print(s)
PY
	for s in $samples; do
		for kt in "$keys/lab-kdc.keytab" "$keys/lab-services.keytab"; do
			"$kf" --keytab "$kt" "$s" >>"$tmp/reports" 2>&1
			"$kf" --json --keytab "$kt" "$s" >>"$tmp/reports" 2>&1
			"$kf" --debug-decode --keytab "$kt" "$s" >>"$tmp/reports" 2>&1
		done
	done
	if grep -qiF -f "$tmp/needles" "$tmp/reports"; then
		bad "key material in a report: $(grep -oiF -f "$tmp/needles" "$tmp/reports" | head -1)"
	else ok; fi
	# and the reports did decrypt something (the check is not vacuous)
	grep -q '"status": "decrypted"' "$tmp/reports" && ok || bad "nothing decrypted"
else
	echo "keytab: klist not installed; key-material check skipped"
fi

# 3. errors and warnings
check_exit() { # name want cmd...
	local name=$1 want=$2; shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	if [ "$got" = "$want" ]; then ok; else bad "$name: exit $got, wanted $want"; head -3 "$tmp/err"; fi
}
check_exit "missing keytab" 2 "$kf" --keytab "$tmp/none.keytab" samples/deleg-works.pcap
grep -q "cannot open keytab $tmp/none.keytab" "$tmp/err" && ok || bad "missing keytab: message"
check_exit "not a keytab" 2 "$kf" --keytab samples/deleg-works.pcap samples/deleg-works.pcap
grep -q "is not a keytab" "$tmp/err" && ok || bad "not a keytab: message"
cp "$keys/lab-services.keytab" "$tmp/open.keytab"
chmod 644 "$tmp/open.keytab"
check_exit "world-readable" 0 "$kf" --keytab "$tmp/open.keytab" samples/deleg-works.pcap
grep -q "can be read by other users" "$tmp/err" && ok || bad "no warning for mode 0644"
chmod 600 "$tmp/open.keytab"
check_exit "mode 0600" 0 "$kf" --keytab "$tmp/open.keytab" samples/deleg-works.pcap
[ ! -s "$tmp/err" ] && ok || bad "warning for mode 0600: $(head -1 "$tmp/err")"
grep -q "GSS deleg" "$tmp/out" && ok || bad "mode 0600: nothing decrypted"
KRB5_KTNAME="FILE:$tmp/open.keytab" "$kf" --json samples/deleg-works.pcap >"$tmp/out" 2>"$tmp/err"
grep -q '"delegation": true' "$tmp/out" && ok || bad "KRB5_KTNAME not used"
grep -q "decrypting with KRB5_KTNAME" "$tmp/err" && ok || bad "KRB5_KTNAME: no note"
"$kf" --help | grep -q -- "--keytab FILE" && ok || bad "--help lacks --keytab"
"$kf" --help | grep -q "never" && ok || bad "--help does not say key material is never printed"

echo "keytab: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
