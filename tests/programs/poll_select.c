/* poll_select.c - select(2) and pselect6: fd_set layout, readiness of pipes, /dev/null
 * and regular files, write readiness of a full pipe, EBADF/EINVAL, nfds beyond the fd
 * table, and the remaining time written back (raw syscalls: libc wrappers may copy). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e)
{
    switch (e) {
    case EINTR: return "EINTR";
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    default: return "other";
    }
}

static void show(const char *what, int ret, fd_set *r, fd_set *w, int upto)
{
    printf("%s: ret=%d", what, ret);
    if (ret < 0)
        printf(" errno=%s", ename(errno));
    for (int fd = 0; fd < upto; fd++) {
        if (r && FD_ISSET(fd, r))
            printf(" r%d", fd);
        if (w && FD_ISSET(fd, w))
            printf(" w%d", fd);
    }
    printf("\n");
}

static void pipes(void)
{
    int p[2];
    pipe(p);
    fd_set r, w;
    struct timeval tv = {0, 0};
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    show("empty pipe, timeout 0", select(p[0] + 1, &r, NULL, NULL, &tv), &r, NULL, 64);

    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv = (struct timeval){0, 60000};
    show("empty pipe, timeout 60ms", select(p[0] + 1, &r, NULL, NULL, &tv), &r, NULL, 64);

    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &r);
    FD_SET(p[1], &w);
    FD_SET(p[0], &w);
    show("data: both ends in both sets", select(p[1] + 1, &r, &w, NULL, NULL), &r, &w, 64);

    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        write(p[1], "z", 1);
        _exit(0);
    }
    char c;
    read(p[0], &c, 1);          /* empty again; the child refills it later */
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    show("child writes later, no timeout", select(p[0] + 1, &r, NULL, NULL, NULL), &r, NULL, 64);
    waitpid(pid, NULL, 0);

    fd_set e;
    FD_ZERO(&e);
    FD_SET(p[0], &e);
    tv = (struct timeval){0, 0};
    show("exceptfds on a pipe", select(p[0] + 1, NULL, NULL, &e, &tv), &e, NULL, 64);
    close(p[0]);
    close(p[1]);
}

static void always_ready(void)
{
    int null = open("/dev/null", O_RDWR);
    int reg = open("/proc/self/exe", O_RDONLY);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(null, &r);
    FD_SET(null, &w);
    FD_SET(reg, &r);
    FD_SET(reg, &w);
    int n = (null > reg ? null : reg) + 1;
    printf("(fds %d and %d)\n", null, reg);
    show("/dev/null and a regular file", select(n, &r, &w, NULL, NULL), &r, &w, 64);
    close(null);
    close(reg);
}

static void full_pipe(void)
{
    int p[2];
    pipe2(p, O_NONBLOCK);
    char buf[65536];
    memset(buf, 'f', sizeof buf);
    long total = 0;
    for (;;) {
        ssize_t n = write(p[1], buf, sizeof buf);
        if (n < 0)
            break;
        total += n;
    }
    printf("pipe holds %ld bytes\n", total);
    struct timeval tv = {0, 0};
    fd_set w;
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    show("full pipe writable?", select(p[1] + 1, NULL, &w, NULL, &tv), NULL, &w, 64);
    read(p[0], buf, 100);
    FD_SET(p[1], &w);
    show("after reading 100 bytes", select(p[1] + 1, NULL, &w, NULL, &tv), NULL, &w, 64);
    read(p[0], buf, 4096 - 100);
    FD_SET(p[1], &w);
    show("after reading a page", select(p[1] + 1, NULL, &w, NULL, &tv), NULL, &w, 64);
    close(p[0]);
    close(p[1]);
}

