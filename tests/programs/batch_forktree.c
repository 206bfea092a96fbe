/* A "fork a process tree" exercise for the batch tests and the README's example.
 * Reads N from stdin, forks N children (child i exits with status i + 1), collects
 * their statuses and prints "children N sum S". Three "submissions" print the same
 * thing and differ only in what they do to processes:
 *   (default)   waits for every child
 *   -DZOMBIE    the last child is only looked at (waitid WNOWAIT), never reaped
 *   -DLEAK      the children exec `busybox sh -c "exit K"` holding a pipe made without
 *               O_CLOEXEC (fd 3 and 4 leak into the exec'd shell)
 *   -DLEAK -DCLOEXEC  the same pipe made with O_CLOEXEC (nothing leaks)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void child(int i)
{
#ifdef LEAK
	char code[32];
	snprintf(code, sizeof code, "exit %d", i + 1);
	execl("/bin/busybox", "sh", "-c", code, (char *)0);
	_exit(127);
#else
	_exit(i + 1);
#endif
}

int main(void)
{
	int n = 0, sum = 0, i;
	pid_t pids[64];
	if (scanf("%d", &n) != 1 || n < 0 || n > 64) {
		fprintf(stderr, "expected a number of children (0-64) on stdin\n");
		return 2;
	}
#ifdef LEAK
	int fds[2];
#ifdef CLOEXEC
	if (pipe2(fds, O_CLOEXEC) < 0)
#else
	if (pipe(fds) < 0)
#endif
		return 3;
#endif
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return 4;
		if (pids[i] == 0)
			child(i);
	}
	for (i = 0; i < n; i++) {
		int status = 0;
#ifdef ZOMBIE
		if (i == n - 1) {
			siginfo_t info;
			if (waitid(P_PID, pids[i], &info, WEXITED | WNOWAIT) < 0)
				return 5;
			sum += info.si_status;
			continue;
		}
#endif
		if (waitpid(pids[i], &status, 0) < 0)
			return 5;
		sum += WEXITSTATUS(status);
	}
	printf("children %d sum %d\n", n, sum);
	return 0;
}
