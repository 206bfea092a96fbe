/* Small misbehaviours for the batch tests, chosen by argv[1]:
 *   loop            spin forever in user mode
 *   forkbomb        fork forever (every child forks too)
 *   syscalls N      make N getppid calls, then exit 0
 *   exit N          exit with status N
 *   orphan          fork a child that blocks reading a pipe, and exit at once: the
 *                   child outlives its parent (it reads EOF once the parent is gone)
 *   hello           "hello, out" on stdout, "warning: err" on stderr
 *   clock           print the nanoseconds of CLOCK_MONOTONIC (differs run to run
 *                   unless the clock is virtual)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : 0;
	if (!strcmp(mode, "loop")) {
		volatile unsigned long x = 0;
		for (;;)
			x++;
	}
	if (!strcmp(mode, "forkbomb")) {
		for (;;)
			fork();
	}
	if (!strcmp(mode, "syscalls")) {
		for (long i = 0; i < n; i++)
			getppid();
		return 0;
	}
	if (!strcmp(mode, "exit"))
		return (int)n;
	if (!strcmp(mode, "orphan")) {
		int fds[2];
		char c;
		if (pipe(fds) < 0)
			return 3;
		if (fork() == 0) {
			close(fds[1]);
			while (read(fds[0], &c, 1) > 0)
				;
			_exit(0);
		}
		return 0;
	}
	if (!strcmp(mode, "hello")) {
		printf("hello, out\n");
		fprintf(stderr, "warning: err\n");
		return 0;
	}
	if (!strcmp(mode, "clock")) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		printf("%ld\n", ts.tv_nsec);
		return 0;
	}
	fprintf(stderr, "unknown mode %s\n", mode);
	return 2;
}
