/* After unshare(CLONE_NEWTIME) a child may not share our mm (Linux 6.1: EINVAL). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

int main(void)
{
	if (unshare(CLONE_NEWTIME) != 0) {
		printf("unshare: %s\n", strerror(errno));
		return 1;
	}
	long r = syscall(SYS_clone, CLONE_VM | SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		_exit(0);
	printf("clone CLONE_VM: %ld %s\n", r, r < 0 ? strerror(errno) : "");
	pid_t p = fork();
	if (p == 0)
		_exit(7);
	int st;
	waitpid(p, &st, 0);
	printf("fork still works: %d\n", WEXITSTATUS(st));
	return 0;
}
