#define _GNU_SOURCE
/* RLIMIT_FSIZE: writes are cut at the limit, then fail with EFBIG and SIGXFSZ; so does
 * growing a file with ftruncate/truncate; pipes are not limited. With SIGXFSZ's default
 * action the writer dies of it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define KiB 1024
static volatile sig_atomic_t xfsz;

static void on_xfsz(int sig) { (void)sig; xfsz++; }

static void report(const char *what, long r)
{
    printf("%s: %ld%s%s, SIGXFSZ %d\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "",
           (int)xfsz);
}

int main(void)
{
    static char buf[2048 * KiB];
    memset(buf, 'x', sizeof buf);
    char path[] = "/tmp/gk-fsize-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    signal(SIGXFSZ, on_xfsz);
    struct rlimit lim = {1024 * KiB, 1024 * KiB};
    setrlimit(RLIMIT_FSIZE, &lim);

    report("write 2 MiB", write(fd, buf, sizeof buf));
    report("write 1 more byte", write(fd, buf, 1));
    report("write 0 bytes at the limit", write(fd, buf, 0));
    report("pwrite 100 bytes below the limit", pwrite(fd, buf, 100, 1024 * KiB - 10));
    report("pwrite at 4 MiB", pwrite(fd, buf, 10, 4096 * KiB));
    struct iovec iov[2] = {{buf, 10}, {buf, 10}};
    report("writev at the limit", writev(fd, iov, 2));
    report("ftruncate to 2 MiB", ftruncate(fd, 2048 * KiB));
    report("ftruncate to 512 KiB", ftruncate(fd, 512 * KiB));
    report("truncate to 3 MiB", truncate(path, 3072 * KiB));
    report("truncate to 1 MiB", truncate(path, 1024 * KiB));
    report("fallocate to 2 MiB", fallocate(fd, 0, 0, 2048 * KiB) ? -1 : 0);
    report("fallocate within the limit", fallocate(fd, 0, 0, 512 * KiB) ? -1 : 0);
    int app = open(path, O_WRONLY | O_APPEND);
    report("append at the limit", write(app, buf, 1));
    close(app);
    struct stat st;
    fstat(fd, &st);
    printf("size %ld\n", (long)st.st_size);

    int p[2];
    pipe(p);
    lseek(fd, 0, SEEK_SET);
    report("pipe write of 60 KiB", write(p[1], buf, 60 * KiB));

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_DFL);
        lseek(fd, 2048 * KiB, SEEK_SET);
        write(fd, buf, 1);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("child killed by signal %d\n", WTERMSIG(status));
    else
        printf("child exited %d\n", WEXITSTATUS(status));
    unlink(path);
    return 0;
}
