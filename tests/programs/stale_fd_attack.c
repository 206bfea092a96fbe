/* stale_fd_attack.c - the sandbox escapes of issue 16, as a guest would try them.
 *
 *   argv[1]: a scratch directory the program may write (it makes S/a, S/b, ...)
 *   argv[2]: absolute host path of a victim FILE (outside --root, or on the host)
 *   argv[3]: absolute host path of a victim DIRECTORY holding "secret" and "prog"
 *
 * Each attack opens something, then swaps its name (or a directory on its path) for a
 * symlink to the victim, and works through the stale descriptor: fchmod, fchown,
 * futimens, ftruncate, truncate/open/chmod of /proc/self/fd/N, fstatat(AT_EMPTY_PATH),
 * getdents64 and openat on a directory fd, execveat(fd, "", AT_EMPTY_PATH), exec of
 * /proc/self/fd/N and of an O_PATH fd, another process's /proc/PID/fd/N. On Linux every
 * one of them reaches the guest's own object, never the victim: the output is the same
 * natively and under glasskernel, and the victim is untouched (the test checks the host).
 * With argv[1] == "child" the program only says it ran (the exec target).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char S[2048], victim[2048], vdir[2048];

static const char *at(const char *name)
{
	static char buf[4][4096];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", S, name);
	return buf[i];
}

static void show(const char *what, long r)
{
	printf("%-34s = %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static void show_stat(const char *what, int r, struct stat *st)
{
	if (r < 0) {
		show(what, r);
		return;
	}
	/* times the program set are shown; others only as "recent" (they differ per run) */
	printf("%-34s : mode=%o uid=%d gid=%d size=%lld nlink=%ld mtime=%lld\n", what,
	       st->st_mode, (int)st->st_uid, (int)st->st_gid, (long long)st->st_size,
	       (long)st->st_nlink, st->st_mtime < 100000 ? (long long)st->st_mtime : -1LL);
}

static void read_show(const char *what, int fd)
{
	char buf[128] = { 0 };
	if (fd < 0) {
		show(what, fd);
		return;
	}
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	printf("%-34s : %zd \"%s\"\n", what, n, n < 0 ? strerror(errno) : buf);
	close(fd);
}

static char *fdpath(int fd)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd);
	return buf;
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	write(fd, text, strlen(text));
	close(fd);
}

/* A: the file itself replaced by a symlink to the victim. */
static void file_swap(void)
{
	struct stat st;
	int fd = open(at("a"), O_CREAT | O_RDWR, 0644);
	write(fd, "guest-data\n", 11);
	unlink(at("a"));
	symlink(victim, at("a"));
	char link[4096];
	ssize_t len = readlink(fdpath(fd), link, sizeof link - 1);
	link[len < 0 ? 0 : len] = 0;
	printf("%-34s : %s\n", "A readlink /proc/self/fd", strncmp(link, S, strlen(S)) ? link
	       : link + strlen(S));
	show("A fchmod 04777", fchmod(fd, 04777));
	show("A fchown 1234", fchown(fd, 1234, 1234));
	struct timespec ts[2] = { { 1000, 0 }, { 2000, 0 } };
	show("A futimens", futimens(fd, ts));
	show("A ftruncate 5", ftruncate(fd, 5));
	show_stat("A fstat", fstat(fd, &st), &st);
	show("A truncate /proc/self/fd 3", truncate(fdpath(fd), 3));
	show("A chmod /proc/self/fd 0600", chmod(fdpath(fd), 0600));
	show("A chown /proc/self/fd", chown(fdpath(fd), 42, 42));
	show("A utimensat /proc/self/fd", utimensat(AT_FDCWD, fdpath(fd), ts, 0));
	show_stat("A fstatat AT_EMPTY_PATH", fstatat(fd, "", &st, AT_EMPTY_PATH), &st);
	read_show("A open /proc/self/fd rdonly", open(fdpath(fd), O_RDONLY));
	int w = open(fdpath(fd), O_RDWR);
	show("A write via /proc/self/fd", w < 0 ? w : pwrite(w, "XY", 2, 0));
	if (w >= 0)
		close(w);
	read_show("A read back", dup(fd));
	show_stat("A lstat of the name (symlink)", lstat(at("a"), &st), &st);
	close(fd);
}

