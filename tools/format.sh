#!/usr/bin/env bash
# Format krbflow's C sources with clang-format and the repository's .clang-format.
#
#   tools/format.sh           rewrite the files in place (clang-format -i)
#   tools/format.sh --check   change nothing; list the files that differ, exit 1 if any
#   tools/format.sh --list    print the file list
#
# The files: every *.c and *.h under decoders/ analyzer/ reports/ cli/ tests/ bench/, and
# krbflow.c; the ones git tracks in a git checkout, else all of them (find). The style is
# clang-format 14's (Debian 12): other versions format some constructs differently.
# $CLANG_FORMAT names the program; by default clang-format-14, else clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=(decoders analyzer reports cli tests bench)

files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		local specs=(krbflow.c) d
		for d in "${dirs[@]}"; do specs+=("$d/*.c" "$d/*.h"); done
		git ls-files -- "${specs[@]}"
	else
		{ find "${dirs[@]}" -type f \( -name '*.c' -o -name '*.h' \); echo krbflow.c; } | LC_ALL=C sort
	fi
}

mode=${1:-}
case "$mode" in
--list) files; exit 0 ;;
--check | "") ;;
*) echo "usage: tools/format.sh [--check | --list]" >&2; exit 2 ;;
esac

cf=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format || true)}
[ -n "$cf" ] || { echo "format: clang-format not found (Debian: apt-get install clang-format)" >&2; exit 2; }
version=$("$cf" --version)
mapfile -t list < <(files)

if [ "$mode" != --check ]; then
	printf '%s\0' "${list[@]}" | xargs -0 -n 16 "$cf" -i --style=file
	echo "format: ${#list[@]} files formatted with $version"
	exit 0
fi
bad=()
for f in "${list[@]}"; do
	"$cf" --dry-run --Werror --style=file "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -eq 0 ]; then
	echo "format: ${#list[@]} files as clang-format writes them ($version)"
	exit 0
fi
for f in "${bad[@]}"; do echo "format: differs: $f"; done
echo "format: ${#bad[@]} of ${#list[@]} files differ from what clang-format writes ($version);" \
	"tools/format.sh rewrites them, 'clang-format --style=file FILE | diff FILE -' shows one"
case "$version" in *" version 14."*) ;; *) echo "format: note: the style is checked with clang-format 14" ;; esac
exit 1
