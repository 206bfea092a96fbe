/* openat2(2): struct open_how checks (EINVAL, E2BIG), strict flags, and the RESOLVE_*
 * flags bounding the walk: NO_SYMLINKS and NO_MAGICLINKS (ELOOP), BENEATH (EXDEV for "..",
 * absolute paths and symlinks out), IN_ROOT (the dirfd as root), NO_XDEV (EXDEV into
 * /proc), CACHED with O_CREAT (EAGAIN). argv[1]: a scratch directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct how { unsigned long long flags, mode, resolve; };
static int dfd;

static void try(const char *what, const char *path, unsigned long long flags,
		unsigned long long mode, unsigned long long resolve)
{
	struct how h = { flags, mode, resolve };
	long fd = syscall(SYS_openat2, dfd, path, &h, sizeof h);
	printf("%-36s = %s\n", what, fd < 0 ? strerror(errno) : "ok");
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	char p[4096];
	mkdir(argv[1], 0755);
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	snprintf(p, sizeof p, "%s/f", argv[1]);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	symlinkat("f", dfd, "rel");
	symlinkat("/etc/passwd", dfd, "abs");
	symlinkat("../..", dfd, "up");
	mkdirat(dfd, "d", 0755);
	struct how big[2] = { { O_RDONLY, 0, 0 }, { 0, 0, 0 } };
	printf("%-36s = %s\n", "size 16", syscall(SYS_openat2, dfd, "f", big, 16) < 0 ? strerror(errno) : "ok");
	printf("%-36s = %s\n", "size 48 zero tail", syscall(SYS_openat2, dfd, "f", big, 48) < 0 ? strerror(errno) : "ok");
	big[1].flags = 1;
	printf("%-36s = %s\n", "size 48 nonzero tail", syscall(SYS_openat2, dfd, "f", big, 48) < 0 ? strerror(errno) : "ok");
	try("plain", "f", O_RDONLY, 0, 0);
	try("unknown flag", "f", O_RDONLY | 0x40000000, 0, 0);
	try("mode without O_CREAT", "f", O_RDONLY, 0644, 0);
	try("mode bits past 07777", "g", O_CREAT | O_WRONLY, 010000, 0);
	try("unknown resolve", "f", O_RDONLY, 0, 0x100);
	try("BENEATH|IN_ROOT", "f", O_RDONLY, 0, 0x18);
	try("O_PATH with O_RDWR", "f", O_PATH | O_RDWR, 0, 0);
	try("NO_SYMLINKS rel", "rel", O_RDONLY, 0, 0x04);
	try("NO_SYMLINKS O_PATH|O_NOFOLLOW", "rel", O_PATH | O_NOFOLLOW, 0, 0x04);
	try("NO_MAGICLINKS /proc/self/exe", "/proc/self/exe", O_RDONLY, 0, 0x02);
	try("NO_MAGICLINKS rel symlink", "rel", O_RDONLY, 0, 0x02);
	try("BENEATH f", "f", O_RDONLY, 0, 0x08);
	try("BENEATH d/../f", "d/../f", O_RDONLY, 0, 0x08);
	try("BENEATH ..", "..", O_RDONLY, 0, 0x08);
	try("BENEATH absolute", "/etc/passwd", O_RDONLY, 0, 0x08);
	try("BENEATH abs symlink", "abs", O_RDONLY, 0, 0x08);
	try("BENEATH up symlink", "up/etc/passwd", O_RDONLY, 0, 0x08);
	try("IN_ROOT ../../f", "../../f", O_RDONLY, 0, 0x10);
	try("IN_ROOT /f", "/f", O_RDONLY, 0, 0x10);
	try("IN_ROOT up symlink to f", "up/f", O_RDONLY, 0, 0x10);
	try("NO_XDEV /proc/self/status", "/proc/self/status", O_RDONLY, 0, 0x01);
	try("CACHED O_CREAT", "h", O_CREAT | O_WRONLY, 0644, 0x20);
	unlinkat(dfd, "f", 0);
	unlinkat(dfd, "rel", 0);
	unlinkat(dfd, "abs", 0);
	unlinkat(dfd, "up", 0);
	unlinkat(dfd, "d", AT_REMOVEDIR);
	unlinkat(dfd, "g", 0);
	return 0;
}