/* B: a directory on the path replaced by a symlink to the victim directory. */
static void dir_swap(void)
{
	struct stat st;
	mkdir(at("b"), 0755);
	put(at("b/secret"), "guest-secret");
	int fd = open(at("b/secret"), O_RDONLY);
	int dfd = open(at("b"), O_RDONLY | O_DIRECTORY);
	int pfd = open(at("b/secret"), O_PATH);
	rename(at("b"), at("b2"));
	symlink(vdir, at("b"));
	read_show("B open /proc/self/fd", open(fdpath(fd), O_RDONLY));
	read_show("B open /proc/self/fd of O_PATH", open(fdpath(pfd), O_RDONLY));
	show_stat("B fstatat(fd, \"\") ", fstatat(fd, "", &st, AT_EMPTY_PATH), &st);
	show_stat("B fstatat(O_PATH fd, \"\")", fstatat(pfd, "", &st, AT_EMPTY_PATH), &st);
	read_show("B openat(dirfd, secret)", openat(dfd, "secret", O_RDONLY));
	show("B fchmod read-only fd 0640", fchmod(fd, 0640));
	show_stat("B fstat after fchmod", fstat(fd, &st), &st);
	show_stat("B stat of new name", stat(at("b2/secret"), &st), &st);
	char buf[4096];
	long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);
	int found_secret = 0, entries = 0;
	for (long off = 0; n > 0 && off < n;) {
		struct dirent64 *d = (struct dirent64 *)(buf + off);
		entries++;
		if (strcmp(d->d_name, "secret") == 0)
			found_secret = 1;
		off += d->d_reclen;
	}
	printf("%-34s : %d entries, secret %s\n", "B getdents64(dirfd)", entries,
	       found_secret ? "listed" : "missing");
	show("B fchdir + open secret", fchdir(dfd) < 0 ? -1 : 0);
	read_show("B open ./secret after fchdir", open("secret", O_RDONLY));
	char cwd[4096];
	printf("%-34s : %s\n", "B getcwd", getcwd(cwd, sizeof cwd) ? cwd + strlen(S) : strerror(errno));
	chdir("/");
	close(fd);
	close(dfd);
	close(pfd);
}

static void run_child(const char *what, int how, int fd)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "prog", "child", NULL };
		char *envp[] = { NULL };
		if (how == 0)
			syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
		else
			execve(fdpath(fd), argv, envp);
		printf("%-34s : exec failed: %s\n", what, strerror(errno));
		exit(1);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("%-34s : exit %d\n", what, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* C: a program's directory replaced by a symlink to the victim directory. */
static void exec_swap(void)
{
	char buf[65536];
	mkdir(at("c"), 0755);
	int in = open("/proc/self/exe", O_RDONLY);
	int out = open(at("c/prog"), O_CREAT | O_WRONLY, 0755);
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		write(out, buf, n);
	close(in);
	close(out);
	int fd = open(at("c/prog"), O_RDONLY | O_CLOEXEC);
	int pfd = open(at("c/prog"), O_PATH | O_CLOEXEC);
	rename(at("c"), at("c2"));
	symlink(vdir, at("c"));
	run_child("C execveat(fd, \"\", AT_EMPTY_PATH)", 0, fd);
	run_child("C execveat(O_PATH fd, \"\")", 0, pfd);
	run_child("C execve(/proc/self/fd/N)", 1, fd);
	close(fd);
	close(pfd);
}

/* D: another process's descriptor, through /proc/PID/fd/N. */
static void other_process(void)
{
	int ready[2], done[2];
	mkdir(at("d"), 0755);
	put(at("d/secret"), "child-secret");
	pipe(ready);
	pipe(done);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(at("d/secret"), O_RDONLY);
		write(ready[1], &fd, sizeof fd);
		char c;
		read(done[0], &c, 1);
		exit(0);
	}
	int fd;
	read(ready[0], &fd, sizeof fd);
	rename(at("d"), at("d2"));
	symlink(vdir, at("d"));
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
	read_show("D open /proc/PID/fd/N", open(path, O_RDONLY));
	write(done[1], "x", 1);
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "child") == 0) {
		printf("the guest's own program ran\n");
		return 0;
	}
	if (argc < 4)
		return 2;
	snprintf(S, sizeof S, "%s", argv[1]);
	snprintf(victim, sizeof victim, "%s", argv[2]);
	snprintf(vdir, sizeof vdir, "%s", argv[3]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	file_swap();
	dir_swap();
	exec_swap();
	other_process();
	return 0;
}
