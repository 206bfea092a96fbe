/* poll_epoll.c - epoll on pipes: level- and edge-triggered, EPOLLONESHOT, EPOLLRDHUP,
 * data round-trip, ready-list order, epoll_ctl/epoll_wait errors, the epoll fd itself
 * (pollable, nestable, what /proc shows), and a watched file leaving the set when its
 * last descriptor is closed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

static const char *ename(int e)
{
    switch (e) {
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case ELOOP: return "ELOOP";
    case EINTR: return "EINTR";
    default: return "other";
    }
}

static void result(const char *what, int ret)
{
    if (ret < 0)
        printf("%s: -1 %s\n", what, ename(errno));
    else
        printf("%s: %d\n", what, ret);
}

static int add(int epfd, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int epfd, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

static void wait_show(const char *what, int epfd, int max, int timeout)
{
    struct epoll_event evs[8];
    int n = epoll_wait(epfd, evs, max, timeout);
    printf("%s: %d", what, n);
    if (n < 0)
        printf(" %s", ename(errno));
    for (int i = 0; i < n; i++)
        printf(" {%#x, %#llx}", evs[i].events, (unsigned long long)evs[i].data.u64);
    printf("\n");
}

static void creation(void)
{
    /* raw: some libcs check size themselves, some do not */
    result("epoll_create(0)", syscall(SYS_epoll_create, 0));
    result("epoll_create(-1)", syscall(SYS_epoll_create, -1));
    int a = epoll_create(1);
    result("epoll_create(1) fd", a);
    result("epoll_create1(1)", epoll_create1(1));
    int b = epoll_create1(EPOLL_CLOEXEC);
    printf("EPOLL_CLOEXEC: FD_CLOEXEC=%d F_GETFL=%#x\n", fcntl(b, F_GETFD), fcntl(b, F_GETFL));
    printf("no flags: FD_CLOEXEC=%d\n", fcntl(a, F_GETFD));
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", a);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("readlink: %s\n", link);
    struct stat st;
    fstat(a, &st);
    printf("fstat: mode %#o size %lld\n", st.st_mode, (long long)st.st_size);
    char c;
    result("read from epoll fd", read(a, &c, 1));
    result("lseek on epoll fd", (int)lseek(a, 0, SEEK_CUR));
    close(a);
    close(b);
}

static void ctl_errors(void)
{
    int epfd = epoll_create1(0);
    int p[2];
    pipe(p);
    int reg = open("/proc/self/exe", O_RDONLY);
    int null = open("/dev/null", O_RDWR);
    int closed = dup(p[0]);
    close(closed);
    struct epoll_event ev = {.events = EPOLLIN};
    result("bad epfd", epoll_ctl(closed, EPOLL_CTL_ADD, p[0], &ev));
    result("bad fd", epoll_ctl(epfd, EPOLL_CTL_ADD, closed, &ev));
    result("epfd is a pipe", epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &ev));
    result("add epfd to itself", epoll_ctl(epfd, EPOLL_CTL_ADD, epfd, &ev));
    result("regular file", epoll_ctl(epfd, EPOLL_CTL_ADD, reg, &ev));
    int opath = open("/", O_PATH);
    result("O_PATH descriptor", epoll_ctl(epfd, EPOLL_CTL_ADD, opath, &ev));
    close(opath);
    result("/dev/null", epoll_ctl(epfd, EPOLL_CTL_ADD, null, &ev));
    result("MOD before ADD", epoll_ctl(epfd, EPOLL_CTL_MOD, p[0], &ev));
    result("DEL before ADD", epoll_ctl(epfd, EPOLL_CTL_DEL, p[0], &ev));
    result("ADD", epoll_ctl(epfd, EPOLL_CTL_ADD, p[0], &ev));
    result("ADD again", epoll_ctl(epfd, EPOLL_CTL_ADD, p[0], &ev));
    result("bad op", epoll_ctl(epfd, 7, p[0], &ev));
    struct epoll_event *volatile bad = (struct epoll_event *)8;
    result("MOD with a bad event", epoll_ctl(epfd, EPOLL_CTL_MOD, p[0], bad));
    result("DEL with a bad event", epoll_ctl(epfd, EPOLL_CTL_DEL, p[0], bad));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    result("ADD EPOLLEXCLUSIVE", epoll_ctl(epfd, EPOLL_CTL_ADD, p[0], &ev));
    result("MOD EPOLLEXCLUSIVE", epoll_ctl(epfd, EPOLL_CTL_MOD, p[0], &ev));
    ev.events = EPOLLPRI | EPOLLEXCLUSIVE;
    result("ADD EPOLLEXCLUSIVE|EPOLLPRI", epoll_ctl(epfd, EPOLL_CTL_ADD, p[1], &ev));

    struct epoll_event evs[2];
    result("wait maxevents 0", epoll_wait(epfd, evs, 0, 0));
    volatile int minus_one = -1;
    result("wait maxevents -1", epoll_wait(epfd, evs, minus_one, 0));
    result("wait on a pipe fd", epoll_wait(p[0], evs, 1, 0));
    result("wait on a closed fd", epoll_wait(closed, evs, 1, 0));
    result("wait, events in the kernel half", epoll_wait(epfd, (void *)0xffff800000000000UL, 1, 0));
    write(p[1], "x", 1);
    struct epoll_event *volatile unmapped = (struct epoll_event *)8;
    result("wait, unmapped events", epoll_wait(epfd, unmapped, 1, 0));
    close(epfd);
    close(p[0]);
    close(p[1]);
    close(reg);
    close(null);
}

