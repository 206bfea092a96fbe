/* sig_rt.c - real-time signals queue (each with its own siginfo and sigqueue value, in
 * order) while standard signals coalesce; sigtimedwait returns a pending blocked
 * signal, a signal arriving during the wait, EAGAIN on timeout and EINTR when a handled
 * signal outside the set interrupts it; rt_sigqueueinfo's EPERM rule for si_code >= 0
 * (and SI_TKILL) sent to another process; RLIMIT_SIGPENDING (EAGAIN for sigqueue, lost
 * siginfo for kill); handlers for queued signals unblocked together. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int rtmin;
static const struct timespec zero = {0, 0};

static const char *name(int sig)
{
    static char buf[16];
    if (sig == SIGUSR1)
        return "USR1";
    if (sig == SIGUSR2)
        return "USR2";
    snprintf(buf, sizeof buf, "RTMIN+%d", sig - rtmin);
    return buf;
}

static void drain(const char *what, sigset_t *set)
{
    siginfo_t si;
    int sig;
    printf("%s:", what);
    while ((sig = sigtimedwait(set, &si, &zero)) > 0)
        printf(" %s(code %d value %d)", name(sig), si.si_code,
               si.si_code == SI_QUEUE ? si.si_value.sival_int : -1);
    printf(" then %s\n", strerror(errno));
}

static void queueing(void)
{
    sigset_t set;
    union sigval v;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, rtmin);
    sigaddset(&set, rtmin + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    v.sival_int = 100;
    sigqueue(getpid(), rtmin + 1, v);
    for (int i = 1; i <= 3; i++) {
        v.sival_int = i;
        sigqueue(getpid(), rtmin, v);
    }
    kill(getpid(), rtmin);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    v.sival_int = 7;
    sigqueue(getpid(), SIGUSR1, v);
    drain("queued", &set);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static char order[256];

static void record(int sig, siginfo_t *si, void *uc)
{
    char item[32];
    (void)uc;
    snprintf(item, sizeof item, " %s/%d", name(sig), si->si_code == SI_QUEUE ? si->si_value.sival_int : -1);
    strcat(order, item);
}

static void handlers(void)
{
    struct sigaction sa;
    sigset_t set;
    union sigval v;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = record;
    sa.sa_flags = SA_SIGINFO;
    sigaction(rtmin, &sa, NULL);
    sigaction(rtmin + 1, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, rtmin);
    sigaddset(&set, rtmin + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (int i = 1; i <= 3; i++) {
        v.sival_int = i;
        sigqueue(getpid(), rtmin, v);
        v.sival_int = 10 + i;
        sigqueue(getpid(), rtmin + 1, v);
    }
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("handlers ran:%s\n", order);
    signal(rtmin, SIG_DFL);
    signal(rtmin + 1, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
}

static volatile int usr2_handled;

static void on_usr2(int sig)
{
    (void)sig;
    usr2_handled++;
}

/* The state letter of /proc/<pid>/stat ('S' asleep, 'R' running...). */
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

/* A child that queues sig to us once we sleep in the wait that follows (after a fixed
 * delay, a busy host could run the handler before the wait began, which then timed out). */
static pid_t later(int sig, int value)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        union sigval v = {.sival_int = value};
        while (proc_state(parent) != 'S')
            usleep(1000);
        sigqueue(parent, sig, v);
        _exit(0);
    }
    return pid;
}

