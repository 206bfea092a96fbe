/* fs.nr_open lowered below an open descriptor: a table that must be copied
 * (unshare(CLONE_FILES) while shared, fork) no longer fits: EMFILE (dup_fd).
 * Run under glasskernel only: natively it would change the host's sysctl. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char stack[64 * 1024];

static int child(void *arg)
{
	(void)arg;
	int r = unshare(CLONE_FILES);
	printf("unshare CLONE_FILES: %d %s\n", r, r ? strerror(errno) : "");
	fflush(stdout);
	return 0;
}

int main(void)
{
	int fd = open("/proc/sys/fs/nr_open", O_RDWR);
	printf("write 63: %zd\n", write(fd, "63", 2) < 0 ? (ssize_t)-errno : 0);
	lseek(fd, 0, SEEK_SET);
	printf("write 64: %zd\n", write(fd, "64", 2));
	dup2(2, 65);
	fflush(stdout);
	pid_t p = clone(child, stack + sizeof(stack), CLONE_FILES | SIGCHLD, NULL);
	waitpid(p, NULL, 0);
	p = fork();
	if (p == 0)
		_exit(0);
	printf("fork: %d %s\n", p < 0 ? -1 : 0, p < 0 ? strerror(errno) : "");
	close(65);
	p = fork();
	if (p == 0)
		_exit(0);
	printf("fork after close: %d\n", p < 0 ? -1 : 0);
	waitpid(-1, NULL, 0);
	return 0;
}
