/* Writes much larger than a pipe's capacity, which must block part-way and still
 * deliver every byte exactly once: write, writev, and sendfile from a file, to a
 * child that reads in small pieces and reports a count and a checksum. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIG 300000

static unsigned char buf[BIG];

static void reader(int fd)
{
    unsigned char piece[1000];
    unsigned long total = 0, sum = 0;
    ssize_t n;

    while ((n = read(fd, piece, sizeof piece)) > 0)
        for (ssize_t i = 0; i < n; i++, total++)
            sum = (sum * 31 + piece[i] + total) % 1000000007UL;
    printf("reader: %lu bytes, checksum %lu\n", total, sum);
    exit(n < 0);
}

int main(void)
{
    int pfd[2], status;
    const char *src = "pipe_bigwrite.src";

    for (int i = 0; i < BIG; i++)
        buf[i] = (unsigned char)(i * 7 + i / 251);
    if (pipe(pfd) < 0)
        return 1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[1]);
        reader(pfd[0]);
    }
    close(pfd[0]);

    printf("write: %zd\n", write(pfd[1], buf, BIG));

    struct iovec iov[3] = {{buf, 70000}, {buf + 1, 90000}, {buf + 2, 40000}};
    printf("writev: %zd\n", writev(pfd[1], iov, 3));

    int fd = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, buf + 3, 150000) != 150000)
        return 1;
    lseek(fd, 0, SEEK_SET);
    ssize_t done = 0, n;
    while ((n = sendfile(pfd[1], fd, NULL, 150000 - done)) > 0)
        done += n;
    printf("sendfile: %zd, file offset %ld\n", done, (long)lseek(fd, 0, SEEK_CUR));

    /* a 1 MiB pipe and more than 1 MiB to send: more than one chunk of the copy */
    printf("F_SETPIPE_SZ: %d\n", fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20));
    for (int i = 0; i < 5; i++)
        if (write(fd, buf, BIG) != BIG)
            return 1;
    off_t off = 0;
    done = 0;
    while ((n = sendfile(pfd[1], fd, &off, 1650000 - done)) > 0)
        done += n;
    printf("sendfile with offset: %zd, offset %ld\n", done, (long)off);
    close(fd);
    unlink(src);

    fflush(stdout);
    close(pfd[1]);
    waitpid(pid, &status, 0);
    printf("child status %d\n", WEXITSTATUS(status));
    return 0;
}