static void timedwait(void)
{
    sigset_t set;
    siginfo_t si;
    struct timespec ts = {0, 50 * 1000 * 1000}, longer = {5, 0};
    sigemptyset(&set);
    sigaddset(&set, rtmin);
    sigprocmask(SIG_BLOCK, &set, NULL);

    errno = 0;
    printf("nothing pending, zero timeout: %d %s\n", sigtimedwait(&set, &si, &zero), strerror(errno));
    errno = 0;
    printf("nothing pending, 50 ms: %d %s\n", sigtimedwait(&set, &si, &ts), strerror(errno));

    raise(rtmin);
    int sig = sigtimedwait(&set, &si, &longer);
    printf("pending blocked signal: %s code %d\n", name(sig), si.si_code);

    pid_t child = later(rtmin, 42);
    sig = sigtimedwait(&set, &si, &longer);
    printf("arrived while waiting: %s code %d value %d from child %d\n", name(sig), si.si_code,
           si.si_value.sival_int, si.si_pid == child);
    waitpid(child, NULL, 0);

    signal(SIGUSR2, on_usr2);
    child = later(SIGUSR2, 0);
    errno = 0;
    sig = sigtimedwait(&set, &si, &longer);
    printf("handled signal outside the set: %d %s, handler ran %d\n", sig, strerror(errno), usr2_handled);
    waitpid(child, NULL, 0);

    child = later(rtmin, 43);
    sig = sigwaitinfo(&set, &si);
    printf("sigwaitinfo: %s value %d\n", name(sig), si.si_value.sival_int);
    waitpid(child, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static int queueinfo(pid_t pid, int code)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = rtmin;
    si.si_code = code;
    si.si_pid = getpid();
    si.si_uid = getuid();
    errno = 0;
    return syscall(SYS_rt_sigqueueinfo, pid, rtmin, &si) == 0 ? 0 : errno;
}

static int tgqueueinfo(pid_t tgid, pid_t tid, int code)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_code = code;
    errno = 0;
    return syscall(SYS_rt_tgsigqueueinfo, tgid, tid, rtmin, &si) == 0 ? 0 : errno;
}

static void impersonation(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, rtmin);
    sigprocmask(SIG_BLOCK, &set, NULL);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    int self_user = queueinfo(getpid(), SI_USER), self_kernel = queueinfo(getpid(), SI_KERNEL);
    int self_queue = queueinfo(getpid(), SI_QUEUE);
    printf("rt_sigqueueinfo to self: SI_USER %s, SI_KERNEL %s, SI_QUEUE %s\n", strerror(self_user),
           strerror(self_kernel), strerror(self_queue));
    int child_user = queueinfo(child, SI_USER), child_tkill = queueinfo(child, SI_TKILL);
    int child_kernel = queueinfo(child, SI_KERNEL), child_queue = queueinfo(child, SI_QUEUE);
    printf("rt_sigqueueinfo to child: SI_USER %s, SI_TKILL %s, SI_KERNEL %s, SI_QUEUE %s\n",
           strerror(child_user), strerror(child_tkill), strerror(child_kernel), strerror(child_queue));
    int pid0 = queueinfo(0, SI_QUEUE), pid_minus1 = queueinfo(-1, SI_QUEUE);
    printf("rt_sigqueueinfo to pid 0: %s; to -1: %s\n", strerror(pid0), strerror(pid_minus1));
    int tg_self = tgqueueinfo(getpid(), getpid(), SI_QUEUE), tg_user = tgqueueinfo(child, child, SI_USER);
    int tg_child = tgqueueinfo(child, child, SI_QUEUE), tg_zero = tgqueueinfo(getpid(), 0, SI_QUEUE);
    printf("rt_tgsigqueueinfo: self SI_QUEUE %s, child SI_USER %s, child SI_QUEUE %s, tid 0 %s\n",
           strerror(tg_self), strerror(tg_user), strerror(tg_child), strerror(tg_zero));
    /* the thread-directed one (rt_tgsigqueueinfo) is taken before the process-directed ones */
    drain("queued to self", &set);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* The queued-signal count is per user and system-wide: run as a user of our own. */
static void limit(void)
{
    struct rlimit small = {3, 3};
    sigset_t set;
    union sigval v;
    fflush(stdout);
    pid_t pid = fork();
    if (pid != 0) {
        waitpid(pid, NULL, 0);
        return;
    }
    if (setresuid(54321, 54321, 54321) != 0)
        printf("setresuid: %m\n");
    setrlimit(RLIMIT_SIGPENDING, &small);
    sigemptyset(&set);
    sigaddset(&set, rtmin);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    printf("RLIMIT_SIGPENDING 3: sigqueue");
    for (int i = 0; i < 5; i++) {
        v.sival_int = i;
        printf(" %s", sigqueue(getpid(), rtmin, v) == 0 ? "ok" : strerror(errno));
    }
    printf("; kill %d; sigqueue(SIGUSR1) %d\n", kill(getpid(), rtmin), sigqueue(getpid(), SIGUSR1, v));
    drain("after the limit", &set);
    _exit(0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    rtmin = SIGRTMIN;
    queueing();
    handlers();
    timedwait();
    impersonation();
    limit();
    return 0;
}
