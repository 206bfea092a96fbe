/* layer_ops.c - what the sandbox's writable layer must get right beyond plain files.
 *
 *   layer_ops exchange DIR   RENAME_EXCHANGE of two files, then of a file and a directory;
 *                            a file named ".glasskernel-exchange" in DIR and in / survives
 *   layer_ops sparse FILE    write one byte into the middle of a big sparse FILE (copy-up):
 *                            it stays sparse
 *   layer_ops deep DIR       24 nested directories of 250-byte names (a path past PATH_MAX),
 *                            a file at the bottom, stat/getcwd/openat there, removed again
 *   layer_ops fill DIR MB    write MB mebibytes into DIR/fill; report ENOSPC if it comes
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif

static void show(const char *what, long r)
{
	printf("%-28s = %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	write(fd, text, strlen(text));
	close(fd);
}

static void cat(const char *what, const char *path)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%-28s : %s\n", what, strerror(errno));
		return;
	}
	read(fd, buf, sizeof buf - 1);
	close(fd);
	printf("%-28s : %s\n", what, buf);
}

static int exchange(const char *dir)
{
	char a[4096], b[4096], d[4096], keep[4096];
	snprintf(a, sizeof a, "%s/a", dir);
	snprintf(b, sizeof b, "%s/b", dir);
	snprintf(d, sizeof d, "%s/d", dir);
	snprintf(keep, sizeof keep, "%s/.glasskernel-exchange", dir);
	put(a, "file a");
	put(b, "file b");
	put(keep, "keep me");
	mkdir(d, 0755);
	show("exchange a b", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE));
	cat("a", a);
	cat("b", b);
	show("exchange a d", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, d, RENAME_EXCHANGE));
	struct stat st;
	stat(a, &st);
	printf("%-28s : %s\n", "a is now", S_ISDIR(st.st_mode) ? "a directory" : "a file");
	cat("d", d);
	show("exchange with missing", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, "/nonexistent-x",
					       RENAME_EXCHANGE));
	cat(".glasskernel-exchange", keep);
	return 0;
}

static int sparse(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDWR);
	if (fd < 0) {
		show("open", fd);
		return 1;
	}
	fstat(fd, &st);
	show("pwrite one byte", pwrite(fd, "x", 1, st.st_size / 2));
	fstat(fd, &st);
	printf("%-28s : size %lld, %s\n", "after", (long long)st.st_size,
	       (long long)st.st_blocks * 512 < (1 << 20) ? "still sparse" : "holes written out");
	off_t data = lseek(fd, 0, SEEK_DATA);
	printf("%-28s : %lld\n", "first data at", (long long)data);
	close(fd);
	return 0;
}

static int deep(const char *dir)
{
	char name[251], cwd[8192];
	memset(name, 'n', 250);
	name[250] = 0;
	if (chdir(dir) < 0)
		return 1;
	int depth = 0, r = 0;
	for (; depth < 24; depth++) {
		if ((r = mkdir(name, 0755)) < 0 || (r = chdir(name)) < 0)
			break;
	}
	printf("%-28s : %d (%s)\n", "depth reached", depth, r < 0 ? strerror(errno) : "ok");
	put("bottom", "at the bottom");
	cat("bottom", "bottom");
	struct stat st;
	show("stat bottom", stat("bottom", &st));
	char *got = getcwd(cwd, sizeof cwd);
	printf("%-28s : %s\n", "getcwd", got ? "ok" : strerror(errno));
	int fd = open(".", O_RDONLY | O_DIRECTORY);
	show("openat(., bottom)", openat(fd, "bottom", O_RDONLY) >= 0 ? 0 : -1);
	show("unlink bottom", unlink("bottom"));
	for (; depth > 0; depth--) {
		chdir("..");
		if (rmdir(name) < 0) {
			show("rmdir", -1);
			break;
		}
	}
	printf("%-28s : %d\n", "left", depth);
	return 0;
}

static int fill(const char *dir, int mb)
{
	char path[4096], buf[65536];
	memset(buf, 'f', sizeof buf);
	snprintf(path, sizeof path, "%s/fill", dir);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	long total = 0;
	for (int i = 0; i < mb * 16; i++) {
		ssize_t n = write(fd, buf, sizeof buf);
		if (n < 0) {
			printf("write failed after %ld bytes: %s\n", total, strerror(errno));
			break;
		}
		total += n;
	}
	printf("wrote %ld bytes\n", total);
	close(fd);
	show("unlink", unlink(path));
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	show("write after unlink", write(fd, buf, sizeof buf));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && strcmp(argv[1], "exchange") == 0)
		return exchange(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "sparse") == 0)
		return sparse(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "deep") == 0)
		return deep(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "fill") == 0)
		return fill(argv[2], atoi(argv[3]));
	return 2;
}
