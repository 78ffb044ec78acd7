#!/usr/bin/env bash
# TDS carrier (SQL Server logins): krbflow's TDS records in the lab's
# samples/tds-*.pcap agree with tshark's TDS dissector frame by frame
# (check_tds_tshark.py). Skipped (77) when tshark is not installed.
# Usage: run-tds.sh KRBFLOW
set -u
kf=${1:?usage: run-tds.sh path/to/krbflow}
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v tshark >/dev/null || { echo "skip: tshark not installed"; exit 77; }
exec python3 "$root/tests/carriers/check_tds_tshark.py" "$kf" "$root"/samples/tds-*.pcap
