/* Expiration counts that depend on time: a periodic timerfd's ticks and a periodic POSIX
 * timer's overruns after a 10 ms sleep with a 1 ms period. Exact only on a clock that
 * does not depend on the host (glasskernel --deterministic); natively about 10 and 9. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
    struct timespec nap = {0, 10000000};
    struct itimerspec its = {{0, 1000000}, {0, 1000000}};
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    timerfd_settime(fd, 0, &its, NULL);
    nanosleep(&nap, NULL);
    uint64_t ticks = 0;
    read(fd, &ticks, sizeof ticks);
    printf("timerfd ticks %llu\n", (unsigned long long)ticks);

    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    struct { union sigval v; int signo, notify, tid, pad[11]; } ev;
    memset(&ev, 0, sizeof ev);
    ev.signo = SIGUSR1;
    int id;
    syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id);
    syscall(SYS_timer_settime, id, 0, &its, NULL);
    nanosleep(&nap, NULL);
    siginfo_t si;
    sigwaitinfo(&usr1, &si);
    printf("timer overrun %d getoverrun %ld\n", si.si_overrun, syscall(SYS_timer_getoverrun, id));
    return 0;
}
