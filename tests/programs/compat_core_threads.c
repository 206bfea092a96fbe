/* An i386 process of two threads: the second sleeps in pause(), the first faults. */
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile int started;

static void *sleeper(void *arg)
{
	(void)arg;
	started = 1;
	for (;;)
		pause();
	return 0;
}

int main(void)
{
	struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
	pthread_t t;

	setrlimit(RLIMIT_CORE, &r);
	pthread_create(&t, 0, sleeper, 0);
	while (!started)
		sched_yield();
	*(volatile int *)0 = 1;
	return 0;
}
