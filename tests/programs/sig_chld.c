/* sig_chld.c - SIGCHLD carries a siginfo saying which child changed and how:
 * CLD_EXITED with the exit code, CLD_KILLED with the signal, CLD_STOPPED/CLD_CONTINUED
 * (not with SA_NOCLDSTOP); si_pid is the forked pid. SA_NOCLDWAIT and SIG_IGN make the
 * kernel reap children itself (wait then fails with ECHILD). A blocked SIGCHLD stays
 * pending even though its default action is to ignore it. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_EVENTS 8

static volatile int nevents;
static volatile int ev_code[MAX_EVENTS], ev_status[MAX_EVENTS];
static volatile pid_t ev_pid[MAX_EVENTS];
static sigset_t wait_mask;           /* the mask while waiting: SIGCHLD open */

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    if (nevents < MAX_EVENTS) {
        ev_code[nevents] = si->si_code;
        ev_status[nevents] = si->si_status;
        ev_pid[nevents] = si->si_pid;
        nevents++;
    }
}

static void install(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(SIGCHLD, &sa, NULL);
    nevents = 0;
}

static void await_events(int n)
{
    while (nevents < n)
        sigsuspend(&wait_mask);
}

static void show(const char *what, pid_t child)
{
    printf("%s:", what);
    for (int i = 0; i < nevents; i++)
        printf(" {code %d status %d pid ok %d}", ev_code[i], ev_status[i], ev_pid[i] == child);
    printf("\n");
}

static pid_t spawn(int how)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, &wait_mask, NULL);
        if (how == 0)
            _exit(7);
        if (how == 1) {
            usleep(50 * 1000);
            _exit(0);
        }
        for (;;)
            pause();
    }
    return pid;
}

static void exited_and_killed(void)
{
    install(0);
    pid_t child = spawn(0);
    await_events(1);
    show("exit 7", child);
    waitpid(child, NULL, 0);

    install(0);
    child = spawn(2);
    kill(child, SIGTERM);
    await_events(1);
    show("SIGTERM", child);
    waitpid(child, NULL, 0);
}

static void stop_continue(int flags, const char *what)
{
    install(flags);
    pid_t child = spawn(2);
    int status;
    kill(child, SIGSTOP);
    waitpid(child, &status, WUNTRACED);
    if (!flags)
        await_events(1);
    kill(child, SIGCONT);
    waitpid(child, &status, WCONTINUED);
    if (!flags)
        await_events(2);
    kill(child, SIGKILL);
    await_events(flags ? 1 : 3);
    show(what, child);
    waitpid(child, NULL, 0);
}

static void autoreap(int ignore)
{
    int r;
    if (ignore)
        signal(SIGCHLD, SIG_IGN);
    else
        install(SA_NOCLDWAIT);
    pid_t child = spawn(0);
    if (!ignore)
        await_events(1);
    errno = 0;
    r = waitpid(child, NULL, 0);
    printf("%s: waitpid %d %s", ignore ? "SIG_IGN" : "SA_NOCLDWAIT", r, strerror(errno));
    if (!ignore)
        show(", handler", child);
    else
        printf("\n");
    child = spawn(1);
    errno = 0;
    r = wait(NULL);
    printf("%s, child still running: wait %d %s\n", ignore ? "SIG_IGN" : "SA_NOCLDWAIT", r, strerror(errno));
    signal(SIGCHLD, SIG_DFL);
}

static void blocked_default(void)
{
    sigset_t pend, chld;
    signal(SIGCHLD, SIG_DFL);
    pid_t child = spawn(0);
    waitid(P_PID, child, NULL, WEXITED | WNOWAIT);
    sigpending(&pend);
    printf("blocked SIG_DFL SIGCHLD pending: %d\n", sigismember(&pend, SIGCHLD));
    waitpid(child, NULL, 0);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_UNBLOCK, &chld, NULL);
    sigpending(&pend);
    printf("after unblocking: pending %d\n", sigismember(&pend, SIGCHLD));
    child = spawn(0);
    waitpid(child, NULL, 0);
    sigpending(&pend);
    printf("unblocked SIG_DFL SIGCHLD pending: %d\n", sigismember(&pend, SIGCHLD));
    sigprocmask(SIG_BLOCK, &chld, NULL);
}

int main(void)
{
    sigset_t chld;
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    setvbuf(stdout, NULL, _IONBF, 0);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &wait_mask);
    sigdelset(&wait_mask, SIGCHLD);
    exited_and_killed();
    stop_continue(0, "stop, continue, kill");
    stop_continue(SA_NOCLDSTOP, "with SA_NOCLDSTOP");
    autoreap(0);
    autoreap(1);
    blocked_default();
    return 0;
}
