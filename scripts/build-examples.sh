#!/bin/sh
# Rebuild the demo's bundled static binaries from their sources (needs musl-tools).
# The binaries are committed so that `glasskernel demo` needs no compiler.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
src="$here/glasskernel/examples/src"
out="$here/glasskernel/examples/bin"
mkdir -p "$out"
for c in "$src"/*.c; do
	name=$(basename "$c" .c)
	musl-gcc -static -Os -s -o "$out/$name" "$c"
	echo "built $out/$name"
done
