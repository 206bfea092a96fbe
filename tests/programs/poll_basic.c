/* poll_basic.c - poll(2) on pipes: timeouts, readiness, POLLHUP/POLLERR/POLLNVAL, a
 * child that writes while the parent sleeps, and the argument checks (EINVAL, EFAULT).
 * Prints only results that do not depend on timing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
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

static long elapsed_ms(struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void show(const char *what, int ret, struct pollfd *fds, int n)
{
    printf("%s: ret=%d", what, ret);
    if (ret < 0)
        printf(" errno=%s", ename(errno));
    for (int i = 0; i < n; i++)
        printf(" [%d]=%#x", i, fds[i].revents);
    printf("\n");
}

static void timeouts(void)
{
    int p[2];
    pipe(p);
    struct pollfd fd = {p[0], POLLIN, 0x7777};
    show("empty, timeout 0", poll(&fd, 1, 0), &fd, 1);

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int ret = poll(&fd, 1, 60);
    long ms = elapsed_ms(&start);
    show("empty, timeout 60ms", ret, &fd, 1);
    printf("slept at least 50ms: %s\n", ms >= 50 ? "yes" : "no");

    write(p[1], "x", 1);
    clock_gettime(CLOCK_MONOTONIC, &start);
    ret = poll(&fd, 1, 10000);
    show("data, timeout 10s", ret, &fd, 1);
    printf("returned at once: %s\n", elapsed_ms(&start) < 5000 ? "yes" : "no");

    fd.events = POLLIN | POLLRDNORM | POLLOUT;
    show("data, ask IN|RDNORM|OUT", poll(&fd, 1, 0), &fd, 1);
    struct pollfd wr = {p[1], POLLIN | POLLOUT | POLLWRNORM, 0};
    show("write end", poll(&wr, 1, 0), &wr, 1);
    close(p[0]);
    close(p[1]);
}

static void hangups(void)
{
    int p[2];
    pipe(p);
    write(p[1], "ab", 2);
    close(p[1]);
    struct pollfd fd = {p[0], POLLIN, 0};
    show("data then writer closed", poll(&fd, 1, -1), &fd, 1);
    char buf[4];
    read(p[0], buf, sizeof buf);
    fd.events = 0;
    show("drained, events 0", poll(&fd, 1, -1), &fd, 1);
    close(p[0]);

    pipe(p);
    close(p[0]);
    struct pollfd wr = {p[1], POLLOUT, 0};
    show("reader closed", poll(&wr, 1, 0), &wr, 1);
    close(p[1]);
}

static void bad_fds(void)
{
    int p[2];
    pipe(p);
    write(p[1], "y", 1);
    int closed = dup(p[0]);
    close(closed);
    struct pollfd fds[4] = {
        {closed, POLLIN, 0},
        {-1, POLLIN, 0x55},
        {p[0], POLLIN, 0},
        {p[0], POLLOUT, 0},
    };
    show("nval, negative, dup entries", poll(fds, 4, 0), fds, 4);
    int opath = open("/", O_PATH);
    struct pollfd pathfd = {opath, POLLIN | POLLOUT, 0};
    show("O_PATH descriptor", poll(&pathfd, 1, 0), &pathfd, 1);
    close(opath);
    close(p[0]);
    close(p[1]);
}

static void child_writes(void)
{
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        write(p[1], "late", 4);
        _exit(0);
    }
    struct pollfd fd = {p[0], POLLIN, 0};
    show("child writes later, timeout -1", poll(&fd, 1, -1), &fd, 1);
    waitpid(pid, NULL, 0);
    close(p[0]);
    close(p[1]);

    pipe(p);
    pid = fork();
    if (pid == 0) {
        usleep(50000);
        close(p[1]);
        _exit(0);
    }
    close(p[1]);
    fd.fd = p[0];
    show("child closes writer later", poll(&fd, 1, 5000), &fd, 1);
    waitpid(pid, NULL, 0);
    close(p[0]);
}

static void arguments(void)
{
    struct rlimit rl = {16, 16};
    setrlimit(RLIMIT_NOFILE, &rl);
    struct pollfd fds[17];
    for (int i = 0; i < 17; i++)
        fds[i] = (struct pollfd){-1, POLLIN, 0};
    show("nfds == RLIMIT_NOFILE", poll(fds, 16, 0), fds, 0);
    show("nfds > RLIMIT_NOFILE", poll(fds, 17, 0), fds, 0);
    struct pollfd *volatile bad = (struct pollfd *)8;
    show("bad pointer", poll(bad, 1, 0), fds, 0);
    show("NULL, nfds 0 (a sleep)", poll(NULL, 0, 20), fds, 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    timeouts();
    hangups();
    bad_fds();
    child_writes();
    arguments();
    return 0;
}
