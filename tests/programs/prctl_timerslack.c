/* prctl(PR_SET_TIMERSLACK / PR_GET_TIMERSLACK), as LTP's prctl08 uses it: the value set
 * is read back, 0 restores the task's default, and a child starts with its parent's slack
 * both as its value and as its default. */
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_SET_TIMERSLACK
#define PR_SET_TIMERSLACK 29
#define PR_GET_TIMERSLACK 30
#endif

int main(void)
{
	long initial = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	printf("initial slack positive: %d\n", initial > 0);
	int r = prctl(PR_SET_TIMERSLACK, 70000, 0, 0, 0);
	printf("set 70000: %d, get: %d\n", r, prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
	r = prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
	printf("set 1: %d, get: %d\n", r, prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
	r = prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0);
	printf("set 0: %d\n", r);
	printf("it restores the default: %d\n", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == initial);
	prctl(PR_SET_TIMERSLACK, 12345, 0, 0, 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child inherits: %d\n", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
		prctl(PR_SET_TIMERSLACK, 99, 0, 0, 0);
		prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0);
		printf("child's default is the parent's slack: %d\n", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
		return 0;
	}
	waitpid(pid, NULL, 0);
	return 0;
}
