#!/bin/sh
# Rebuild glasskernel's vDSO images from their sources, as Linux's arch/x86/entry/vdso/Makefile
# does: position-independent code, no libc, linked by a linker script into one read-only
# executable segment with Linux's symbol versions.
#   vdso64.so   the x86-64 image (vclock_gettime.c, vdso.lds), LINUX_2.6
#   vdso32.so   the i386 image for compat programs (vdso32/*: __kernel_vsyscall, the
#               signal return trampolines, and vclock_gettime.c built with -m32),
#               LINUX_2.5 and LINUX_2.6
#   vdso32.syms the i386 image's internal labels the kernel needs (int80_landing_pad ...),
#               which are not exported: name and offset, one per line (Linux's vdso2c
#               puts them in vdso-image-32.c)
# The images are committed so that glasskernel needs no compiler to run; tests/test_vdso.py
# and tests/test_vdso32.py rebuild them and check that the results match.
# Usage: build-vdso.sh [OUTDIR]   (default: the shipped files, in glasskernel/arch/x86/entry/vdso)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
src="$here/glasskernel/arch/x86/entry/vdso"
# Compatibility: an argument ending in .so names the 64-bit image alone, as before.
case "${1:-}" in
*.so) out64=$1 out32= ;;
"") out64="$src/vdso64.so" out32="$src" ;;
*) out64="$1/vdso64.so" out32=$1 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-gcc}
common="-O2 -fPIC -fno-stack-protector -fno-common -fno-builtin -ffreestanding
	-mno-sse -mno-mmx -fasynchronous-unwind-tables
	-fno-ident -ffile-prefix-map=$src=. -Wall -Wextra -Werror"
ldflags="-shared -nostdlib -fPIC -Wl,-L,$src -Wl,--hash-style=both -Wl,--eh-frame-hdr
	-Wl,-Bsymbolic -Wl,-z,max-page-size=4096 -Wl,--no-undefined -Wl,--build-id=sha1
	-Wl,-z,noexecstack"

# Like vdso2c: nothing in an image may need relocating.
no_relocations() {
	if readelf -r "$1" | grep -q "R_X86_64\|R_386"; then
		echo "build-vdso.sh: $1 has relocations" >&2
		exit 1
	fi
}

# ----- vdso64.so --------------------------------------------------------------------------
$cc $common -mcmodel=small -mno-red-zone -c -o "$tmp/vclock_gettime.o" "$src/vclock_gettime.c"
$cc -c -o "$tmp/vdso-note.o" "$src/vdso-note.S"
$cc $ldflags -Wl,-T,"$src/vdso.lds" -Wl,-soname=linux-vdso.so.1 \
	-o "$tmp/vdso64.so.dbg" "$tmp/vclock_gettime.o" "$tmp/vdso-note.o"
no_relocations "$tmp/vdso64.so.dbg"
objcopy -S -R .note.gnu.build-id "$tmp/vdso64.so.dbg" "$out64"
echo "built $out64"
[ -n "$out32" ] || exit 0

# ----- vdso32.so: Linux's vdso32 flags (-m32 -msoft-float -mregparm=0 -fpic, frame pointers) --
$cc -m32 $common -msoft-float -mregparm=0 -fno-omit-frame-pointer \
	-c -o "$tmp/vclock_gettime32.o" "$src/vdso32/vclock_gettime.c"
for s in system_call sigreturn; do
	$cc -m32 -c -o "$tmp/$s.o" "$src/vdso32/$s.S"
done
$cc -m32 -c -o "$tmp/note32.o" "$src/vdso-note.S"
# The objects in Linux's order: note, system_call, sigreturn, vclock_gettime.
$cc -m32 $ldflags -Wl,-m,elf_i386 -Wl,-T,"$src/vdso32/vdso32.lds" -Wl,-soname=linux-gate.so.1 \
	-o "$tmp/vdso32.so.dbg" "$tmp/note32.o" "$tmp/system_call.o" "$tmp/sigreturn.o" \
	"$tmp/vclock_gettime32.o"
no_relocations "$tmp/vdso32.so.dbg"
objcopy -S -R .note.gnu.build-id "$tmp/vdso32.so.dbg" "$out32/vdso32.so"
{
	echo "# i386 vDSO labels the kernel needs (scripts/build-vdso.sh): name offset"
	for sym in int80_landing_pad vdso32_sigreturn_landing_pad vdso32_rt_sigreturn_landing_pad; do
		nm "$tmp/vdso32.so.dbg" | awk -v s="$sym" '$3 == s { print s, "0x" $1; found = 1 }
			END { if (!found) exit 1 }' || { echo "build-vdso.sh: no $sym" >&2; exit 1; }
	done
} > "$out32/vdso32.syms"
echo "built $out32/vdso32.so"