static void errors(void)
{
    int p[2];
    pipe(p);
    fd_set r;
    struct timeval tv = {0, 0};
    int closed = dup(p[0]);
    close(closed);
    FD_ZERO(&r);
    FD_SET(closed, &r);
    FD_SET(p[0], &r);
    int n = (closed > p[0] ? closed : p[0]) + 1;
    show("a closed fd in the set", select(n, &r, NULL, NULL, &tv), NULL, NULL, 0);
    show("nfds -1", select(-1, NULL, NULL, NULL, &tv), NULL, NULL, 0);
    tv = (struct timeval){-1, 0};
    show("tv_sec -1", select(1, NULL, NULL, NULL, &tv), NULL, NULL, 0);
    tv = (struct timeval){0, -1};
    show("tv_usec -1", select(1, NULL, NULL, NULL, &tv), NULL, NULL, 0);
    struct timeval *volatile bad_tv = (struct timeval *)8;
    show("bad timeval", syscall(SYS_select, 1, NULL, NULL, NULL, bad_tv), NULL, NULL, 0);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    fd_set *volatile bad_set = (fd_set *)8;
    tv = (struct timeval){0, 0};
    show("bad writefds", syscall(SYS_select, p[0] + 1, &r, bad_set, NULL, &tv), NULL, NULL, 0);

    close(p[0]);
    close(p[1]);
}

static void time_left(void)
{
    int p[2];
    pipe(p);
    write(p[1], "x", 1);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = {5, 0};
    int ret = syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv);
    printf("select ready at once: ret=%d tv 4.5s..5s: %s\n", ret,
           tv.tv_sec == 4 && tv.tv_usec > 500000 ? "yes" : "no");

    tv = (struct timeval){0, 1000000};
    FD_SET(p[0], &r);
    ret = syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv);
    printf("tv_usec 1000000 is one second: ret=%d left 0.5s..1s: %s\n", ret,
           tv.tv_sec == 0 && tv.tv_usec > 500000 ? "yes" : "no");

    char c;
    read(p[0], &c, 1);
    tv = (struct timeval){0, 30000};
    FD_SET(p[0], &r);
    ret = syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv);
    printf("select timed out: ret=%d tv=%ld.%06ld\n", ret, (long)tv.tv_sec, (long)tv.tv_usec);

    tv = (struct timeval){0, 0};
    FD_SET(p[0], &r);
    ret = syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv);
    printf("zero timeout: ret=%d tv=%ld.%06ld\n", ret, (long)tv.tv_sec, (long)tv.tv_usec);

    write(p[1], "y", 1);
    struct timespec ts = {5, 0};
    FD_SET(p[0], &r);
    ret = syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, NULL);
    printf("pselect6 ready at once: ret=%d ts 4.5s..5s: %s\n", ret,
           ts.tv_sec == 4 && ts.tv_nsec > 500000000 ? "yes" : "no");
    read(p[0], &c, 1);
    ts = (struct timespec){0, 30000000};
    FD_SET(p[0], &r);
    ret = syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, NULL);
    printf("pselect6 timed out: ret=%d ts=%ld.%09ld\n", ret, (long)ts.tv_sec, ts.tv_nsec);
    ts = (struct timespec){0, 1000000000};
    ret = syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, NULL);
    printf("pselect6 tv_nsec 1e9: ret=%d errno=%s\n", ret, ret < 0 ? ename(errno) : "-");
    unsigned long bad_pack[2] = {0, 4};
    ret = syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, NULL, (void *)8);
    printf("pselect6 bad argpack: ret=%d errno=%s\n", ret, ret < 0 ? ename(errno) : "-");
    sigset_t set;
    sigemptyset(&set);
    bad_pack[0] = (unsigned long)&set;
    ts = (struct timespec){0, 0};
    ret = syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, bad_pack);
    printf("pselect6 sigsetsize 4: ret=%d errno=%s\n", ret, ret < 0 ? ename(errno) : "-");
    close(p[0]);
    close(p[1]);

    /* libc's select: glibc reports the time left (it goes through pselect6), musl's
     * copy does not; print only what both agree on. */
    tv = (struct timeval){0, 20000};
    ret = select(0, NULL, NULL, NULL, &tv);
    printf("select as a sleep: ret=%d\n", ret);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pipes();
    always_ready();
    full_pipe();
    errors();
    time_left();
    return 0;
}
