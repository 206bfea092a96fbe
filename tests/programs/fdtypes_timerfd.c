/* timerfd: argument checks (clocks, flags, ranges, the descriptor), one-shot, absolute
 * and periodic timers read blocking and non-blocking, the old value settime returns,
 * gettime, readiness through poll and epoll, TFD_IOC_SET_TICKS, and what readlink and
 * fdinfo show. Counts that depend on the host's speed are printed as ">= 1". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

static void check(const char *what, long ret)
{
    printf("%-36s %ld errno %d\n", what, ret, ret < 0 ? errno : 0);
    errno = 0;
}

static long settime(int fd, int flags, long vs, long vns, long is, long ins, struct itimerspec *old)
{
    struct itimerspec its = {{is, ins}, {vs, vns}};
    return timerfd_settime(fd, flags, &its, old);
}

static uint64_t rd(int fd, long *ret)
{
    uint64_t v = 0;
    *ret = read(fd, &v, sizeof v);
    return v;
}

static void fdinfo_line(int fd, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, strlen(key)))
            printf("fdinfo %s", line);
    fclose(f);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    long ret;
    uint64_t v;
    check("create bad clock 99", timerfd_create(99, 0));
    check("create CLOCK_MONOTONIC_RAW", timerfd_create(CLOCK_MONOTONIC_RAW, 0));
    check("create CLOCK_PROCESS_CPUTIME_ID", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
    check("create bad flags", timerfd_create(CLOCK_MONOTONIC, 1));

    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    printf("F_GETFL %#o F_GETFD %d\n", fcntl(fd, F_GETFL), fcntl(fd, F_GETFD));
    struct itimerspec cur;
    check("gettime fresh", timerfd_gettime(fd, &cur));
    printf("fresh %ld %ld %ld %ld\n", cur.it_value.tv_sec, cur.it_value.tv_nsec,
           cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
    v = rd(fd, &ret);
    printf("read unarmed nonblock %ld errno %d\n", ret, ret < 0 ? errno : 0);
    char small[4];
    check("read 4 bytes", read(fd, small, 4));
    check("settime nsec 1e9", settime(fd, 0, 1, 1000000000, 0, 0, NULL));
    check("settime negative sec", settime(fd, 0, -1, 0, 0, 0, NULL));
    check("settime bad interval", settime(fd, 0, 1, 0, 0, -1, NULL));
    check("settime bad flags", settime(fd, 4, 1, 0, 0, 0, NULL));
    check("settime bad fd", settime(99, 0, 1, 0, 0, 0, NULL));
    int efd = eventfd(0, 0);
    check("settime on eventfd", settime(efd, 0, 1, 0, 0, 0, NULL));
    check("gettime on eventfd", timerfd_gettime(efd, &cur));
    check("settime NULL new", syscall(SYS_timerfd_settime, fd, 0, NULL, NULL));

    /* a long timer: the old value comes back */
    check("settime 10s/3s", settime(fd, 0, 10, 0, 3, 500, NULL));
    timerfd_gettime(fd, &cur);
    printf("gettime value in (9,10] %d interval %ld.%09ld\n",
           cur.it_value.tv_sec == 9 || (cur.it_value.tv_sec == 10 && cur.it_value.tv_nsec == 0),
           cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
    struct itimerspec old;
    check("settime 0 (disarm)", settime(fd, 0, 0, 0, 0, 0, &old));
    printf("old value in (9,10] %d interval %ld.%09ld\n",
           old.it_value.tv_sec == 9 || (old.it_value.tv_sec == 10 && old.it_value.tv_nsec == 0),
           old.it_interval.tv_sec, old.it_interval.tv_nsec);
    timerfd_gettime(fd, &cur);
    printf("disarmed %ld %ld\n", cur.it_value.tv_sec, cur.it_value.tv_nsec);
    fdinfo_line(fd, "clockid");
    fdinfo_line(fd, "settime flags");

    /* one-shot, read blocking */
    int bfd = timerfd_create(CLOCK_MONOTONIC, 0);
    check("settime 20ms", settime(bfd, 0, 0, 20000000, 0, 0, NULL));
    v = rd(bfd, &ret);
    printf("blocking read %ld value %llu\n", ret, (unsigned long long)v);
    timerfd_gettime(bfd, &cur);
    printf("after expiry %ld %ld\n", cur.it_value.tv_sec, cur.it_value.tv_nsec);

    /* absolute on CLOCK_MONOTONIC, waited for with poll */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_nsec += 20000000;
    if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
    check("settime abs", settime(fd, TFD_TIMER_ABSTIME, now.tv_sec, now.tv_nsec, 0, 0, NULL));
    fdinfo_line(fd, "settime flags");
    struct pollfd p = {fd, POLLIN, 0};
    printf("poll before %d\n", poll(&p, 1, 0));
    int pn = poll(&p, 1, -1);
    printf("poll wait %d revents %#x\n", pn, p.revents);
    v = rd(fd, &ret);
    printf("read abs %ld value %llu\n", ret, (unsigned long long)v);

    /* absolute realtime in the past fires at once; CANCEL_ON_SET is accepted */
    int rfd = timerfd_create(CLOCK_REALTIME, 0);
    check("settime realtime abs past", settime(rfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, 1, 0, 0, 0, NULL));
    v = rd(rfd, &ret);
    printf("read realtime %ld value %llu\n", ret, (unsigned long long)v);
    check("CANCEL_ON_SET without ABSTIME", settime(rfd, TFD_TIMER_CANCEL_ON_SET, 0, 1000000, 0, 0, NULL));
    v = rd(rfd, &ret);
    printf("read %ld value %llu\n", ret, (unsigned long long)v);

    /* periodic: epoll wakes, the count is at least one, the timer keeps going */
    int pfd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
    int ep = epoll_create1(0);
    struct epoll_event ev = {EPOLLIN, {.u64 = 3}}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, pfd, &ev);
    check("settime periodic 2ms", settime(pfd, 0, 0, 2000000, 0, 2000000, NULL));
    for (int i = 0; i < 3; i++) {
        int n = epoll_wait(ep, &out, 1, -1);
        v = rd(pfd, &ret);
        printf("period %d: epoll %d events %#x read %ld count>=1 %d\n", i, n, out.events, ret, v >= 1);
    }
    timerfd_gettime(pfd, &cur);
    printf("periodic interval %ld.%09ld value<=2ms %d\n", cur.it_interval.tv_sec,
           cur.it_interval.tv_nsec, cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 2000000);
    settime(pfd, 0, 0, 0, 0, 0, NULL);

    /* TFD_IOC_SET_TICKS */
    uint64_t ticks = 0;
    check("SET_TICKS 0", ioctl(fd, TFD_IOC_SET_TICKS, &ticks));
    ticks = 5;
    check("SET_TICKS 5", ioctl(fd, TFD_IOC_SET_TICKS, &ticks));
    v = rd(fd, &ret);
    printf("read ticks %ld value %llu\n", ret, (unsigned long long)v);
    check("SET_TICKS bad pointer", ioctl(fd, TFD_IOC_SET_TICKS, (void *)8));
    check("other ioctl", ioctl(fd, 0x5401, &ticks));

    char link[128], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t ln = readlink(path, link, sizeof link - 1);
    link[ln > 0 ? ln : 0] = 0;
    printf("readlink %s\n", link);
    check("lseek", lseek(fd, 5, SEEK_SET));

    /* the alarm clocks: root has CAP_WAKE_ALARM, another user gets EPERM */
    int afd = timerfd_create(CLOCK_BOOTTIME_ALARM, 0);
    printf("alarm create as euid %d: ok %d errno %d\n", geteuid(), afd >= 0, afd < 0 ? errno : 0);
    if (geteuid() == 0 && afd >= 0) {
        check("alarm settime as root", settime(afd, 0, 0, 1000000, 0, 0, NULL));
        v = rd(afd, &ret);
        printf("alarm read %ld value %llu\n", ret, (unsigned long long)v);
        pid_t pid = fork();
        if (pid == 0) {
            setuid(65534);
            check("alarm create as nobody", timerfd_create(CLOCK_REALTIME_ALARM, 0));
            check("alarm settime as nobody", settime(afd, 0, 1, 0, 0, 0, NULL));
            check("monotonic create as nobody", timerfd_create(CLOCK_MONOTONIC, 0) >= 0);
            _exit(0);
        }
        waitpid(pid, NULL, 0);
    }
    return 0;
}
