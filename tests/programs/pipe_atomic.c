/* Pipe capacity (F_GETPIPE_SZ/F_SETPIPE_SZ, filling a non-blocking pipe) and the
 * atomicity of writes up to PIPE_BUF with two writers at once. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RECORDS 150

static void capacity(void)
{
    int p[2];
    char buf[PIPE_BUF];
    long total = 0;
    ssize_t n;

    pipe2(p, O_NONBLOCK);
    printf("default size: %d\n", fcntl(p[1], F_GETPIPE_SZ));
    memset(buf, 'x', sizeof(buf));
    while ((n = write(p[1], buf, 1000)) > 0)
        total += n;
    printf("filled with 1000-byte writes: %ld bytes, then %s\n", total, strerror(errno));
    int r = fcntl(p[1], F_SETPIPE_SZ, 4096);
    printf("set size below the data: %d (%s)\n", r, strerror(errno));
    char drain[70000];
    read(p[0], drain, sizeof(drain));
    printf("set size 5000 -> %d\n", fcntl(p[1], F_SETPIPE_SZ, 5000));
    printf("get size: %d\n", fcntl(p[0], F_GETPIPE_SZ));
    /* 8192 bytes of room: a PIPE_BUF write fits, the next needs all of its room */
    printf("write PIPE_BUF: %zd\n", write(p[1], buf, PIPE_BUF));
    printf("write 100: %zd\n", write(p[1], buf, 100));
    n = write(p[1], buf, PIPE_BUF);
    printf("write PIPE_BUF with %d free: %zd (%s)\n", 8192 - PIPE_BUF - 100, n,
           n < 0 ? strerror(errno) : "partial");
    char big[3 * PIPE_BUF];
    memset(big, 'y', sizeof(big));
    printf("write %zu (more than PIPE_BUF) with room: %zd\n", sizeof(big), write(p[1], big, sizeof(big)));
    close(p[0]);
    close(p[1]);
}

static void writer(int fd, char letter)
{
    char rec[PIPE_BUF];
    memset(rec, letter, sizeof(rec));
    for (int i = 0; i < RECORDS; i++)
        if (write(fd, rec, sizeof(rec)) != sizeof(rec))
            _exit(1);
    _exit(0);
}

static void two_writers(void)
{
    int p[2];
    pipe(p);
    pid_t a = fork();
    if (a == 0) { close(p[0]); writer(p[1], 'a'); }
    pid_t b = fork();
    if (b == 0) { close(p[0]); writer(p[1], 'b'); }
    close(p[1]);
    static char data[2 * RECORDS * PIPE_BUF];
    size_t got = 0;
    ssize_t n;
    while ((n = read(p[0], data + got, sizeof(data) - got)) > 0)
        got += n;
    int torn = 0, as = 0, bs = 0;
    for (size_t off = 0; off + PIPE_BUF <= got; off += PIPE_BUF) {
        char c = data[off];
        for (int i = 1; i < PIPE_BUF; i++)
            if (data[off + i] != c) { torn++; break; }
        as += c == 'a';
        bs += c == 'b';
    }
    int sa, sb;
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    printf("two writers: %zu bytes, %d records from a, %d from b, %d torn, writers exit %d %d\n",
           got, as, bs, torn, WEXITSTATUS(sa), WEXITSTATUS(sb));
}

int main(void)
{
    capacity();
    two_writers();
    return 0;
}
