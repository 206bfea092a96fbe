/* lc_sched.c - the scheduler: preemption between CPU-bound processes, nice
 * levels, and sleeping without burning CPU.
 *
 * usage: lc_sched progress   two spinning children both make progress
 *        lc_sched nice       a nice-10 child gets less CPU than a nice-0 one
 *        lc_sched sleep      a 200 ms nanosleep uses (almost) no CPU time
 *
 * Children count in a MAP_SHARED page; the parent only compares counters, so
 * the output does not depend on the machine's speed.  Both children are
 * pinned to CPU 0 so they compete (glasskernel has one CPU; an error from
 * sched_setaffinity is ignored). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
	volatile int go;
	volatile int started[2];
	volatile unsigned long count[2];
};

static struct shared *sh;

static const char *yesno(int c) { return c ? "yes" : "no"; }

static double now(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void pin(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof set, &set);   /* errors ignored */
}

static pid_t spinner(int idx, int niceness)
{
	pid_t c = fork();
	if (c == 0) {
		pin();
		if (niceness) setpriority(PRIO_PROCESS, 0, niceness);
		sh->started[idx] = 1;
		while (!sh->go)
			;
		for (;;)
			sh->count[idx]++;
	}
	return c;
}

static void stop(pid_t a, pid_t b)
{
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	int st1, st2;
	waitpid(a, &st1, 0);
	waitpid(b, &st2, 0);
	printf("children killed: %s\n", yesno(WIFSIGNALED(st1) && WTERMSIG(st1) == SIGKILL &&
					     WIFSIGNALED(st2) && WTERMSIG(st2) == SIGKILL));
}

static int wait_started(void)
{
	/* bounded: up to 5 s of wall time for both children to get going */
	double end = now(CLOCK_MONOTONIC) + 5;
	while (!(sh->started[0] && sh->started[1]) && now(CLOCK_MONOTONIC) < end)
		msleep(1);
	return sh->started[0] && sh->started[1];
}

static int mode_progress(void)
{
	pid_t a = spinner(0, 0);
	pid_t b = spinner(1, 0);
	sh->go = 1;
	msleep(300);
	/* without preemption one spinner would run forever and the other never:
	 * any finite wait shows it.  Give a slow machine up to 3 s more. */
	double end = now(CLOCK_MONOTONIC) + 3;
	while (!(sh->count[0] > 0 && sh->count[1] > 0) && now(CLOCK_MONOTONIC) < end)
		msleep(100);
	printf("both progressed: %s\n", yesno(sh->count[0] > 0 && sh->count[1] > 0));
	/* and they keep going */
	unsigned long c0 = sh->count[0], c1 = sh->count[1];
	end = now(CLOCK_MONOTONIC) + 3;
	while (!(sh->count[0] > c0 && sh->count[1] > c1) && now(CLOCK_MONOTONIC) < end)
		msleep(100);
	printf("both still progressing: %s\n", yesno(sh->count[0] > c0 && sh->count[1] > c1));
	stop(a, b);
	return 0;
}

static int mode_nice(void)
{
	pid_t a = spinner(0, 0);
	pid_t b = spinner(1, 10);
	printf("both started: %s\n", yesno(wait_started()));
	sh->go = 1;
	msleep(100);
	unsigned long a0 = sh->count[0], b0 = sh->count[1];
	msleep(1000);
	unsigned long a1 = sh->count[0], b1 = sh->count[1];
	unsigned long da = a1 - a0, db = b1 - b0;
	printf("nice 0 progressed: %s\n", yesno(da > 0));
	printf("nice 10 got less: %s\n", yesno(db < da));
	/* CFS weights: nice 0 = 1024, nice 10 = 110, i.e. under 1/4 of nice 0 */
	printf("nice 10 got under half: %s\n", yesno(db * 2 < da));
	int pa = getpriority(PRIO_PROCESS, a), pb = getpriority(PRIO_PROCESS, b);
	printf("getpriority: %d and %d\n", pa, pb);
	stop(a, b);
	return 0;
}

static int mode_sleep(void)
{
	double c0 = now(CLOCK_PROCESS_CPUTIME_ID), w0 = now(CLOCK_MONOTONIC);
	struct timespec ts = { 0, 200 * 1000000L };
	int r = nanosleep(&ts, NULL);
	double c1 = now(CLOCK_PROCESS_CPUTIME_ID), w1 = now(CLOCK_MONOTONIC);
	printf("nanosleep returned %d\n", r);
	printf("wall time >= 200 ms: %s\n", yesno(w1 - w0 >= 0.2));
	printf("cpu time < 50 ms: %s\n", yesno(c1 - c0 < 0.05));
	c0 = now(CLOCK_THREAD_CPUTIME_ID);
	w0 = now(CLOCK_MONOTONIC);
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	c1 = now(CLOCK_THREAD_CPUTIME_ID);
	w1 = now(CLOCK_MONOTONIC);
	printf("clock_nanosleep returned %d, wall >= 200 ms: %s, thread cpu < 50 ms: %s\n", r,
	       yesno(w1 - w0 >= 0.2), yesno(c1 - c0 < 0.05));
	/* and the child's sleep does not charge the parent either */
	pid_t c = fork();
	if (c == 0) {
		nanosleep(&ts, NULL);
		_exit(0);
	}
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	int st;
	waitpid(c, &st, 0);
	c1 = now(CLOCK_PROCESS_CPUTIME_ID);
	printf("waiting for a sleeping child uses < 50 ms cpu: %s\n", yesno(c1 - c0 < 0.05));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) { perror("mmap"); return 1; }
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "progress")) return mode_progress();
	if (!strcmp(m, "nice")) return mode_nice();
	if (!strcmp(m, "sleep")) return mode_sleep();
	fprintf(stderr, "unknown mode %s\n", m);
	return 2;
}
