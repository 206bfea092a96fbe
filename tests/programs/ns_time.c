/* Time namespaces: offsets written to /proc/self/timens_offsets after
 * unshare(CLONE_NEWTIME) are seen by the children (libc's clock_gettime, which goes
 * through the vDSO, and the raw syscall), by sysinfo and /proc/uptime, and are taken
 * back out of absolute sleeps and timers. All in a forked child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

#define MONO_OFF 100000
#define BOOT_OFF 200000

static int initial_ns = -1;	/* the initial time namespace, opened before any unshare */

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static long write_offsets(const char *text)
{
	int fd = open("/proc/self/timens_offsets", O_WRONLY);
	if (fd < 0)
		return -1;
	long r = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

static long secs(clockid_t c, int raw)
{
	struct timespec ts;
	if (raw)
		syscall(SYS_clock_gettime, c, &ts);
	else
		clock_gettime(c, &ts);
	return ts.tv_sec;
}

/* The offset seen, rounded to 100 s (the clocks move while we look). */
static long seen(long now, long base)
{
	return (now - base + 50) / 100 * 100;
}

static int in_namespace(long mono0, long boot0, long up0)
{
	struct sysinfo si;
	struct timespec ts;
	char buf[64];
	double up;

	printf("vdso monotonic +%ld\n", seen(secs(CLOCK_MONOTONIC, 0), mono0));
	printf("syscall monotonic +%ld\n", seen(secs(CLOCK_MONOTONIC, 1), mono0));
	printf("vdso boottime +%ld\n", seen(secs(CLOCK_BOOTTIME, 0), boot0));
	printf("syscall boottime +%ld\n", seen(secs(CLOCK_BOOTTIME, 1), boot0));
	printf("coarse monotonic +%ld\n", seen(secs(CLOCK_MONOTONIC_COARSE, 0), mono0));
	sysinfo(&si);
	printf("sysinfo uptime +%ld\n", seen(si.uptime, up0));
	int fd = open("/proc/uptime", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	sscanf(buf, "%lf", &up);
	printf("/proc/uptime +%ld\n", seen((long)up, up0));
	/* an absolute sleep 10 ms ahead on the namespace clock returns soon */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += 10000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	show("clock_nanosleep abstime", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL));
	long before = secs(CLOCK_MONOTONIC, 1);
	printf("slept about right: %s\n", secs(CLOCK_MONOTONIC, 1) - before < 5 ? "yes" : "no");
	/* an absolute timerfd 10 ms ahead fires soon */
	int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec its = {{0, 0}, ts};
	clock_gettime(CLOCK_MONOTONIC, &its.it_value);
	its.it_value.tv_sec += 0;
	its.it_value.tv_nsec = (its.it_value.tv_nsec + 10000000) % 1000000000;
	if (its.it_value.tv_nsec < 10000000)
		its.it_value.tv_sec++;
	show("timerfd_settime abstime", timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL));
	uint64_t ticks = 0;
	show("timerfd read", read(tfd, &ticks, sizeof(ticks)));
	printf("ticks %llu\n", (unsigned long long)ticks);
	show("offsets frozen", write_offsets("monotonic 1 0\n"));
	/* back to the initial namespace: the vDSO reads the shared page again */
	show("setns initial time ns", setns(initial_ns, CLONE_NEWTIME));
	printf("vdso monotonic after setns +%ld\n", seen(secs(CLOCK_MONOTONIC, 0), mono0));
	printf("syscall monotonic after setns +%ld\n", seen(secs(CLOCK_MONOTONIC, 1), mono0));
	return 0;
}

static int child(void)
{
	struct sysinfo si;
	char buf[200];
	int st;

	if (unshare(CLONE_NEWTIME) != 0) {
		printf("unshare failed: %s\n", strerror(errno));
		return 3;
	}
	show("bad clock", write_offsets("realtime 5 0\n"));
	show("bad nsec", write_offsets("monotonic 5 1000000000\n"));
	show("junk", write_offsets("monotonic x\n"));
	show("out of range", write_offsets("monotonic -9999999999 0\n"));
	snprintf(buf, sizeof(buf), "monotonic %d 0\n%d %d 0\n", MONO_OFF, CLOCK_BOOTTIME, BOOT_OFF);
	show("offsets", write_offsets(buf));
	int fd = open("/proc/self/timens_offsets", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	printf("%s", buf);
	long mono0 = secs(CLOCK_MONOTONIC, 1) + MONO_OFF, boot0 = secs(CLOCK_BOOTTIME, 1) + BOOT_OFF;
	sysinfo(&si);
	long up0 = si.uptime + BOOT_OFF;
	printf("own clock unchanged: %s\n", secs(CLOCK_MONOTONIC, 0) < mono0 - MONO_OFF / 2 ? "yes" : "no");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		int r = in_namespace(mono0 - MONO_OFF, boot0 - BOOT_OFF, up0 - BOOT_OFF);
		fflush(stdout);
		_exit(r);
	}
	waitpid(p, &st, 0);
	printf("grandchild exit %d\n", WEXITSTATUS(st));
	show("offsets after a task entered", write_offsets("monotonic 1 0\n"));
	/* we used the vDSO in the initial namespace; now we join the new one ourselves */
	fd = open("/proc/self/ns/time_for_children", O_RDONLY);
	show("setns into it", setns(fd, CLONE_NEWTIME));
	printf("own vdso monotonic after setns +%ld\n", seen(secs(CLOCK_MONOTONIC, 0), mono0 - MONO_OFF));
	printf("own syscall monotonic after setns +%ld\n", seen(secs(CLOCK_MONOTONIC, 1), mono0 - MONO_OFF));
	return 0;
}

int main(void)
{
	int st;
	initial_ns = open("/proc/self/ns/time", O_RDONLY);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		int r = child();
		fflush(stdout);
		_exit(r);
	}
	waitpid(p, &st, 0);
	printf("child exit %d\n", WEXITSTATUS(st));
	return 0;
}
