#!/usr/bin/env bash
# Install what krbflow needs to build and test, from Debian 12 packages.
# Does nothing when everything is already installed; otherwise needs root.
set -euo pipefail
need=(build-essential cmake pkg-config libpcap-dev libkrb5-dev libjansson-dev zlib1g-dev libzstd-dev check)
if [ "${1:-}" = "--test" ]; then
	# tshark is the oracle of the corpus test; clang for the fuzz targets;
	# zstd (and gzip, always there) compress samples for the compressed-input test;
	# klist (krb5-user) lists the test keytabs' keys for the no-key-material check; jq reads JSON in the cli tests;
	# clang-format (14 on Debian 12) checks the C sources' format (tests/format)
	need+=(tshark python3 clang valgrind zstd krb5-user jq clang-format)
fi
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "krbflow needs these Debian packages: ${missing[*]}" >&2
	echo "run this script as root (sudo $0 $*) or install them yourself" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# tshark asks whether non-root users may capture: no (we only read files)
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get install -y -q --no-install-recommends "${missing[@]}"
