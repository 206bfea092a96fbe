#!/bin/sh
# Rebuild glasskernel's vDSO image (arch/x86/entry/vdso/vdso64.so) from its C source, as
# Linux's arch/x86/entry/vdso/Makefile does: position-independent code, no libc, linked
# by vdso.lds into one read-only executable segment with the LINUX_2.6 symbol version.
# The image is committed so that glasskernel needs no compiler to run; tests/test_vdso.py
# rebuilds it and checks that the result matches.
# Usage: build-vdso.sh [OUTPUT]   (default: the shipped vdso64.so)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
src="$here/glasskernel/arch/x86/entry/vdso"
out="${1:-$src/vdso64.so}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cflags="-O2 -fPIC -fno-stack-protector -fno-common -fno-builtin -ffreestanding
	-mcmodel=small -mno-sse -mno-mmx -mno-red-zone -fasynchronous-unwind-tables
	-fno-ident -ffile-prefix-map=$src=. -Wall -Wextra -Werror"
${CC:-gcc} $cflags -c -o "$tmp/vclock_gettime.o" "$src/vclock_gettime.c"
${CC:-gcc} -c -o "$tmp/vdso-note.o" "$src/vdso-note.S"
${CC:-gcc} -shared -nostdlib -fPIC -Wl,-T,"$src/vdso.lds" -Wl,-soname=linux-vdso.so.1 \
	-Wl,--hash-style=both -Wl,--eh-frame-hdr -Wl,-Bsymbolic -Wl,-z,max-page-size=4096 \
	-Wl,--no-undefined -Wl,--build-id=sha1 -Wl,-z,noexecstack \
	-o "$tmp/vdso64.so.dbg" "$tmp/vclock_gettime.o" "$tmp/vdso-note.o"
# Like vdso2c: nothing may need relocating, and the image is stripped of debug data.
if readelf -r "$tmp/vdso64.so.dbg" | grep -q "R_X86_64"; then
	echo "build-vdso.sh: the vDSO has relocations" >&2
	exit 1
fi
objcopy -S -R .note.gnu.build-id "$tmp/vdso64.so.dbg" "$out"
echo "built $out"
