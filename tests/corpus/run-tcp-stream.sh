#!/usr/bin/env bash
# tcp.stream oracle: every tcp_stream krbflow writes (messages, HTTP
# connections, sessions, HTTPS hellos, transport events) must be the
# tcp.stream tshark gives that frame of that file.
#
#   bash tests/corpus/run-tcp-stream.sh /path/to/krbflow
#
# Runs compare_tcp_stream.py on the lab samples one by one, with -f filters
# that drop some TCP conversations (numbers still count them), on the merge
# sample pair (--merge: a file's copies dropped still count in that file), on
# a sample cut into pieces (--continuous: each piece counts from 0), and on
# the corpus under REPO/../shared/corpus (KF_CORPUS_DIR) when it is there.
# Exit 0 agreement, 1 a difference, 77 skipped (no tshark or python3).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CORPUS=${KF_CORPUS_DIR:-$REPO/../shared/corpus}
BIN=${1:?usage: run-tcp-stream.sh KRBFLOW}
for tool in tshark python3 editcap; do
	command -v "$tool" >/dev/null || { echo "skipped: no $tool"; exit 77; }
done
CMP="python3 $HERE/compare_tcp_stream.py $BIN"
S=$REPO/samples
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
run() { "$@" >"$TMP/out" 2>&1 || fail=1; grep -v ' compared$' "$TMP/out"; awk '/compared$/{n+=$(NF-1)} END{print "  " n " compared"}' "$TMP/out"; }

echo "samples:"
mapfile -t samples < <(find "$S" -name '*.pcap' -o -name '*.pcapng' | sort)
run $CMP "${samples[@]}"
for flt in "not tcp port 88" "not port 445" "tcp port 88"; do
	echo "filter '$flt':"
	run $CMP --filter "$flt" "$S/samba-account-errors.pcap" "$S/rpc-kerberos-ok.pcap" "$S/tds-spn-unknown.pcap"
done
echo "merge:"
run $CMP --merge "$S/merge-client-side.pcap" "$S/merge-front-side.pcap"
echo "continuous:"
editcap -c 40 "$S/samba-account-errors.pcap" "$TMP/piece.pcap" >/dev/null 2>&1
run $CMP --continuous "$TMP"/piece_*
if [ -d "$CORPUS" ]; then
	echo "corpus:"
	mapfile -t caps < <(find "$CORPUS" -maxdepth 1 \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
	run $CMP "${caps[@]}"
fi
[ $fail = 0 ] && echo PASS || echo FAIL
exit $fail
