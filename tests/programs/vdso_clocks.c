/* vdso_clocks.c - the libc clock calls (answered by the vDSO where the kernel maps one)
 * against the raw syscalls: the same result and errno for every clock id, good or bad;
 * each clock read through the vDSO lies between two syscall reads; the coarse clocks
 * are never ahead and do move; CLOCK_MONOTONIC never goes backwards across fork, a
 * child's sleep and the parent's wait. Nothing printed depends on the time itself. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long ns(const struct timespec *t) { return t->tv_sec * 1000000000LL + t->tv_nsec; }
static const char *yes(int c) { return c ? "yes" : "no"; }

/* Negative ids are CPU-time clocks: ~pid << 3, a per-thread bit (4), which time. */
#define CPU_CLOCK(pid, thread, which) ((~(clockid_t)(pid) << 3) | ((thread) ? 4 : 0) | (which))

/* The clock ids of Linux 6.1 (0-11, 8-10 refused without an alarm RTC / SGI), ids no
 * kernel accepts (past MAX_CLOCKS, CPUCLOCK_MAX, CLOCKFD, an unused pid), and the CPU
 * clocks of this process and thread by pid 0 and by number (filled in by main). */
static int ids[] = { 0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 15, 100, INT_MAX, -1, INT_MIN,
                     CPU_CLOCK(0, 0, 2), CPU_CLOCK(0, 1, 2), CPU_CLOCK(0, 0, 0),
                     CPU_CLOCK(0, 1, 1), CPU_CLOCK(0, 0, 3), CPU_CLOCK(4000000, 0, 2),
                     0, 0, 0 };
static const int nfixed = 21;

static void compare_ids(void)
{
    for (unsigned i = 0; i < sizeof ids / sizeof *ids; i++) {
        int cpu_clock = ids[i] < 0 && ids[i] != -1 && ids[i] != INT_MIN;
        struct timespec t, r = { -1, -1 };
        int rc, err, src, serr, grc, gerr;

        errno = 0;
        rc = clock_gettime(ids[i], &t);
        err = errno;
        errno = 0;
        src = syscall(SYS_clock_gettime, ids[i], &t);
        serr = errno;
        errno = 0;
        grc = clock_getres(ids[i], &r);
        gerr = errno;
        if (i < (unsigned)nfixed)
            printf("clock %d", ids[i]);
        else
            printf("clock of pid %s", i == (unsigned)nfixed ? "getpid() (process)" :
                   i == (unsigned)nfixed + 1 ? "gettid() (thread)" : "getpid() as a thread");
        printf(": gettime %d errno %d, syscall %d errno %d, getres %d errno %d",
               rc, err, src, serr, grc, gerr);
        if (grc == 0 && cpu_clock && (ids[i] & 3) != 2)
            printf(" res one tick %s", yes(r.tv_sec == 0 && r.tv_nsec > 1 && r.tv_nsec <= 10000000));
        else if (grc == 0 && (ids[i] == CLOCK_REALTIME_COARSE || ids[i] == CLOCK_MONOTONIC_COARSE))
            printf(" res one tick %s", yes(r.tv_sec == 0 && r.tv_nsec > 1 && r.tv_nsec <= 10000000));
        else if (grc == 0)
            printf(" res %lld", ns(&r));
        printf("\n");
    }
    printf("clock_getres(NULL) for CLOCK_MONOTONIC: %d\n", clock_getres(CLOCK_MONOTONIC, NULL));
}

