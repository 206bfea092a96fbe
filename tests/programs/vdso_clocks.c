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

/* The clock ids of Linux 6.1 (0-11, 8-10 refused without an alarm RTC / SGI) plus ids
 * no kernel accepts: past MAX_CLOCKS and negative ones that name no CPU clock. */
static const int ids[] = { 0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 15, 100, INT_MAX, -1, INT_MIN };

static void compare_ids(void)
{
    for (unsigned i = 0; i < sizeof ids / sizeof *ids; i++) {
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
        printf("clock %d: gettime %d errno %d, syscall %d errno %d, getres %d errno %d",
               ids[i], rc, err, src, serr, grc, gerr);
        if (grc == 0 && (ids[i] == CLOCK_REALTIME_COARSE || ids[i] == CLOCK_MONOTONIC_COARSE))
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
    if (fork() == 0) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        nanosleep(&nap, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t2);
        ok = ns(&t1) >= ns(&t0) && ns(&t2) - ns(&t1) >= ns(&nap);
        if (write(fd[1], &t2, sizeof t2) != sizeof t2)
            ok = 0;
        _exit(ok ? 0 : 1);
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

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    compare_ids();
    ordering();
    across_fork();
    return 0;
}
