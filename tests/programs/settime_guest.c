/* Setting the guest's wall clock (clock_settime, settimeofday, adjtimex). Run only under
 * glasskernel: natively it would set the host's clock. The expected lines are Linux's. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void try(const char *what, int ret)
{
	printf("%s: %s\n", what, ret < 0 ? strerror(errno) : "ok");
}

static long real_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static void sleep_ms(int ms)
{
	struct timespec d = {0, ms * 1000000L};
	clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
}

/* Wait until pid sleeps in syscall nr (/proc/PID/syscall), not for a time. */
static void wait_in_syscall(pid_t pid, int nr)
{
	char path[64], buf[64];

	snprintf(path, sizeof path, "/proc/%d/syscall", pid);
	for (;;) {
		FILE *f = fopen(path, "r");
		int got = -1;
		if (f) {
			if (fgets(buf, sizeof buf, f))
				sscanf(buf, "%d", &got);
			fclose(f);
		}
		if (got == nr)
			return;
		sleep_ms(10);
	}
}

int main(void)
{
	struct timespec t = {1000000000, 0};
	struct timeval tv = {0, 2000000};
	struct timezone tz = {-60, 0}, tz2;
	struct itimerspec its = {{0, 0}, {0, 0}}, cur;
	struct timex tx = {0};
	uint64_t ticks;
	int fd, st, state;
	pid_t pid;

	try("clock_settime REALTIME", clock_settime(CLOCK_REALTIME, &t));
	printf("realtime %ld, time() %ld\n", real_sec(), (long)time(NULL));
	gettimeofday(&tv, NULL);
	printf("gettimeofday %ld\n", (long)tv.tv_sec);
	try("clock_settime MONOTONIC", clock_settime(CLOCK_MONOTONIC, &t));
	t.tv_nsec = 1000000000;
	try("clock_settime bad nsec", clock_settime(CLOCK_REALTIME, &t));
	tv.tv_sec = 1500000000;
	tv.tv_usec = 1000000;
	try("settimeofday bad usec", settimeofday(&tv, NULL));
	tv.tv_usec = 0;
	tz2.tz_minuteswest = 16 * 60;
	try("settimeofday bad tz", settimeofday(NULL, &tz2));
	try("settimeofday time", settimeofday(&tv, NULL));
	try("settimeofday zone", settimeofday(NULL, &tz));
	gettimeofday(&tv, &tz2);
	printf("now %ld, tz %d\n", (long)tv.tv_sec, tz2.tz_minuteswest);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {                 /* without CAP_SYS_TIME: EPERM */
		prctl(PR_CAPBSET_DROP, 25);
		setuid(1000);
		t.tv_nsec = 0;
		try("unprivileged clock_settime", clock_settime(CLOCK_REALTIME, &t));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &st, 0);

	/* An absolute realtime timer moves with the clock; CANCEL_ON_SET cancels. */
	fd = timerfd_create(CLOCK_REALTIME, 0);
	its.it_value.tv_sec = real_sec() + 100;
	try("timerfd abs +100 s, CANCEL_ON_SET",
	    timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL));
	t.tv_sec = real_sec() + 40;
	t.tv_nsec = 0;
	clock_settime(CLOCK_REALTIME, &t);
	timerfd_gettime(fd, &cur);
	printf("remaining after +40 s: %d\n", cur.it_value.tv_sec >= 58 && cur.it_value.tv_sec <= 60);
	try("read", read(fd, &ticks, 8));

	/* A sleeper until an absolute realtime wakes when the clock is set past it. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct timespec until = {real_sec() + 3600, 0};
		clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL);
		printf("sleeper woke at or after its time: %d\n", real_sec() >= until.tv_sec);
		fflush(stdout);
		_exit(0);
	}
	wait_in_syscall(pid, 230);                      /* clock_nanosleep */
	t.tv_sec = real_sec() + 7200;
	clock_settime(CLOCK_REALTIME, &t);
	waitpid(pid, &st, 0);

	/* adjtimex: unsynchronised at boot; a leap second repeats 23:59:59. */
	state = adjtimex(&tx);
	printf("adjtimex: state %d, STA_UNSYNC %d, tick %ld, tolerance %ld\n", state,
	       !!(tx.status & STA_UNSYNC), tx.tick, tx.tolerance);
	t.tv_sec = 86400L * 20000 - 2;          /* two seconds before midnight UTC */
	t.tv_nsec = 0;
	clock_settime(CLOCK_REALTIME, &t);
	tx.modes = ADJ_STATUS;
	tx.status = STA_PLL;
	adjtimex(&tx);
	tx.status = STA_PLL | STA_INS;
	state = adjtimex(&tx);
	struct timespec m0, m1, r0, r1;
	clock_gettime(CLOCK_REALTIME, &r0);
	clock_gettime(CLOCK_MONOTONIC, &m0);
	int saw_oop = 0, saw_wait = 0;
	for (;;) {
		tx.modes = 0;
		state = adjtimex(&tx);
		saw_oop |= state == TIME_OOP;
		saw_wait |= state == TIME_WAIT;
		clock_gettime(CLOCK_MONOTONIC, &m1);
		if (m1.tv_sec - m0.tv_sec >= 5)
			break;
		sleep_ms(100);
	}
	clock_gettime(CLOCK_REALTIME, &r1);
	clock_gettime(CLOCK_MONOTONIC, &m1);
	long long fell = ((r0.tv_sec - m0.tv_sec) - (r1.tv_sec - m1.tv_sec)) * 1000000000LL +
			 (r0.tv_nsec - m0.tv_nsec) - (r1.tv_nsec - m1.tv_nsec);
	printf("leap: OOP seen %d, WAIT seen %d, realtime fell a second behind: %d\n", saw_oop,
	       saw_wait, fell > 900000000LL && fell < 1100000000LL);
	return 0;
}
