#!/usr/bin/env bash
# kpasswd carrier (port 464): krbflow's messages in samples/kpasswd.pcap agree
# with tshark's kpasswd dissector frame by frame (check_kpasswd_tshark.py).
# Skipped (77) when tshark is not installed.
# Usage: run-kpasswd.sh KRBFLOW
set -u
kf=${1:?usage: run-kpasswd.sh path/to/krbflow}
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v tshark >/dev/null || { echo "skip: tshark not installed"; exit 77; }
exec python3 "$root/tests/carriers/check_kpasswd_tshark.py" "$kf" "$root/samples/kpasswd.pcap"
