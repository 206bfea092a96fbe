/* ru_maxrss (LTP getrusage03): the resident set's peak; a reaped child's peak (its own
 * pages and those copied from its parent) in RUSAGE_CHILDREN, not before it is reaped,
 * not for an auto-reaped one. Sizes are compared with margins, as LTP does. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MB (1024L * 1024)

static long maxrss(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return ru.ru_maxrss;            /* KiB */
}

static void consume(long bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 1, bytes);
}

int main(void)
{
	long before;
	int st;
	pid_t pid;

	consume(24 * MB);
	/* (RUSAGE_SELF is not compared here: Linux reads its RSS counters approximately,
	 * per-CPU deltas are left out until they are folded, e.g. at fork) */
	printf("children before any: %ld\n", maxrss(RUSAGE_CHILDREN));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		printf("fork child has its parent's 24 MiB: %d\n", maxrss(RUSAGE_SELF) >= 24 * 1024);
		printf("fork child's children: %ld\n", maxrss(RUSAGE_CHILDREN));
		fflush(stdout);
		consume(40 * MB);
		_exit(0);
	}
	waitid(P_PID, pid, NULL, WEXITED | WNOWAIT);
	printf("zombie not counted yet: %d\n", maxrss(RUSAGE_CHILDREN) == 0);
	waitpid(pid, &st, 0);
	printf("reaped child's 24 + 40 MiB: %d\n", maxrss(RUSAGE_CHILDREN) >= 64 * 1024);
	signal(SIGCHLD, SIG_IGN);
	before = maxrss(RUSAGE_CHILDREN);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		consume(64 * MB);
		_exit(0);
	}
	while (kill(pid, 0) == 0)
		usleep(1000);
	printf("auto-reaped child not counted: %d\n", maxrss(RUSAGE_CHILDREN) == before);
	return 0;
}
