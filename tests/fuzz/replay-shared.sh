#!/bin/sh
# replay-shared.sh REPLAY DIR - replay DIR (the shared corpus beside the
# repository) through a replay program; exit 77 (CTest: skipped) without it.
replay=$1
dir=$2
if [ ! -d "$dir" ]; then
	echo "no shared corpus at $dir: skipped"
	exit 77
fi
exec "$replay" "$dir"
