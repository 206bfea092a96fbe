/* poll_signal.c - signals and waits: ppoll/pselect6/epoll_pwait with a temporary mask
 * that lets SIGUSR1 in (EINTR, the handler ran once, under the temporary mask, and the
 * old mask is back afterwards), a mask that keeps it out, poll/select/epoll_wait
 * interrupted even with SA_RESTART, and ppoll's timeout written back. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;
static volatile sig_atomic_t usr2_blocked_in_handler;

static const char *ename(int e)
{
    switch (e) {
    case EINTR: return "EINTR";
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    default: return "other";
    }
}

static void on_usr1(int sig)
{
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    usr2_blocked_in_handler = sigismember(&now, SIGUSR2);
    handled++;
}

static void report(const char *what, int ret)
{
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("%s: ret=%d errno=%s handled=%d usr2-blocked-in-handler=%d after: usr1=%d usr2=%d\n",
           what, ret, ret < 0 ? ename(errno) : "-", handled, usr2_blocked_in_handler,
           sigismember(&now, SIGUSR1), sigismember(&now, SIGUSR2));
    handled = 0;
    usr2_blocked_in_handler = -1;
}

/* The process blocks SIGUSR1 and SIGUSR2; the temporary mask blocks neither. */
static void block_both(sigset_t *tmp)
{
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    sigprocmask(SIG_SETMASK, &both, NULL);
    sigemptyset(tmp);
}

static void pending_before_the_wait(int p0, int epfd)
{
    sigset_t tmp;
    block_both(&tmp);
    struct pollfd fd = {p0, POLLIN, 0};
    struct timespec ts = {5, 0};

    raise(SIGUSR1);
    report("ppoll, SIGUSR1 already pending", ppoll(&fd, 1, &ts, &tmp));

    raise(SIGUSR1);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p0, &r);
    report("pselect, SIGUSR1 already pending", pselect(p0 + 1, &r, NULL, NULL, &ts, &tmp));

    raise(SIGUSR1);
    struct epoll_event ev;
    report("epoll_pwait, SIGUSR1 already pending", epoll_pwait(epfd, &ev, 1, 5000, &tmp));

    raise(SIGUSR1);
    ts = (struct timespec){0, 0};
    report("ppoll zero timeout, SIGUSR1 pending", ppoll(&fd, 1, &ts, &tmp));

    /* A temporary mask that still blocks SIGUSR1: the wait times out, nothing runs
     * until the process unblocks it. */
    raise(SIGUSR1);
    sigaddset(&tmp, SIGUSR1);
    ts = (struct timespec){0, 20000000};
    report("ppoll, SIGUSR1 kept blocked", ppoll(&fd, 1, &ts, &tmp));
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    report("then unblocked", 0);
}

/* The state letter of /proc/<pid>/stat (after the parenthesised name). */
static char proc_state(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] ? close_paren[2] : '?';
}

/* In a child: SIGUSR1 to the parent once it sleeps in its wait (a fixed delay could
 * end before the parent got there on a busy host: the handler would then run first,
 * and a wait with no timeout would never end). */
static void signal_parent_when_asleep(pid_t parent)
{
    while (proc_state(parent) != 'S')
        usleep(1000);
    kill(parent, SIGUSR1);
    _exit(0);
}

static void sent_during_the_wait(int p0, int epfd)
{
    sigset_t tmp;
    block_both(&tmp);
    struct pollfd fd = {p0, POLLIN, 0};
    pid_t parent = getpid();

    for (int which = 0; which < 3; which++) {
        pid_t pid = fork();
        if (pid == 0)
            signal_parent_when_asleep(parent);
        int ret;
        if (which == 0) {
            ret = ppoll(&fd, 1, NULL, &tmp);
            report("ppoll, no timeout, child sends SIGUSR1", ret);
        } else if (which == 1) {
            fd_set r;
            FD_ZERO(&r);
            FD_SET(p0, &r);
            ret = pselect(p0 + 1, &r, NULL, NULL, NULL, &tmp);
            report("pselect, no timeout, child sends SIGUSR1", ret);
        } else {
            struct epoll_event ev;
            ret = epoll_pwait(epfd, &ev, 1, -1, &tmp);
            report("epoll_pwait, no timeout, child sends SIGUSR1", ret);
        }
        waitpid(pid, NULL, 0);
    }
}

