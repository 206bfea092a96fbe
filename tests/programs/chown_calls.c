/* The chown family (chown, fchown, lchown, fchownat) and its checks: EINVAL for unknown
 * fchownat flags, EBADF for an O_PATH fd, EPERM once the caller is no longer root,
 * ENOENT; ownership of a symlink itself with lchown. argv[1] is a scratch directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[4096], link_path[4096], dir[4096];

static void show(const char *what, int r)
{
	printf("%s = %d %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static void st(const char *what, const char *p)
{
	struct stat s;
	if (lstat(p, &s) == 0)
		printf("%s uid=%d gid=%d mode=%o\n", what, (int)s.st_uid, (int)s.st_gid, s.st_mode);
}

int main(int argc, char **argv)
{
	snprintf(dir, sizeof dir, "%s/chd", argc > 1 ? argv[1] : "/tmp");
	snprintf(path, sizeof path, "%s/f", dir);
	snprintf(link_path, sizeof link_path, "%s/l", dir);
	mkdir(dir, 0755);
	int fd = open(path, O_CREAT | O_RDWR, 0755);
	fchmod(fd, 06755);
	show("chown", chown(path, 1000, 1000));
	st("file", path);
	show("fchown", fchown(fd, 1001, -1));
	st("file", path);
	symlink("f", link_path);
	show("lchown", lchown(link_path, 7, 8));
	st("link", link_path);
	st("file", path);
	show("fchownat bad flag", fchownat(AT_FDCWD, path, 1, 1, 0x4));
	show("fchownat empty", fchownat(fd, "", 5, 6, AT_EMPTY_PATH));
	st("file", path);
	show("chown -1 -1", chown(path, -1, -1));
	st("file", path);
	int p = open(path, O_PATH);
	show("fchown O_PATH", fchown(p, 1, 1));
	show("setuid", setuid(1000));
	show("chown to root (EPERM)", chown(path, 0, 0));
	show("chown missing", chown(dir, -1, -1) < 0 ? -1 : chown("/nonexistent/x", 0, 0));
	return 0;
}
