#!/usr/bin/env bash
# The C sources are formatted as .clang-format says: clang-format --dry-run
# --Werror over every tracked *.c and *.h (tools/format.sh --check), naming the
# files that differ. tools/format.sh rewrites them.
#
# Usage: run-format.sh [KRBFLOW]   (the binary is not used)
# Exit 0 formatted, 1 some file differs, 77 skipped: clang-format is not installed
# and this is not root (as root it is installed with tools/deps.sh --test).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
have() { [ -n "${CLANG_FORMAT:-}" ] || command -v clang-format-14 >/dev/null || command -v clang-format >/dev/null; }
if ! have; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "format: skipped: clang-format not installed (tools/deps.sh --test installs it)"
		exit 77
	fi
	"$root/tools/deps.sh" --test >/dev/null || { echo "FAIL: tools/deps.sh --test could not install clang-format"; exit 1; }
	have || { echo "FAIL: clang-format still missing after tools/deps.sh --test"; exit 1; }
fi
"$root/tools/format.sh" --check
