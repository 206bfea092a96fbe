/* sig_pipe.c - writing to a pipe nobody reads: SIGPIPE kills by default (a child's
 * status says signal 13); ignored, the write fails with EPIPE; a handler sees SI_USER from
 * the writer itself and the write fails with EPIPE; blocked, it stays pending.
 * "die" as argv[1]: the process itself dies of SIGPIPE (exit status 141 in a shell). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int got_code = 99, got_pid_ok;

static void on_pipe(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    got_code = si->si_code;
    got_pid_ok = si->si_pid == getpid();
}

static long write_broken(void)
{
    int p[2];
    pipe2(p, O_CLOEXEC);          /* pipe2 with both libcs: one strace line to compare */
    close(p[0]);
    errno = 0;
    long r = write(p[1], "x", 1);
    close(p[1]);
    return r;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_DFL);
    if (argc > 1 && strcmp(argv[1], "die") == 0) {
        printf("writing to a broken pipe\n");
        write_broken();
        printf("survived\n");
        return 0;
    }
    pid_t pid = fork();
    if (pid == 0) {
        write_broken();
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("default: child killed %d by signal %d\n", WIFSIGNALED(status), WTERMSIG(status));

    signal(SIGPIPE, SIG_IGN);
    long r = write_broken();
    printf("ignored: write %ld %s\n", r, strerror(errno));

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_pipe;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGPIPE, &sa, NULL);
    r = write_broken();
    printf("handler: write %ld %s, si_code %d, from self %d\n", r, strerror(errno), got_code, got_pid_ok);

    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_BLOCK, &set, NULL);
    r = write_broken();
    sigpending(&pend);
    printf("blocked: write %ld %s, pending %d\n", r, strerror(errno), sigismember(&pend, SIGPIPE));
    signal(SIGPIPE, SIG_IGN);
    sigpending(&pend);
    printf("ignoring it discards it: pending %d\n", sigismember(&pend, SIGPIPE));
    return 0;
}
