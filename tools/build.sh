#!/usr/bin/env bash
# Build krbflow into ./build (installing build dependencies first if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
echo "built: build/krbflow"
