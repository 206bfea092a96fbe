/* futex_waitv (Linux 5.16): the argument checks LTP's futex_waitv01 makes, and a wake of
 * one futex of a vector returning its index (futex_waitv02), here with a shared futex
 * woken by a forked child. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#define FUTEX_WAKE 1
#define FUTEX_32 2
#define FUTEX_PRIVATE_FLAG 128

struct futex_waitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};

static long waitv(struct futex_waitv *w, unsigned n, unsigned flags, struct timespec *to, int clk)
{
	return syscall(SYS_futex_waitv, w, n, flags, to, clk);
}

static void show(const char *what, long ret)
{
	if (ret < 0)
		printf("%-34s -1 %s\n", what, strerror(errno));
	else
		printf("%-34s %ld\n", what, ret);
}

static struct timespec in_a_second(int clk)
{
	struct timespec to;
	clock_gettime(clk, &to);
	to.tv_sec += 1;
	return to;
}

int main(void)
{
	uint32_t *words = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct futex_waitv w[4];
	struct timespec to = in_a_second(CLOCK_MONOTONIC);
	struct timespec past = {0, 0};

	memset(w, 0, sizeof(w));
	for (int i = 0; i < 4; i++) {
		w[i].uaddr = (uintptr_t)&words[i];
		w[i].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
	}
	show("flags 1", waitv(w, 1, 1, &to, CLOCK_MONOTONIC));
	show("nr 0", waitv(w, 0, 0, &to, CLOCK_MONOTONIC));
	show("nr 129", waitv(w, 129, 0, &to, CLOCK_MONOTONIC));
	show("NULL waiters", waitv(NULL, 1, 0, &to, CLOCK_MONOTONIC));
	show("CLOCK_TAI", waitv(w, 1, 0, &to, CLOCK_TAI));
	show("bad timeout pointer", waitv(w, 1, 0, (void *)8, CLOCK_MONOTONIC));
	w[0].flags = FUTEX_PRIVATE_FLAG;
	show("no FUTEX_32", waitv(w, 1, 0, &to, CLOCK_MONOTONIC));
	/* (flag 4 is EINVAL in 6.1 but FUTEX2_NUMA in later kernels: not compared) */
	w[0].flags = FUTEX_32;
	w[0].reserved = 1;
	show("reserved set", waitv(w, 1, 0, &to, CLOCK_MONOTONIC));
	w[0].reserved = 0;
	w[0].uaddr = 1;
	show("unaligned", waitv(w, 1, 0, &to, CLOCK_MONOTONIC));
	w[0].uaddr = 0;
	show("NULL uaddr, private", waitv(w, 1, 0, &to, CLOCK_MONOTONIC));
	w[0].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
	w[0].uaddr = (uintptr_t)&words[0];
	w[1].val = 5;
	show("second value differs", waitv(w, 2, 0, &to, CLOCK_MONOTONIC));
	w[1].val = 0;
	show("timeout already past", waitv(w, 2, 0, &past, CLOCK_REALTIME));
	struct timespec soon;
	clock_gettime(CLOCK_REALTIME, &soon);
	soon.tv_nsec += 10000000;
	if (soon.tv_nsec >= 1000000000) {
		soon.tv_sec++;
		soon.tv_nsec -= 1000000000;
	}
	show("timeout in 10 ms (REALTIME)", waitv(w, 2, 0, &soon, CLOCK_REALTIME));

	/* Shared futexes: a child wakes words[2] until a waiter was there to be woken. */
	for (int i = 0; i < 4; i++)
		w[i].flags = FUTEX_32;
	pid_t pid = fork();
	if (pid == 0) {
		while (syscall(SYS_futex, &words[2], FUTEX_WAKE, 1, NULL, NULL, 0) != 1)
			sched_yield();
		_exit(0);
	}
	struct timespec later = in_a_second(CLOCK_MONOTONIC);
	later.tv_sec += 29;
	show("woken by the child: index", waitv(w, 4, 0, &later, CLOCK_MONOTONIC));
	kill(pid, SIGKILL);             /* if waitv failed, the child is still trying */
	waitpid(pid, NULL, 0);
	return 0;
}
