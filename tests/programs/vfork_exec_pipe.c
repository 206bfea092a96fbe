/* vfork_exec_pipe.c - the parent of a vfork runs again as soon as the child execs (not
 * when it exits): here the child execs a reader of a pipe that only the parent feeds, the
 * way tar czf runs gzip. "reader" as argv[1]: count stdin's bytes. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char buf[8192];
    if (argc > 1 && strcmp(argv[1], "reader") == 0) {
        long total = 0, n;
        while ((n = read(0, buf, sizeof buf)) > 0)
            total += n;
        printf("reader: %ld bytes\n", total);
        return 3;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    int p[2];
    pipe(p);
    pid_t pid = vfork();
    if (pid == 0) {
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        execl(argv[0], argv[0], "reader", (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    memset(buf, 'x', sizeof buf);
    long sent = 0;
    for (int i = 0; i < 40; i++)             /* 320 KiB: more than a pipe holds */
        sent += write(p[1], buf, sizeof buf);
    close(p[1]);
    int status;
    waitpid(pid, &status, 0);
    printf("parent: sent %ld bytes\n", sent);
    printf("parent: reader exit %d\n", WEXITSTATUS(status));
    return 0;
}
