/* signalfd: argument checks, records for kill, sigqueue and SIGCHLD, several records in
 * one read, the thread's own signals before the process's, a new mask through the same
 * descriptor, readiness through poll and epoll, a blocking read woken by another
 * process, and a signalfd inherited across fork reading the child's own signals. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char *what, long ret)
{
    printf("%-34s %ld errno %d\n", what, ret, ret < 0 ? errno : 0);
    errno = 0;
}

static void show(const char *what, struct signalfd_siginfo *si, pid_t expect_pid)
{
    printf("%-18s signo %u code %d pid_ok %d uid %u int %d status %d\n", what, si->ssi_signo,
           si->ssi_code, si->ssi_pid == (unsigned)expect_pid, si->ssi_uid, si->ssi_int, si->ssi_status);
}

static int readable(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    poll(&p, 1, 0);
    return p.revents;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    sigset_t mask, none;
    sigemptyset(&none);
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    sigaddset(&mask, SIGRTMIN);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    pid_t me = getpid();

    check("signalfd4 bad flags", syscall(SYS_signalfd4, -1, &mask, 8, 1));
    check("signalfd4 bad size", syscall(SYS_signalfd4, -1, &mask, 4, 0));
    check("signalfd4 bad mask ptr", syscall(SYS_signalfd4, -1, (void *)8, 8, 0));
    check("signalfd4 bad fd", syscall(SYS_signalfd4, 77, &mask, 8, 0));
    check("signalfd4 on stdout", syscall(SYS_signalfd4, 1, &mask, 8, 0));
    check("signalfd3 bad size", syscall(SYS_signalfd, -1, &mask, 16));

    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("F_GETFL %#o F_GETFD %d\n", fcntl(sfd, F_GETFL), fcntl(sfd, F_GETFD));
    struct signalfd_siginfo si[4];
    check("read empty", read(sfd, si, sizeof si));
    check("read short", read(sfd, si, 100));
    printf("poll empty %#x\n", readable(sfd));

    kill(me, SIGUSR2);
    union sigval val = {.sival_int = 42};
    sigqueue(me, SIGRTMIN, val);
    syscall(SYS_tgkill, me, me, SIGUSR1);           /* a thread-directed one */
    printf("poll pending %#x\n", readable(sfd));
    long n = read(sfd, si, sizeof si);
    printf("read all %ld records %ld\n", n, n / (long)sizeof si[0]);
    for (int i = 0; i < n / (long)sizeof si[0]; i++)
        show("record", &si[i], me);
    printf("poll drained %#x\n", readable(sfd));

    /* one record per read when the buffer holds one */
    kill(me, SIGUSR1);
    kill(me, SIGUSR2);
    n = read(sfd, si, sizeof si[0] + 10);
    printf("read one %ld signo %u\n", n, si[0].ssi_signo);
    n = read(sfd, si, sizeof si[0]);
    printf("read next %ld signo %u\n", n, si[0].ssi_signo);

    /* a new mask through the same descriptor */
    sigset_t only2;
    sigemptyset(&only2);
    sigaddset(&only2, SIGUSR2);
    sigaddset(&only2, SIGKILL);
    check("signalfd update", signalfd(sfd, &only2, 0) == sfd);
    kill(me, SIGUSR1);
    printf("poll usr1 only %#x\n", readable(sfd));
    kill(me, SIGUSR2);
    printf("poll usr2 too %#x\n", readable(sfd));
    n = read(sfd, si, sizeof si);
    printf("read %ld signo %u\n", n, si[0].ssi_signo);
    sigset_t pend;
    sigpending(&pend);
    printf("usr1 still pending %d\n", sigismember(&pend, SIGUSR1));
    signalfd(sfd, &mask, 0);
    n = read(sfd, si, sizeof si);
    printf("read %ld signo %u\n", n, si[0].ssi_signo);

    /* SIGCHLD as a record */
    pid_t pid = fork();
    if (pid == 0)
        _exit(3);
    int bfd = signalfd(-1, &mask, 0);                 /* blocking */
    n = read(bfd, si, sizeof si[0]);
    show("sigchld", &si[0], pid);
    waitpid(pid, NULL, 0);

    /* epoll, and a blocking read woken by another process */
    int ep = epoll_create1(0);
    struct epoll_event ev = {EPOLLIN, {.u64 = 9}}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    printf("epoll empty %d\n", epoll_wait(ep, &out, 1, 0));
    pid = fork();
    if (pid == 0) {
        kill(getppid(), SIGUSR2);
        _exit(0);
    }
    int en = epoll_wait(ep, &out, 1, -1);
    printf("epoll wait %d events %#x\n", en, out.events);
    sigset_t usr;                                     /* SIGCHLD stays out of these reads */
    sigemptyset(&usr);
    sigaddset(&usr, SIGUSR1);
    sigaddset(&usr, SIGUSR2);
    signalfd(bfd, &usr, 0);
    n = read(bfd, si, sizeof si[0]);
    show("from child", &si[0], pid);
    pid = fork();
    if (pid == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    n = read(bfd, si, sizeof si[0]);
    show("blocking", &si[0], pid);
    waitpid(pid, NULL, 0);
    signalfd(bfd, &mask, 0);
    n = read(bfd, si, sizeof si[0]);                  /* the two SIGCHLDs: one record */
    printf("sigchld after %ld signo %u\n", n, si[0].ssi_signo);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;

    /* across fork: the child's read takes the child's signals */
    int pipefd[2];
    pipe(pipefd);
    pid = fork();
    if (pid == 0) {
        char c;
        read(pipefd[0], &c, 1);                       /* the parent signalled us */
        struct signalfd_siginfo c_si;
        long cn = read(bfd, &c_si, sizeof c_si);
        printf("child read %ld signo %u from parent %d\n", cn, c_si.ssi_signo,
               c_si.ssi_pid == (unsigned)getppid());
        cn = read(sfd, &c_si, sizeof c_si);
        printf("child read again %ld errno %d\n", cn, cn < 0 ? errno : 0);
        _exit(0);
    }
    kill(pid, SIGUSR1);
    write(pipefd[1], "x", 1);
    waitpid(pid, NULL, 0);
    n = read(sfd, si, sizeof si);
    printf("parent read %ld signo %u\n", n, n > 0 ? si[0].ssi_signo : 0);
    sigprocmask(SIG_SETMASK, &none, NULL);
    return 0;
}
