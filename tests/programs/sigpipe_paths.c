/* sigpipe_paths.c - every way of writing to a pipe with no reader raises SIGPIPE and
 * fails with EPIPE: write, writev, a FIFO, sendfile, a write blocked on a full pipe when
 * the reader goes; pwrite on a pipe is ESPIPE before that. With SIGPIPE at its default,
 * a writev kills the writer. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int sigpipes;

static void on_pipe(int sig) { (void)sig; sigpipes++; }

static void report(const char *what, long r)
{
    int e = errno;
    printf("%s: %ld %s, SIGPIPE x%d\n", what, r, r < 0 ? strerror(e) : "", sigpipes);
    sigpipes = 0;
}

static int broken_pipe(void)
{
    int p[2];
    pipe(p);
    close(p[0]);
    return p[1];
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, on_pipe);
    char big[100000];
    memset(big, 'b', sizeof big);

    int w = broken_pipe();
    errno = 0;
    report("write", write(w, "x", 1));
    struct iovec v[2] = {{"ab", 2}, {"cd", 2}};
    report("writev", writev(w, v, 2));
    report("pwrite", pwrite(w, "x", 1, 0));
    int src = open(argv[0], O_RDONLY);
    report("sendfile", sendfile(w, src, NULL, 100));
    close(src);
    close(w);

    /* A FIFO whose reader has gone. */
    char fifo[] = "/tmp/sigpipe_fifo_XXXXXX";
    close(mkstemp(fifo));
    unlink(fifo);
    mkfifo(fifo, 0600);
    int r = open(fifo, O_RDONLY | O_NONBLOCK);
    int fw = open(fifo, O_WRONLY);
    close(r);
    report("fifo write", write(fw, "x", 1));
    close(fw);
    unlink(fifo);

    /* A big write sleeping on a full pipe when the reader exits: part written or EPIPE. */
    int p[2];
    pipe(p);
    pid_t reader = fork();
    if (reader == 0) {
        close(p[1]);
        char c;
        read(p[0], &c, 1);       /* one byte, then go */
        _exit(0);
    }
    close(p[0]);
    long n = write(p[1], big, sizeof big);
    report("blocked write when the reader left (partial is fine)", n > 0 ? 1 : n);
    waitpid(reader, NULL, 0);
    close(p[1]);

    /* Default action: a writev kills the writer. */
    pid_t child = fork();
    if (child == 0) {
        signal(SIGPIPE, SIG_DFL);
        int w2 = broken_pipe();
        writev(w2, v, 2);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    printf("default writev: killed by signal %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return 0;
}