static void no_restart(int p0, int epfd)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    pid_t parent = getpid();
    for (int which = 0; which < 3; which++) {
        pid_t pid = fork();
        if (pid == 0)
            signal_parent_when_asleep(parent);
        struct pollfd fd = {p0, POLLIN, 0};
        fd_set r;
        FD_ZERO(&r);
        FD_SET(p0, &r);
        struct epoll_event ev;
        if (which == 0)
            report("poll with SA_RESTART", poll(&fd, 1, 5000));
        else if (which == 1)
            report("select with SA_RESTART", select(p0 + 1, &r, NULL, NULL, NULL));
        else
            report("epoll_wait with SA_RESTART", epoll_wait(epfd, &ev, 1, -1));
        waitpid(pid, NULL, 0);
    }
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
}

/* A child waits; the parent stops and continues it, then makes the pipe readable.
 * poll/ppoll/select restart by themselves (no handler ran); epoll_wait reports EINTR. */
static void stopped_and_continued(void)
{
    static const char *names[] = {"poll", "ppoll", "select", "epoll_wait"};
    for (int which = 0; which < 4; which++) {
        int p[2];
        pipe(p);
        int epfd = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLIN};
        epoll_ctl(epfd, EPOLL_CTL_ADD, p[0], &ev);
        pid_t pid = fork();
        if (pid == 0) {
            struct pollfd fd = {p[0], POLLIN, 0};
            fd_set r;
            FD_ZERO(&r);
            FD_SET(p[0], &r);
            int ret;
            if (which == 0)
                ret = poll(&fd, 1, -1);
            else if (which == 1)
                ret = ppoll(&fd, 1, NULL, NULL);
            else if (which == 2)
                ret = select(p[0] + 1, &r, NULL, NULL, NULL);
            else
                ret = epoll_wait(epfd, &ev, 1, -1);
            printf("%s after SIGSTOP/SIGCONT: ret=%d errno=%s\n", names[which], ret,
                   ret < 0 ? ename(errno) : "-");
            _exit(0);
        }
        while (proc_state(pid) != 'S')
            usleep(1000);
        kill(pid, SIGSTOP);
        int status;
        waitpid(pid, &status, WUNTRACED);
        kill(pid, SIGCONT);
        usleep(20000);
        write(p[1], "x", 1);
        waitpid(pid, &status, 0);
        close(p[0]);
        close(p[1]);
        close(epfd);
    }
}

static void raw_ppoll(int p0, int p1)
{
    struct pollfd fd = {p0, POLLIN, 0};
    write(p1, "x", 1);
    struct timespec ts = {5, 0};
    int ret = syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8);
    printf("raw ppoll ready at once: ret=%d ts 4.5s..5s: %s\n", ret,
           ts.tv_sec == 4 && ts.tv_nsec > 500000000 ? "yes" : "no");
    char c;
    read(p0, &c, 1);
    ts = (struct timespec){0, 20000000};
    ret = syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8);
    printf("raw ppoll timed out: ret=%d ts=%ld.%09ld\n", ret, (long)ts.tv_sec, ts.tv_nsec);
    sigset_t set;
    sigemptyset(&set);
    ret = syscall(SYS_ppoll, &fd, 1, &ts, &set, 4);
    printf("raw ppoll sigsetsize 4: ret=%d errno=%s\n", ret, ret < 0 ? ename(errno) : "-");
    ts = (struct timespec){-1, 0};
    ret = syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8);
    printf("raw ppoll tv_sec -1: ret=%d errno=%s\n", ret, ret < 0 ? ename(errno) : "-");
    ret = syscall(SYS_ppoll, &fd, 1, (void *)8, NULL, 8);
    printf("raw ppoll bad timespec: ret=%d errno=%s\n", ret, ret < 0 ? ename(errno) : "-");
    ts = (struct timespec){0, 0};
    ret = syscall(SYS_ppoll, &fd, 1, &ts, (void *)8, 8);
    printf("raw ppoll bad sigmask: ret=%d errno=%s\n", ret, ret < 0 ? ename(errno) : "-");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    usr2_blocked_in_handler = -1;
    int p[2];
    pipe(p);
    int epfd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
    epoll_ctl(epfd, EPOLL_CTL_ADD, p[0], &ev);

    pending_before_the_wait(p[0], epfd);
    sent_during_the_wait(p[0], epfd);
    no_restart(p[0], epfd);
    raw_ppoll(p[0], p[1]);
    stopped_and_continued();
    return 0;
}
