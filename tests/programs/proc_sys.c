/* /proc/sys/kernel: the sysctls LTP's library reads (pid_max, threads-max, tainted,
 * core_pattern) exist, read as numbers in range, reject bad writes with EINVAL, and the
 * pids fork hands out stay below pid_max.
 *
 * Without an argument it changes nothing (safe to run natively: only writes that fail).
 * With "wrap" (run under glasskernel only: it would lower the host's pid_max) it sets
 * pid_max to 320 and checks that the pids of new children wrap (to RESERVED_PIDS) below it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static long read_long(const char *path)
{
	char buf[64] = {0};
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("open %s: %s\n", path, strerror(errno));
		return -1;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || buf[n - 1] != '\n') {
		printf("%s: no newline-terminated value\n", path);
		return -1;
	}
	return strtol(buf, NULL, 10);
}

static void try_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0) {
		printf("open %s for writing: %s\n", path, strerror(errno));
		return;
	}
	ssize_t n = write(fd, text, strlen(text));
	printf("write '%s' to %s: %s\n", text, path, n < 0 ? strerror(errno) : "ok");
	close(fd);
}

static pid_t fork_and_reap(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

int main(int argc, char **argv)
{
	const char *pm = "/proc/sys/kernel/pid_max";
	struct stat st;

	if (stat("/proc/sys/kernel", &st) == 0)
		printf("/proc/sys/kernel: dir %d mode %o\n", S_ISDIR(st.st_mode), st.st_mode & 07777);
	if (stat(pm, &st) == 0)
		printf("pid_max: regular %d mode %o size %ld\n", S_ISREG(st.st_mode),
		       st.st_mode & 07777, (long)st.st_size);
	long pid_max = read_long(pm);
	printf("pid_max in [301, 4194304]: %d\n", pid_max >= 301 && pid_max <= 4194304);
	printf("a child's pid below pid_max: %d\n", fork_and_reap() < pid_max);
	printf("threads-max at least 20: %d\n", read_long("/proc/sys/kernel/threads-max") >= 20);
	printf("tainted is a number: %d\n", read_long("/proc/sys/kernel/tainted") >= 0);
	int fd = open("/proc/sys/kernel/core_pattern", O_RDONLY);
	char c = 0;
	printf("core_pattern has a first byte: %d\n", fd >= 0 && read(fd, &c, 1) == 1 && c);
	close(fd);

	try_write(pm, "300");           /* below RESERVED_PIDS + 1 */
	try_write(pm, "4194305");       /* above PID_MAX_LIMIT */
	try_write(pm, "12abc");
	try_write(pm, "");
	printf("pid_max unchanged: %d\n", read_long(pm) == pid_max);

	if (argc > 1 && strcmp(argv[1], "wrap") == 0) {
		try_write(pm, "320\n");
		printf("pid_max now %ld\n", read_long(pm));
		int below = 1, wrapped = 0;
		pid_t last = 0;
		for (int i = 0; i < 400; i++) {
			pid_t pid = fork_and_reap();
			below &= pid > 0 && pid < 320;
			wrapped |= pid < last && pid >= 300;
			last = pid;
		}
		printf("400 children all below 320: %d, wrapped to 300 and up: %d\n", below, wrapped);
	}
	return 0;
}