static void ordering(void)
{
    static const int clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW,
                                  CLOCK_BOOTTIME, CLOCK_TAI };
    struct timespec a, b, c, h;
    struct timeval tv;
    time_t t;

    for (unsigned i = 0; i < sizeof clocks / sizeof *clocks; i++) {
        int ok = 1;
        for (int n = 0; n < 1000; n++) {
            syscall(SYS_clock_gettime, clocks[i], &a);
            clock_gettime(clocks[i], &b);
            syscall(SYS_clock_gettime, clocks[i], &c);
            ok &= ns(&a) <= ns(&b) && ns(&b) <= ns(&c);
        }
        printf("clock %d: libc read between two syscall reads: %s\n", clocks[i], yes(ok));
    }
    clock_gettime(CLOCK_MONOTONIC_COARSE, &a);
    clock_gettime(CLOCK_MONOTONIC, &h);
    printf("CLOCK_MONOTONIC_COARSE not ahead of CLOCK_MONOTONIC: %s\n", yes(ns(&a) <= ns(&h)));
    clock_gettime(CLOCK_REALTIME_COARSE, &a);
    clock_gettime(CLOCK_REALTIME, &h);
    printf("CLOCK_REALTIME_COARSE not ahead of CLOCK_REALTIME: %s\n", yes(ns(&a) <= ns(&h)));
    t = time(NULL);
    gettimeofday(&tv, NULL);
    printf("time() not ahead of gettimeofday(): %s\n", yes(t <= tv.tv_sec));
    /* A task alone on the CPU still sees the coarse clock tick (within a second). */
    clock_gettime(CLOCK_MONOTONIC_COARSE, &a);
    clock_gettime(CLOCK_MONOTONIC, &h);
    do {
        clock_gettime(CLOCK_MONOTONIC_COARSE, &b);
        clock_gettime(CLOCK_MONOTONIC, &c);
    } while (ns(&b) == ns(&a) && ns(&c) - ns(&h) < 1000000000LL);
    printf("CLOCK_MONOTONIC_COARSE moves: %s\n", yes(ns(&b) > ns(&a)));
}

static void across_fork(void)
{
    struct timespec t0, t1, t2, t3, nap = { 0, 20000000 };
    int fd[2], status, ok = 1;

    if (pipe(fd))
        return;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t child = fork();
    if (child == 0) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        nanosleep(&nap, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t2);
        ok = ns(&t1) >= ns(&t0) && ns(&t2) - ns(&t1) >= ns(&nap);
        if (write(fd[1], &t2, sizeof t2) != sizeof t2)
            ok = 0;
        _exit(ok ? 0 : 1);
    }
    {   /* The child's CPU clock: readable as a process clock, not as one of our threads. */
        struct timespec c;
        int prc = clock_gettime(CPU_CLOCK(child, 0, 2), &c);
        int trc = clock_gettime(CPU_CLOCK(child, 1, 2), &c);
        printf("child's CPU clock: as a process %d, as our thread %d errno %d\n", prc, trc, errno);
    }
    wait(&status);
    if (read(fd[0], &t2, sizeof t2) != sizeof t2)
        ok = 0;
    clock_gettime(CLOCK_MONOTONIC, &t3);
    printf("CLOCK_MONOTONIC across fork, a 20 ms sleep and wait: child %s, parent %s\n",
           yes(WIFEXITED(status) && WEXITSTATUS(status) == 0), yes(ok && ns(&t3) >= ns(&t2)));
    clock_gettime(CLOCK_BOOTTIME, &t1);
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_BOOTTIME, &t2);
    printf("CLOCK_BOOTTIME across a 20 ms sleep: %s\n", yes(ns(&t2) - ns(&t1) >= ns(&nap)));
}

/* clock_nanosleep's errors by clock (raw syscall): clocks without an nsleep are
 * EOPNOTSUPP, unknown ids EINVAL; the others sleep a nanosecond. */
static void nanosleep_ids(void)
{
    static const int nids[] = { 0, 1, 3, 4, 5, 6, 7, 11, 12, 100 };
    struct timespec ns1 = { 0, 1 };

    for (unsigned i = 0; i < sizeof nids / sizeof *nids; i++) {
        errno = 0;
        long rc = syscall(SYS_clock_nanosleep, nids[i], 0, &ns1, NULL);
        printf("clock_nanosleep(%d): %ld errno %d\n", nids[i], rc, errno);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    ids[nfixed] = CPU_CLOCK(getpid(), 0, 2);
    ids[nfixed + 1] = CPU_CLOCK(syscall(SYS_gettid), 1, 2);
    ids[nfixed + 2] = CPU_CLOCK(getpid(), 1, 0);
    compare_ids();
    nanosleep_ids();
    ordering();
    across_fork();
    return 0;
}
