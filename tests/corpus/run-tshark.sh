#!/usr/bin/env bash
# Corpus oracle test: krbflow's Kerberos messages on port 88, and the Kerberos /
# NTLMSSP tokens it finds in HTTP authentication headers, in SMB / SMB2 session
# setups, in LDAP SASL binds and in DCE/RPC (over TCP) auth_verifiers, against
# tshark's.
#
#   bash tests/corpus/run-tshark.sh /path/to/krbflow [CAPTURE...]
#   bash tests/corpus/run-tshark.sh --self-test [CAPTURE...]
#
# Reads every *.pcap, *.pcapng, *.cap under REPO/../shared/corpus (override with
# KF_CORPUS_DIR), runs `krbflow --json FILE` and tshark on each, and compares
# message by message (see compare_tshark.py for what and how): the port-88 part,
# the HTTP part, the SMB part, the LDAP part and the DCE/RPC part (a line
# `PASS|FAIL http CAPTURE: ...`, `... smb ...`, `... ldap ...` or `... dcerpc ...`
# for each capture where either side has tokens of that carrier). A capture
# passes when all its parts do. Closing lines: `total:` (port 88), `total http:`,
# then `total smb:`, `total ldap:`, `total dcerpc:` (each part over the corpus:
# tshark's (frame, type) pairs, the share that agrees, which must be >= 99.5%,
# the share the allow-list excuses, which must be <= 0.5%, and PASS or FAIL; on
# a FAIL a line `smb|ldap|dcerpc: FAIL: why; failing captures: ...`),
# `corpus: N passed, M failed`. DCE/RPC over SMB named pipes counts in the
# dcerpc part.
# Differences that are understood go into known-differences.txt next to this
# script, one per line: `capture frame field reason` (frame may be *, capture
# may be a glob).
#
# Exit: 0 agreement, 1 differences above 0.1% of a capture's messages (port 88,
# HTTP), any SMB / LDAP / DCE/RPC difference not on the allow-list, the figures
# of one of those parts over a whole-corpus run outside 99.5% / 0.5%, or a
# krbflow crash (exit code other than 0/1/2, a signal, a timeout, output that is
# not JSON), 77 skipped (no corpus, no tshark or no python3; the reason is
# printed). With CAPTUREs named, the percentages are printed but not enforced
# (they are the corpus's).
# --self-test checks the comparison itself without krbflow: a stand-in fed
# tshark's own view must agree 100%, corrupted ones must be caught.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CORPUS=${KF_CORPUS_DIR:-$REPO/../shared/corpus}

skip() { echo "SKIP: $*"; exit 77; }

[[ $# -ge 1 ]] || { echo "usage: $0 KRBFLOW|--self-test [CAPTURE...]" >&2; exit 2; }
MODE=$1
shift

[[ -d $CORPUS ]] || [[ $# -gt 0 ]] || skip "corpus directory $CORPUS not found"
command -v tshark >/dev/null 2>&1 || skip "tshark not installed (apt-get install tshark)"
PY=$(command -v python3 2>/dev/null) || skip "python3 not installed"

# A private, empty configuration directory keeps the user's Wireshark preferences out of the oracle.
if [[ -z ${WIRESHARK_CONFIG_DIR:-} ]]; then
    WIRESHARK_CONFIG_DIR=$(mktemp -d /tmp/kf-ws-config.XXXXXX)
    export WIRESHARK_CONFIG_DIR
    trap 'rm -rf "$WIRESHARK_CONFIG_DIR"' EXIT
fi

if [[ $MODE == --self-test ]]; then
    "$PY" "$HERE/compare_tshark.py" --self-test --corpus "$CORPUS" "$@"
    exit $?
fi

KRBFLOW=$MODE
[[ -x $KRBFLOW ]] || { echo "FAIL: krbflow binary '$KRBFLOW' not found or not executable"; \
                       echo "corpus: 0 passed, 1 failed"; exit 1; }

"$PY" "$HERE/compare_tshark.py" --krbflow "$KRBFLOW" --corpus "$CORPUS" \
    --allow "$HERE/known-differences.txt" "$@"
