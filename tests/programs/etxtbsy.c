/* etxtbsy.c - ETXTBSY both ways: a running program cannot be opened for writing or
 * truncated, and a file open for writing cannot be executed (until it is closed). The
 * copy it executes is itself, written to argv[1]. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *what, int ret)
{
    printf("%s: %s\n", what, ret < 0 ? strerror(errno) : "ok");
    fflush(stdout);
}

static int run(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl(path, path, "child", (char *)NULL);
        printf("exec %s: %s\n", path, strerror(errno));
        fflush(stdout);
        _exit(99);
    }
    int status;
    waitpid(pid, &status, 0);
    return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "child"))
        return 7;                               /* the child run */
    say("open the running program for writing", open("/proc/self/exe", O_WRONLY));
    say("truncate the running program", truncate("/proc/self/exe", 0));
    say("open it read-only", open("/proc/self/exe", O_RDONLY));
    char buf[65536];
    int in = open("/proc/self/exe", O_RDONLY), out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0755);
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n)
            return 1;
    printf("exec while open for writing: status %d\n", run(argv[1]));
    close(out);
    printf("exec after close: status %d\n", run(argv[1]));
    return 0;
}
