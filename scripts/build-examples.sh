#!/bin/sh
# Rebuild the demo's bundled static binaries from their sources (needs musl-tools, and
# gcc-multilib for the i386 ones that `glasskernel demo --i386` runs).
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
mkdir -p "$out/i386"
for name in forkexec hello; do
	gcc -m32 -static -Os -s -o "$out/i386/$name" "$src/$name.c"
	echo "built $out/i386/$name"
done
