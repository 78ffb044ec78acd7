#!/usr/bin/env bash
# Live lab test: run samples/lab/lab.sh against real servers in fresh network
# namespaces, then check that every fresh capture tells the same story as the
# committed sample of the same name (tests/lab/compare_live.py): the same
# sequence of messages (type, error code) and, once rules exist, the same
# findings (rule id, severity). Bytes, addresses, times and nonces differ on
# every run and are not compared.
# Usage: run-live.sh KRBFLOW   Exit 77 (skipped, with the reason) when this
# machine cannot run the lab: not root, no network namespaces, or KF_SKIP_LAB=1.
set -u
krbflow=${1:?usage: run-live.sh path/to/krbflow}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

skip() { echo "lab: skipped: $*"; exit 77; }
[ "${KF_SKIP_LAB:-0}" = 1 ] && skip "KF_SKIP_LAB=1"
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, tcpdump)"
command -v ip >/dev/null 2>&1 || skip "no 'ip' command (iproute2)"
command -v python3 >/dev/null 2>&1 || skip "no python3"
probe=kf-probe-$$
if ! ip netns add "$probe" 2>/tmp/kf-netns-probe.err; then
	skip "cannot create a network namespace: $(head -c 200 /tmp/kf-netns-probe.err)"
fi
ip netns del "$probe"

out=$(mktemp -d /tmp/kf-lab-live.XXXXXX)
trap 'rm -rf "$out"' EXIT
echo "lab: running samples/lab/lab.sh into $out"
start=$SECONDS
# its own session: a server that signals its process group on exit must
# not reach this script or CTest
if ! setsid --wait bash "$root/samples/lab/lab.sh" "$out" >"$out/lab.log" 2>&1; then
	tail -40 "$out/lab.log"
	echo "lab: 0 passed, 1 failed (the lab itself failed)"
	exit 1
fi
echo "lab: lab ran in $((SECONDS - start)) s"
python3 "$here/compare_live.py" "$krbflow" "$root/samples" "$out"