static void triggering(void)
{
    int epfd = epoll_create1(0);
    int p[2];
    char buf[16];
    pipe(p);
    add(epfd, p[0], EPOLLIN, 0x1122334455667788ULL);
    wait_show("LT empty, timeout 0", epfd, 8, 0);
    wait_show("LT empty, timeout 30ms", epfd, 8, 30);
    write(p[1], "ab", 2);
    wait_show("LT data", epfd, 8, 0);
    wait_show("LT data again", epfd, 8, 0);
    read(p[0], buf, sizeof buf);
    wait_show("LT drained", epfd, 8, 0);

    mod(epfd, p[0], EPOLLIN | EPOLLET, 0xe7);
    wait_show("ET after MOD, empty", epfd, 8, 0);
    write(p[1], "a", 1);
    wait_show("ET write", epfd, 8, 0);
    wait_show("ET no new write", epfd, 8, 0);
    write(p[1], "b", 1);
    wait_show("ET second write (data still there)", epfd, 8, 0);
    read(p[0], buf, sizeof buf);
    wait_show("ET drained", epfd, 8, 0);

    mod(epfd, p[0], EPOLLIN | EPOLLONESHOT, 0x1);
    wait_show("ONESHOT empty", epfd, 8, 0);
    write(p[1], "c", 1);
    wait_show("ONESHOT write", epfd, 8, 0);
    wait_show("ONESHOT again", epfd, 8, 0);
    write(p[1], "d", 1);
    wait_show("ONESHOT another write", epfd, 8, 0);
    mod(epfd, p[0], EPOLLIN | EPOLLONESHOT, 0x2);
    wait_show("ONESHOT re-armed", epfd, 8, 0);
    read(p[0], buf, sizeof buf);

    mod(epfd, p[0], EPOLLIN | EPOLLRDHUP, 0x3);
    add(epfd, p[1], EPOLLOUT, 0x4);
    wait_show("RDHUP: read end empty, write end", epfd, 8, 0);
    write(p[1], "e", 1);
    close(p[1]);
    wait_show("writer closed, data left", epfd, 8, 0);
    read(p[0], buf, sizeof buf);
    wait_show("writer closed, drained", epfd, 8, 0);
    close(p[0]);
    wait_show("both closed", epfd, 8, 0);

    pipe(p);
    add(epfd, p[1], EPOLLOUT, 0x5);
    close(p[0]);
    wait_show("reader closed", epfd, 8, 0);
    close(p[1]);
    close(epfd);
}

