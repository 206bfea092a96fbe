/* System and user time: a loop of system calls is charged mostly as system time, a
 * compute loop as user time, and a reaped child's times reach RUSAGE_CHILDREN and
 * times()'s cutime/cstime (LTP times03). Each loop runs for 300 ms of the monotonic
 * clock, so the output does not depend on the machine's speed. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void syscalls_for(int ms)
{
	long long end = now_ms() + ms;
	while (now_ms() < end)
		for (int i = 0; i < 100; i++)
			syscall(SYS_getppid);
}

static volatile unsigned long sink;

static void compute_for(int ms)
{
	long long end = now_ms() + ms;
	while (now_ms() < end)
		for (int i = 0; i < 100000; i++)
			sink += i * 7;
}

static long long tv_us(struct timeval tv)
{
	return tv.tv_sec * 1000000LL + tv.tv_usec;
}

int main(void)
{
	struct rusage r0, r1, r2, rc;
	struct tms t;
	int st;

	getrusage(RUSAGE_SELF, &r0);
	syscalls_for(300);
	getrusage(RUSAGE_SELF, &r1);
	printf("syscall loop: stime grew %d, stime > utime growth %d\n",
	       tv_us(r1.ru_stime) > tv_us(r0.ru_stime),
	       tv_us(r1.ru_stime) - tv_us(r0.ru_stime) > tv_us(r1.ru_utime) - tv_us(r0.ru_utime));
	compute_for(300);
	getrusage(RUSAGE_SELF, &r2);
	printf("compute loop: utime grew %d, utime > stime growth %d\n",
	       tv_us(r2.ru_utime) > tv_us(r1.ru_utime),
	       tv_us(r2.ru_utime) - tv_us(r1.ru_utime) > tv_us(r2.ru_stime) - tv_us(r1.ru_stime));
	if (fork() == 0) {
		syscalls_for(200);
		compute_for(200);
		_exit(0);
	}
	wait(&st);
	getrusage(RUSAGE_CHILDREN, &rc);
	times(&t);
	printf("children: utime %d stime %d, cutime %d cstime %d\n", tv_us(rc.ru_utime) > 0,
	       tv_us(rc.ru_stime) > 0, t.tms_cutime > 0, t.tms_cstime > 0);
	return 0;
}
