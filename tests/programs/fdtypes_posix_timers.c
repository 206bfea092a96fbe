/* POSIX timers through the raw syscalls: argument checks (clocks, sigevents, ids,
 * ranges), ids from 0, SIGEV_SIGNAL with its siginfo (SI_TIMER, si_timerid, si_value),
 * the SIGALRM default, SIGEV_NONE, SIGEV_THREAD_ID, overruns counted while the signal
 * is blocked, a periodic timer whose ignored signal keeps it ticking, CPU-time clocks,
 * timer_delete, no timers in a forked child nor after exec. Speed-dependent counts are
 * printed as ">= 1". */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct ksigevent {
    union sigval value;
    int signo;
    int notify;
    int tid;
    int pad[11];
};

static volatile sig_atomic_t got, got_code, got_tid, got_int, got_overrun;

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got = sig;
    got_code = si->si_code;
    got_tid = si->si_timerid;
    got_int = si->si_value.sival_int;
    got_overrun = si->si_overrun;
}

static void check(const char *what, long ret)
{
    printf("%-36s %ld errno %d\n", what, ret, ret < 0 ? errno : 0);
    errno = 0;
}

static long tcreate(int clock, struct ksigevent *ev, int *id)
{
    return syscall(SYS_timer_create, clock, ev, id);
}

static long tset(int id, int flags, long vs, long vns, long is, long ins, struct itimerspec *old)
{
    struct itimerspec its = {{is, ins}, {vs, vns}};
    return syscall(SYS_timer_settime, id, flags, &its, old);
}

static long tget(int id, struct itimerspec *cur)
{
    return syscall(SYS_timer_gettime, id, cur);
}