static void order_and_children(void)
{
    int epfd = epoll_create1(0);
    int a[2], b[2];
    pipe(a);
    pipe(b);
    write(a[1], "a", 1);
    write(b[1], "b", 1);
    add(epfd, b[0], EPOLLIN, 0xb);
    add(epfd, a[0], EPOLLIN, 0xa);
    wait_show("two ready, max 1", epfd, 1, 0);
    wait_show("two ready, max 1, next", epfd, 1, 0);
    wait_show("two ready, max 1, next", epfd, 1, 0);
    wait_show("two ready, max 8", epfd, 8, 0);
    char c;
    read(a[0], &c, 1);
    read(b[0], &c, 1);

    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        write(a[1], "late", 4);
        _exit(0);
    }
    wait_show("child writes later, timeout -1", epfd, 8, -1);
    waitpid(pid, NULL, 0);
    struct timespec ts = {0, 0};
    struct epoll_event ev;
    int n = syscall(SYS_epoll_pwait2, epfd, &ev, 1, &ts, NULL, 8);
    printf("epoll_pwait2 zero timeout: %d %#x %#llx\n", n, n > 0 ? ev.events : 0,
           n > 0 ? (unsigned long long)ev.data.u64 : 0ULL);
    read(a[0], &c, 1);
    read(a[0], &c, 1);
    read(a[0], &c, 1);
    read(a[0], &c, 1);
    ts = (struct timespec){0, 20000000};
    n = syscall(SYS_epoll_pwait2, epfd, &ev, 1, &ts, NULL, 8);
    printf("epoll_pwait2 20ms: %d\n", n);
    ts = (struct timespec){0, -1};
    n = syscall(SYS_epoll_pwait2, epfd, &ev, 1, &ts, NULL, 8);
    printf("epoll_pwait2 bad timespec: %d %s\n", n, n < 0 ? ename(errno) : "-");
    close(epfd);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

static void epoll_of_epoll(void)
{
    int inner = epoll_create1(0);
    int outer = epoll_create1(0);
    int p[2];
    pipe(p);
    add(inner, p[0], EPOLLIN, 0x11);
    result("outer watches inner", add(outer, inner, EPOLLIN, 0x22));
    result("inner watches outer (loop)", add(inner, outer, EPOLLIN, 0x33));
    struct pollfd fd = {inner, POLLIN | POLLOUT, 0};
    int n = poll(&fd, 1, 0);
    printf("poll(inner) empty: %d revents %#x\n", n, fd.revents);
    wait_show("outer, nothing", outer, 8, 0);
    write(p[1], "x", 1);
    n = poll(&fd, 1, 0);
    printf("poll(inner) ready: %d revents %#x\n", n, fd.revents);
    wait_show("outer, pipe written", outer, 8, 0);
    wait_show("inner", inner, 8, 0);

    char c;
    read(p[0], &c, 1);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        write(p[1], "y", 1);
        _exit(0);
    }
    fd.revents = 0;
    n = poll(&fd, 1, -1);
    printf("poll(inner) until the child writes: %d revents %#x\n", n, fd.revents);
    waitpid(pid, NULL, 0);
    close(inner);
    wait_show("outer after inner closed", outer, 8, 0);
    close(outer);
    close(p[0]);
    close(p[1]);
}

static void last_close(void)
{
    int epfd = epoll_create1(0);
    int p[2];
    pipe(p);
    int copy = dup(p[0]);
    add(epfd, p[0], EPOLLIN, 0x77);
    close(p[0]);
    write(p[1], "x", 1);
    wait_show("fd closed, file still open through a dup", epfd, 8, 0);
    result("DEL through the closed fd", epoll_ctl(epfd, EPOLL_CTL_DEL, p[0], NULL));
    result("DEL through the dup", epoll_ctl(epfd, EPOLL_CTL_DEL, copy, NULL));
    close(copy);
    wait_show("last descriptor closed", epfd, 8, 0);
    int q[2];
    pipe(q);
    printf("new pipe reuses the fd: %s\n", q[0] == p[0] ? "yes" : "no");
    result("ADD the new file at that fd", add(epfd, q[0], EPOLLIN, 0x88));
    write(q[1], "y", 1);
    wait_show("new file", epfd, 8, 0);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    close(epfd);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    creation();
    ctl_errors();
    triggering();
    order_and_children();
    epoll_of_epoll();
    last_close();
    return 0;
}
