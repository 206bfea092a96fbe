/* eventfd: the counter and EFD_SEMAPHORE, the 8-byte rules (EINVAL for short buffers and
 * for ULLONG_MAX, the 0xfffffffffffffffe maximum), EAGAIN without blocking, a read and a
 * write that block until another process moves the counter, readiness through poll,
 * select and epoll, and what fcntl, fstat, lseek, readlink and fdinfo show. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char *what, long ret)
{
    printf("%-34s %ld errno %d\n", what, ret, ret < 0 ? errno : 0);
    errno = 0;
}

static void rd(const char *what, int fd)
{
    uint64_t v = 0;
    long n = read(fd, &v, sizeof v);
    printf("%-34s %ld errno %d value %llu\n", what, n, n < 0 ? errno : 0, (unsigned long long)v);
    errno = 0;
}

static long wr(int fd, uint64_t v)
{
    return write(fd, &v, sizeof v);
}

static void show_poll(const char *what, int fd)
{
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    int n = poll(&p, 1, 0);
    printf("%-34s %d revents %#x\n", what, n, p.revents);
}

static void fdinfo_line(int fd, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("fdinfo open errno %d\n", errno);
        return;
    }
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, strlen(key)))
            printf("fdinfo %s", line);
    fclose(f);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    check("eventfd2 bad flags", syscall(SYS_eventfd2, 0, 0x1234));
    check("eventfd2 flags -1", syscall(SYS_eventfd2, 0, -1));

    int fd = syscall(SYS_eventfd, 5);
    printf("eventfd(5) ok %d\n", fd >= 0);
    rd("read 5", fd);
    int fl = fcntl(fd, F_GETFL);
    printf("F_GETFL %#o F_GETFD %d\n", fl, fcntl(fd, F_GETFD));
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    rd("read empty nonblock", fd);
    close(fd);

    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    printf("F_GETFL %#o F_GETFD %d\n", fcntl(efd, F_GETFL), fcntl(efd, F_GETFD));
    char small[4] = {1, 0, 0, 0};
    check("write 4 bytes", write(efd, small, 4));
    check("read 4 bytes", read(efd, small, 4));
    check("write ULLONG_MAX", wr(efd, UINT64_MAX));
    show_poll("poll empty", efd);
    check("write 3", wr(efd, 3));
    check("write 4", wr(efd, 4));
    show_poll("poll 7", efd);
    fdinfo_line(efd, "eventfd-count");
    fdinfo_line(efd, "flags");
    check("lseek", lseek(efd, 10, SEEK_SET));
    rd("read 7", efd);
    check("write max-1", wr(efd, UINT64_MAX - 1));
    show_poll("poll full", efd);
    check("write 1 when full", wr(efd, 1));
    check("write 0 when full", wr(efd, 0));
    fdinfo_line(efd, "eventfd-count");
    rd("read full", efd);

    fd_set r, w;
    struct timeval tv = {0, 0};
    FD_ZERO(&r); FD_ZERO(&w); FD_SET(efd, &r); FD_SET(efd, &w);
    int n = select(efd + 1, &r, &w, NULL, &tv);
    printf("select empty %d r %d w %d\n", n, FD_ISSET(efd, &r), FD_ISSET(efd, &w));

    int sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    rd("sem read 1", sem);
    rd("sem read 2", sem);
    rd("sem read 3", sem);
    rd("sem read 4", sem);

    struct stat st;
    fstat(sem, &st);
    printf("fstat type %o perm %o size %ld\n", st.st_mode & S_IFMT, st.st_mode & 07777, (long)st.st_size);
    char link[128], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", sem);
    ssize_t ln = readlink(path, link, sizeof link - 1);
    link[ln > 0 ? ln : 0] = 0;
    printf("readlink %s\n", link);

    /* epoll: level-triggered readiness follows the counter */
    int ep = epoll_create1(0);
    struct epoll_event ev = {EPOLLIN | EPOLLOUT, {.u64 = 77}}, out[4];
    check("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
    n = epoll_wait(ep, out, 4, 0);
    printf("epoll empty %d events %#x data %llu\n", n, n > 0 ? out[0].events : 0,
           n > 0 ? (unsigned long long)out[0].data.u64 : 0);
    wr(efd, 1);
    n = epoll_wait(ep, out, 4, 0);
    printf("epoll one %d events %#x\n", n, n > 0 ? out[0].events : 0);
    rd("read 1", efd);

    /* a blocking read another process satisfies */
    int bfd = eventfd(0, 0);
    pid_t pid = fork();
    if (pid == 0) {
        wr(bfd, 42);
        _exit(0);
    }
    rd("blocking read", bfd);
    waitpid(pid, NULL, 0);

    /* a blocking write that would overflow waits for a read */
    check("write max-1", wr(bfd, UINT64_MAX - 1));
    pid = fork();
    if (pid == 0) {
        uint64_t v;
        read(bfd, &v, sizeof v);
        _exit(v == UINT64_MAX - 1 ? 0 : 1);
    }
    check("blocking write 5", wr(bfd, 5));
    int status;
    waitpid(pid, &status, 0);
    printf("child read max-1: %d\n", WEXITSTATUS(status) == 0);
    rd("read 5 after", bfd);

    /* epoll_wait sleeps until another process writes */
    int ep2 = epoll_create1(0);
    struct epoll_event ev2 = {EPOLLIN, {.u64 = 5}};
    epoll_ctl(ep2, EPOLL_CTL_ADD, bfd, &ev2);
    pid = fork();
    if (pid == 0) {
        wr(bfd, 9);
        _exit(0);
    }
    n = epoll_wait(ep2, out, 4, -1);
    printf("epoll wait %d events %#x data %llu\n", n, out[0].events, (unsigned long long)out[0].data.u64);
    rd("read 9", bfd);
    waitpid(pid, NULL, 0);
    return 0;
}