static void wait_for(int sig)
{
    sigset_t none;
    sigemptyset(&none);
    while (got != sig)
        sigsuspend(&none);
}

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct itimerspec cur;
    int id = -1;
    if (argc > 1) {                      /* after exec: the timers are gone */
        check("after exec gettime 0", tget(0, &cur));
        int nid;
        tcreate(CLOCK_MONOTONIC, NULL, &nid);
        printf("after exec first id %d\n", nid);
        return 0;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);

    struct ksigevent ev;
    memset(&ev, 0, sizeof ev);
    check("create clock 99", tcreate(99, NULL, &id));
    check("create CLOCK_MONOTONIC_RAW", tcreate(CLOCK_MONOTONIC_RAW, NULL, &id));
    check("create CLOCK_MONOTONIC_COARSE", tcreate(CLOCK_MONOTONIC_COARSE, NULL, &id));
    ev.notify = 99; ev.signo = SIGUSR1;
    check("create notify 99", tcreate(CLOCK_MONOTONIC, &ev, &id));
    ev.notify = SIGEV_SIGNAL; ev.signo = 0;
    check("create signo 0", tcreate(CLOCK_MONOTONIC, &ev, &id));
    ev.signo = 65;
    check("create signo 65", tcreate(CLOCK_MONOTONIC, &ev, &id));
    ev.notify = SIGEV_SIGNAL | 4; ev.signo = SIGUSR1; ev.tid = 999999;
    check("create bad thread id", tcreate(CLOCK_MONOTONIC, &ev, &id));
    check("create bad sigevent ptr", tcreate(CLOCK_MONOTONIC, (void *)8, &id));
    struct timespec tiny = {0, 1000};
    check("clock_nanosleep THREAD_CPUTIME", syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &tiny, NULL));
    check("clock_nanosleep MONOTONIC_RAW", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC_RAW, 0, &tiny, NULL));
    check("clock_nanosleep clock 99", syscall(SYS_clock_nanosleep, 99, 0, &tiny, NULL));

    /* SIGALRM by default, with the id as the value */
    int t0 = -1;
    check("create default", tcreate(CLOCK_REALTIME, NULL, &t0));
    printf("first id %d\n", t0);
    check("settime NULL", syscall(SYS_timer_settime, t0, 0, NULL, NULL));
    check("settime nsec 1e9", tset(t0, 0, 0, 1000000000, 0, 0, NULL));
    check("settime bad interval", tset(t0, 0, 1, 0, -1, 0, NULL));
    check("settime bad id", tset(12345, 0, 1, 0, 0, 0, NULL));
    check("settime id -1", tset(-1, 0, 1, 0, 0, 0, NULL));
    check("gettime bad id", tget(12345, &cur));
    check("getoverrun bad id", syscall(SYS_timer_getoverrun, 12345));
    check("gettime bad pointer", syscall(SYS_timer_gettime, t0, (void *)8));
    check("gettime unarmed", tget(t0, &cur));
    printf("unarmed %ld %ld %ld %ld\n", cur.it_value.tv_sec, cur.it_value.tv_nsec,
           cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
    check("settime 10ms", tset(t0, 0, 0, 10000000, 0, 0, NULL));
    wait_for(SIGALRM);
    printf("SIGALRM code %d timerid %d value %d overrun %d\n", got_code, got_tid, got_int, got_overrun);
    check("gettime expired", tget(t0, &cur));
    printf("expired %ld %ld\n", cur.it_value.tv_sec, cur.it_value.tv_nsec);

    /* SIGEV_SIGNAL with a value; settime returns the old setting */
    ev.notify = SIGEV_SIGNAL; ev.signo = SIGUSR1; ev.value.sival_int = 1234;
    int t1 = -1;
    check("create SIGUSR1", tcreate(CLOCK_MONOTONIC, &ev, &t1));
    printf("second id %d\n", t1);
    tset(t1, 0, 100, 0, 7, 5, NULL);
    struct itimerspec old;
    check("settime again", tset(t1, 0, 0, 0, 0, 0, &old));
    printf("old value in (99,100] %d interval %ld.%09ld\n",
           old.it_value.tv_sec == 99 || (old.it_value.tv_sec == 100 && !old.it_value.tv_nsec),
           old.it_interval.tv_sec, old.it_interval.tv_nsec);
    tget(t1, &cur);
    printf("disarmed %ld %ld %ld\n", cur.it_value.tv_sec, cur.it_value.tv_nsec, cur.it_interval.tv_nsec);

    /* absolute time on CLOCK_MONOTONIC */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    got = 0;
    check("settime abs", tset(t1, TIMER_ABSTIME, now.tv_sec, now.tv_nsec + 5000 > 999999999 ? 999999999 : now.tv_nsec + 5000, 0, 0, NULL));
    wait_for(SIGUSR1);
    printf("SIGUSR1 code %d timerid %d value %d\n", got_code, got_tid, got_int);

    /* periodic with the signal blocked: overruns pile up, one signal is queued */
    sigset_t usr1, none;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    check("settime periodic 1ms", tset(t1, 0, 0, 1000000, 0, 1000000, NULL));
    struct timespec nap = {0, 30000000};
    nanosleep(&nap, NULL);
    siginfo_t si;
    int sig = sigwaitinfo(&usr1, &si);
    printf("sigwaitinfo %d code %d timerid %d overrun>=1 %d\n", sig, si.si_code, si.si_timerid,
           si.si_overrun >= 1);
    long ov = syscall(SYS_timer_getoverrun, t1);
    printf("getoverrun matches %d\n", ov == si.si_overrun);
    tget(t1, &cur);
    printf("periodic interval %ld value<=1ms %d\n", cur.it_interval.tv_nsec,
           cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 1000000);
    sig = sigwaitinfo(&usr1, &si);                   /* re-armed: it comes again */
    printf("again %d code %d\n", sig, si.si_code);
    /* delete while a signal of it is queued: the signal stays */
    nanosleep(&nap, NULL);
    check("delete", syscall(SYS_timer_delete, t1));
    check("delete again", syscall(SYS_timer_delete, t1));
    check("gettime deleted", tget(t1, &cur));
    sigset_t pend;
    sigpending(&pend);
    printf("still pending %d\n", sigismember(&pend, SIGUSR1));
    /* (Linux 6.1 would still deliver it, later kernels drop it: discard it either way) */
    signal(SIGUSR1, SIG_IGN);
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
    sigaction(SIGUSR1, &sa, NULL);

    /* SIGEV_NONE: nothing is sent, gettime counts down */
    ev.notify = SIGEV_NONE;
    int tn;
    check("create SIGEV_NONE", tcreate(CLOCK_MONOTONIC, &ev, &tn));
    printf("third id %d\n", tn);
    tset(tn, 0, 0, 10000000, 0, 0, NULL);
    tget(tn, &cur);
    printf("none running %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0);
    nanosleep(&nap, NULL);
    tget(tn, &cur);
    printf("none expired %ld %ld\n", cur.it_value.tv_sec, cur.it_value.tv_nsec);

    /* an ignored signal keeps a periodic timer ticking; a later handler gets it */
    signal(SIGUSR2, SIG_IGN);
    ev.notify = SIGEV_SIGNAL | 4; ev.signo = SIGUSR2; ev.tid = syscall(SYS_gettid);
    ev.value.sival_int = 77;
    int tt;
    check("create SIGEV_THREAD_ID", tcreate(CLOCK_BOOTTIME, &ev, &tt));
    tset(tt, 0, 0, 1000000, 0, 1000000, NULL);
    nanosleep(&nap, NULL);
    got = 0;
    sigaction(SIGUSR2, &sa, NULL);
    wait_for(SIGUSR2);
    printf("ignored then caught code %d value %d\n", got_code, got_int);
    syscall(SYS_timer_delete, tt);

    /* CPU-time clocks fire after CPU time is used */
    int tc;
    ev.notify = SIGEV_SIGNAL; ev.signo = SIGUSR1; ev.value.sival_int = 5;
    check("create PROCESS_CPUTIME", tcreate(CLOCK_PROCESS_CPUTIME_ID, &ev, &tc));
    got = 0;
    tset(tc, 0, 0, 20000000, 0, 0, NULL);
    double start = mono();
    while (!got && mono() - start < 60)
        ;
    printf("process cpu timer fired %d code %d value %d\n", got == SIGUSR1, got_code, got_int);
    check("create THREAD_CPUTIME", tcreate(CLOCK_THREAD_CPUTIME_ID, &ev, &tc));
    got = 0;
    tset(tc, 0, 0, 20000000, 0, 0, NULL);
    start = mono();
    while (!got && mono() - start < 60)
        ;
    printf("thread cpu timer fired %d\n", got == SIGUSR1);

    /* a busy loop meets a wall-clock timer too */
    got = 0;
    tset(t0, 0, 0, 20000000, 0, 0, NULL);
    start = mono();
    while (!got && mono() - start < 60)
        ;
    printf("busy loop SIGALRM %d\n", got == SIGALRM);

    /* fork: the child has no timers; exec: they are gone */
    pid_t pid = fork();
    if (pid == 0) {
        check("child gettime parent's", tget(t0, &cur));
        int cid;
        tcreate(CLOCK_MONOTONIC, NULL, &cid);
        printf("child first id %d\n", cid);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    tset(t0, 0, 100, 0, 0, 0, NULL);
    execl("/proc/self/exe", argv[0], "after-exec", (char *)NULL);
    printf("exec failed %d\n", errno);
    return 1;
}
