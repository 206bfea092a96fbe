/* The CPU clocks of a pid (clock_getcpuclockid, pthread_getcpuclockid, and the raw ids
 * they encode): one's own process and thread, a child process, and Linux's EINVAL for a
 * bad kind, a missing pid, and another process's thread. Values are printed as "> 0". */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAKE_CLOCK(pid, which, thread) ((~(clockid_t)(pid) << 3) | (which) | ((thread) ? 4 : 0))

/* (PROF and VIRT advance by ticks natively: their value is not compared) */
static void show(const char *what, clockid_t c)
{
    int tick_based = c < 0 && (c & 3) != 2;
    struct timespec ts = {0, 0}, res = {0, 0};
    long r = syscall(SYS_clock_gettime, c, &ts);
    int e = r < 0 ? errno : 0;
    long rr = syscall(SYS_clock_getres, c, &res);
    printf("%-28s gettime %ld errno %d positive %d getres %ld res %ld\n", what, r, e,
           tick_based || ts.tv_sec > 0 || ts.tv_nsec > 0, rr, res.tv_nsec);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    for (volatile long i = 0; i < 2000000; i++)
        ;
    clockid_t c;
    printf("clock_getcpuclockid(0) %d\n", clock_getcpuclockid(0, &c));
    show("own process (SCHED)", c);
    show("own process PROF", MAKE_CLOCK(getpid(), 0, 0));
    show("own process VIRT", MAKE_CLOCK(0, 1, 0));
    show("own thread by tid", MAKE_CLOCK(syscall(SYS_gettid), 2, 1));
    printf("pthread_getcpuclockid %d\n", pthread_getcpuclockid(pthread_self(), &c));
    show("pthread clock", c);
    show("bad kind 3", MAKE_CLOCK(0, 3, 0));
    show("no such pid", MAKE_CLOCK(999999, 2, 0));
    int fds[2];
    pipe(fds);
    pid_t pid = fork();
    if (pid == 0) {
        for (volatile long i = 0; i < 2000000; i++)
            ;
        close(fds[1]);
        pause();
        _exit(0);
    }
    close(fds[1]);
    char ch;
    read(fds[0], &ch, 1);                    /* the child has burnt some CPU */
    printf("clock_getcpuclockid(child) %d\n", clock_getcpuclockid(pid, &c));
    show("child process", c);
    show("child as a thread", MAKE_CLOCK(pid, 2, 1));
    /* a POSIX timer on the CPU clock of a pid (our own, through clock_getcpuclockid) */
    struct { union sigval v; int signo, notify, tid, pad[11]; } ev = {{0}, SIGUSR1, 0, 0, {0}};
    int id;
    clock_getcpuclockid(pid, &c);
    printf("timer_create(child's clock) %ld\n", syscall(SYS_timer_create, c, &ev, &id));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    clock_getcpuclockid(0, &c);
    long r = syscall(SYS_timer_create, c, &ev, &id);
    printf("timer_create(own clock) %ld\n", r);
    struct itimerspec its = {{0, 0}, {0, 20000000}};
    syscall(SYS_timer_settime, id, 0, &its, NULL);
    struct timespec zero = {0, 0};
    siginfo_t si;
    while (sigtimedwait(&usr1, &si, &zero) < 0)
        ;                                    /* burn CPU until the timer fires */
    printf("cpu timer fired: code %d timerid matches %d\n", si.si_code, si.si_timerid == id);
    return 0;
}
