/* pipe_reopen.c - opening a pipe again through /proc/self/fd/N or /dev/fd/N: a new file
 * on the same pipe, with the access mode asked for; a pipe never waits for a partner and
 * never gives ENXIO (unlike a FIFO), and the new ends count as readers and writers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int reopen(const char *dir, int fd, int flags)
{
    char path[64];
    snprintf(path, sizeof path, "%s/%d", dir, fd);
    int r = open(path, flags);
    if (r < 0)
        printf("  open %s: %s\n", path, strerror(errno));
    return r;
}

static void show_read(const char *what, int fd)
{
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n < 0) {
        printf("  %s: read error %s\n", what, strerror(errno));
        return;
    }
    buf[n] = 0;
    printf("  %s: read %zd \"%s\"\n", what, n, buf);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    pipe(p);
    write(p[1], "hello", 5);
    printf("read end through /proc/self/fd\n");
    int r = reopen("/proc/self/fd", p[0], O_RDONLY);
    struct stat a, b;
    fstat(p[0], &a);
    fstat(r, &b);
    printf("  same inode %d, fifo %d, flags %#x\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev,
           S_ISFIFO(b.st_mode), fcntl(r, F_GETFL) & O_ACCMODE);
    show_read("new file", r);

    printf("write end through /dev/fd\n");
    int w = reopen("/dev/fd", p[1], O_WRONLY);
    printf("  write %zd, flags %#x\n", write(w, "abc", 3), fcntl(w, F_GETFL) & O_ACCMODE);
    show_read("original read end", p[0]);

    printf("read end opened for writing\n");
    int rw = reopen("/proc/self/fd", p[0], O_RDWR);
    printf("  write %zd\n", write(rw, "xy", 2));
    show_read("original read end", p[0]);
    close(rw);

    printf("writers gone: the reopened read end sees end of file\n");
    close(p[1]);
    close(w);
    show_read("new file", r);
    int r2 = reopen("/proc/self/fd", r, O_RDONLY | O_NONBLOCK);
    show_read("opened with no writer", r2);

    printf("readers gone: opening the write end does not fail, writing is EPIPE\n");
    int q[2];
    pipe(q);
    close(q[0]);
    int w2 = reopen("/proc/self/fd", q[1], O_WRONLY | O_NONBLOCK);
    errno = 0;
    ssize_t n = write(w2, "z", 1);
    printf("  write %zd %s\n", n, strerror(errno));
    return 0;
}
