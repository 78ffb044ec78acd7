#!/usr/bin/env bash
# Run every krbflow test: unit, golden, corpus and live-lab suites on the
# normal build, then all but the live lab again on an AddressSanitizer +
# UndefinedBehaviorSanitizer build.
# Installs the test dependencies first when run as root on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh --test
jobs=$(nproc)

echo "== build (warnings are errors)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKRBFLOW_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKRBFLOW_SANITIZE=ON -DKRBFLOW_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under sanitizers (the live lab and the format check ran once above: they test the servers' traffic and the sources, not memory safety)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE 'lab|format'
