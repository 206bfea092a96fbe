/* PR_GET_TSC / PR_SET_TSC: with PR_TSC_SIGSEGV, rdtsc in user mode raises SIGSEGV
 * (si_code SI_KERNEL, no address); the mode is copied at fork and kept over exec; the
 * counter goes forward when enabled (LTP prctl10). */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	printf("child: signal %d code %d addr %p\n", sig, si->si_code, si->si_addr);
	fflush(stdout);
	_exit(3);
}

static void show_status(const char *what, int st)
{
	if (WIFSIGNALED(st))
		printf("%s: killed by %d\n", what, WTERMSIG(st));
	else
		printf("%s: exit %d\n", what, WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
	int mode = -1, st;
	uint64_t a, b;
	pid_t pid;

	if (argc > 1) {                 /* the exec'd child: rdtsc must fault */
		rdtsc();
		return 0;
	}
	printf("get: %d mode %d\n", prctl(PR_GET_TSC, &mode), mode);
	printf("set 0: %d, set 3: %d\n", prctl(PR_SET_TSC, 0), prctl(PR_SET_TSC, 3));
	a = rdtsc();
	b = rdtsc();
	printf("forward: %d\n", b > a);
	printf("set sigsegv: %d\n", prctl(PR_SET_TSC, PR_TSC_SIGSEGV));
	prctl(PR_GET_TSC, &mode);
	printf("mode %d\n", mode);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = {0};
		sa.sa_sigaction = on_segv;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSEGV, &sa, 0);
		rdtsc();
		printf("child: rdtsc ran\n");
		_exit(0);
	}
	waitpid(pid, &st, 0);
	show_status("fork child", st);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "child", (char *)0);
		_exit(9);
	}
	waitpid(pid, &st, 0);
	show_status("exec child", st);
	printf("enable: %d\n", prctl(PR_SET_TSC, PR_TSC_ENABLE));
	a = rdtsc();
	b = rdtsc();
	printf("forward: %d\n", b > a);
	return 0;
}
