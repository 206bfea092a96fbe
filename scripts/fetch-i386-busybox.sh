#!/bin/sh
# Debian's i386 busybox-static, for the 32-bit tests (tests/test_compat_busybox.py). It is
# unpacked into the test cache ($GLASSKERNEL_TEST_CACHE or ~/.cache/glasskernel-tests)/i386,
# so the 64-bit /bin/busybox stays in place. Adds the i386 architecture to dpkg (root).
set -eu
dest=${GLASSKERNEL_TEST_CACHE:-$HOME/.cache/glasskernel-tests}/i386
[ -x "$dest/busybox" ] && exit 0
if ! dpkg --print-foreign-architectures | grep -qx i386; then
	dpkg --add-architecture i386
	apt-get update -qq
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
apt-get download busybox-static:i386 >/dev/null 2>&1 || { apt-get update -qq; apt-get download busybox-static:i386; }
dpkg-deb -x busybox-static_*_i386.deb root
mkdir -p "$dest"
cp root/bin/busybox "$dest/busybox.tmp"
mv "$dest/busybox.tmp" "$dest/busybox"
echo "i386 busybox: $dest/busybox"
