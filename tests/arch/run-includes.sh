#!/usr/bin/env bash
# The module map over the source tree (tests/arch/check_includes.py): quoted
# includes only along allowed edges, no include or call cycle between units,
# no file under analyzer/ over 1,000 lines.
# Usage: run-includes.sh KRBFLOW   (the binary is not used)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
python3 "$root/tests/arch/check_includes.py" "$root"
