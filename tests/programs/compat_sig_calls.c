/* compat_sig_calls.c - the i386 signal syscalls with their 32-bit structures (build with
 * gcc -m32 -static): the old one-word-mask calls (sigprocmask 126, sigpending 73,
 * sigsuspend 72, sgetmask/ssetmask), the compat siginfo of sigqueue, rt_tgsigqueueinfo,
 * sigtimedwait (both timespec forms), SIGCHLD and a SIGSEGV from a bad pointer,
 * sigaltstack's compat stack_t, nested handlers, signalfd, and SA_RESTART against EINTR.
 * Only values that are the same on every run are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef __i386__
#error "an i386 program: build with -m32"
#endif

static long sys(long nr, long a, long b, long c, long d)
{
    long r = syscall(nr, a, b, c, d);
    return r < 0 ? -errno : r;
}

static uint64_t rt_mask(void)
{
    uint64_t m = 0;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8);
    return m;
}

static volatile int hits, last_sig, handler_fd = -1;

static void count(int sig)
{
    hits++;
    last_sig = sig;
    if (handler_fd >= 0)
        write(handler_fd, "h", 1);
}

static void old_mask_calls(void)
{
    uint32_t set = 1u << (SIGUSR1 - 1), old = 0;
    uint64_t full = 1ull << (SIGRTMIN + 3 - 1);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &full, NULL, 8);
    long r = sys(SYS_sigprocmask, SIG_BLOCK, (long)&set, (long)&old, 0);
    printf("sigprocmask(126) block USR1: %ld old %#x mask now %#llx\n", r, old,
           (unsigned long long)rt_mask());
    set = 1u << (SIGUSR2 - 1);
    sys(SYS_sigprocmask, SIG_SETMASK, (long)&set, (long)&old, 0);
    printf("  SIG_SETMASK USR2 keeps the high word: old %#x mask %#llx\n", old,
           (unsigned long long)rt_mask());
    set = ~0u;
    sys(SYS_sigprocmask, SIG_SETMASK, (long)&set, 0, 0);
    printf("  all ones: mask %#llx (KILL and STOP stay unblocked)\n", (unsigned long long)rt_mask());
    printf("  bad how: %ld\n", sys(SYS_sigprocmask, 7, (long)&set, 0, 0));
    printf("  bad pointer: %ld\n", sys(SYS_sigprocmask, SIG_BLOCK, 16, 0, 0));
    signal(SIGUSR1, count);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGRTMIN + 3);
    old = 0;
    r = sys(SYS_sigpending, (long)&old, 0, 0, 0);
    printf("sigpending(73): %ld set %#x\n", r, old);
    signal(SIGRTMIN + 3, SIG_IGN);     /* gone: sigsuspend's one-word mask unblocks it */
    printf("sgetmask: %#lx\n", (unsigned long)syscall(SYS_sgetmask));
    r = syscall(SYS_ssetmask, 0x200);
    printf("ssetmask(USR1): old %#lx mask %#llx\n", (unsigned long)r, (unsigned long long)rt_mask());
    r = syscall(SYS_ssetmask, -1);
    printf("ssetmask(-1): old %#lx mask %#llx\n", (unsigned long)r, (unsigned long long)rt_mask());
    r = syscall(SYS_ssetmask, 0x200);
    /* sigsuspend(72): the mask is the third argument, by value. */
    hits = 0;
    r = sys(SYS_sigsuspend, 0, 0, ~(1u << (SIGUSR1 - 1)), 0);
    printf("sigsuspend(72): %ld hits %d sig %d mask after %#llx\n", r, hits, last_sig,
           (unsigned long long)rt_mask());
    uint64_t none = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
    signal(SIGRTMIN + 3, SIG_DFL);
}

static volatile int rt_info_ok;
static siginfo_t got;

static void info_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    got = *si;
    rt_info_ok++;
}

static void print_info(const char *what, const siginfo_t *si)
{
    printf("%s: signo %d errno %d code %d pid ok %d uid %d value %d\n", what, si->si_signo,
           si->si_errno, si->si_code, si->si_pid == getpid(), (int)si->si_uid,
           si->si_value.sival_int);
}

static void queued_siginfo(void)
{
    struct sigaction sa;
    union sigval v = {.sival_int = 4242};
    siginfo_t si;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN + 1, &sa, NULL);
    sigqueue(getpid(), SIGRTMIN + 1, v);
    print_info("sigqueue", &got);
    memset(&si, 0, sizeof si);
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = 777;
    si.si_errno = 5;
    printf("rt_tgsigqueueinfo: %ld\n", sys(SYS_rt_tgsigqueueinfo, getpid(), getpid(),
                                              SIGRTMIN + 1, (long)&si));
    print_info("  delivered", &got);
    /* A caller may not claim to be the kernel or kill() towards someone else. */
    si.si_code = SI_USER;
    printf("  si_code SI_USER to self: %ld\n", sys(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN + 1,
                                                    (long)&si, 0));
    printf("  to init: %ld\n", sys(SYS_rt_sigqueueinfo, 1, SIGRTMIN + 1, (long)&si, 0));
}

static void timed_waits(void)
{
    sigset_t set;
    siginfo_t si;
    int32_t ts32[2] = {0, 1000};
    int64_t ts64[2] = {0, 1000};
    union sigval v = {.sival_int = 99};
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    printf("rt_sigtimedwait(177) nothing pending: %ld\n",
           sys(SYS_rt_sigtimedwait, (long)&set, (long)&si, (long)ts32, 8));
    ts32[1] = 1000000000;
    printf("  bad tv_nsec: %ld\n", sys(SYS_rt_sigtimedwait, (long)&set, (long)&si, (long)ts32, 8));
    printf("  bad sigsetsize: %ld\n", sys(SYS_rt_sigtimedwait, (long)&set, (long)&si, 0, 4));
    sigqueue(getpid(), SIGRTMIN + 2, v);
    memset(&si, 0xee, sizeof si);
    printf("  pending: %ld\n", sys(SYS_rt_sigtimedwait, (long)&set, (long)&si, 0, 8) - SIGRTMIN);
    print_info("  info", &si);
    printf("  the rest of the 128 bytes is zero: %d\n",
           si._sifields._pad[3] == 0 && si._sifields._pad[28] == 0);
    printf("rt_sigtimedwait_time64(421) nothing pending: %ld\n",
           sys(421, (long)&set, (long)&si, (long)ts64, 8));
    ts64[1] = 0x100000000ll | 5;             /* the tv_nsec padding a compat caller leaves */
    printf("  tv_nsec with its padding set: %ld\n", sys(421, (long)&set, (long)&si, (long)ts64, 8));
    v.sival_int = 100;
    sigqueue(getpid(), SIGRTMIN + 2, v);
    printf("  pending: %ld\n", sys(421, (long)&set, (long)&si, 0, 8) - SIGRTMIN);
    print_info("  info", &si);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void child_status(void)
{
    sigset_t set;
    siginfo_t si;
    pid_t pid;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    pid = fork();
    if (pid == 0)
        _exit(7);
    printf("SIGCHLD by sigwaitinfo: %d", sigwaitinfo(&set, &si));
    printf(" code %d pid ok %d status %d utime>=0 %d\n", si.si_code, si.si_pid == pid,
           si.si_status, si.si_utime >= 0);
    waitpid(pid, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* waitid fills six fields of the compat siginfo, and only those. */
static void wait_id(void)
{
    siginfo_t si;
    pid_t pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    memset(&si, 0xee, sizeof si);
    printf("waitid WNOHANG, none ready: %d", waitid(P_PID, pid, &si, WEXITED | WNOHANG));
    printf(" signo %d code %d pid %d status %d, past them %#x\n", si.si_signo, si.si_code,
           si.si_pid, si.si_status, (unsigned)si._sifields._pad[4]);
    kill(pid, SIGTERM);
    memset(&si, 0xee, sizeof si);
    printf("waitid: %d", waitid(P_PID, pid, &si, WEXITED));
    printf(" signo %d errno %d code %d pid ok %d uid %d status %d, past them %#x\n", si.si_signo,
           si.si_errno, si.si_code, si.si_pid == pid, (int)si.si_uid, si.si_status,
           (unsigned)si._sifields._pad[4]);
}

static void pidfd_signal(void)
{
    siginfo_t si;
    int fd = syscall(SYS_pidfd_open, getpid(), 0);
    memset(&si, 0, sizeof si);
    si.si_signo = SIGRTMIN + 1;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_value.sival_int = 555;
    rt_info_ok = 0;
    long r = sys(SYS_pidfd_send_signal, fd, SIGRTMIN + 1, (long)&si, 0);
    printf("pidfd_send_signal with a compat siginfo: %ld, handler ran %d\n", r, rt_info_ok);
    print_info("  delivered", &got);
    close(fd);
}

static sigjmp_buf jb;
static volatile uintptr_t fault_addr, fault_cr2, fault_err, fault_trapno;

static void segv_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)sig;
    got = *si;
    fault_addr = (uintptr_t)si->si_addr;
    fault_cr2 = uc->uc_mcontext.cr2;
    fault_err = uc->uc_mcontext.gregs[REG_ERR];
    fault_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
    siglongjmp(jb, 1);
}

static void bad_pointer(void)
{
    struct sigaction sa;
    volatile int *p = (volatile int *)0x1234;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = segv_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    if (!sigsetjmp(jb, 1))
        *p = 1;
    /* (err's write bit is left out: glasskernel's #PF does not know it) */
    printf("SIGSEGV: signo %d code %d addr %#lx cr2 %#lx err&5 %#lx trapno %lu\n", got.si_signo,
           got.si_code, (unsigned long)fault_addr, (unsigned long)fault_cr2,
           (unsigned long)fault_err & 5, (unsigned long)fault_trapno);
    if (!sigsetjmp(jb, 1))
        (void)*(volatile int *)0xc0ffee00;
    printf("  read: addr %#lx err %#lx\n", (unsigned long)fault_addr, (unsigned long)fault_err);
    signal(SIGSEGV, SIG_DFL);
}

static char altstack[65536];
static volatile int on_alt, alt_flags;

static void alt_handler(int sig)
{
    stack_t cur;
    char here;
    (void)sig;
    on_alt = &here >= altstack && &here < altstack + sizeof altstack;
    sigaltstack(NULL, &cur);
    alt_flags = cur.ss_flags;
}

struct compat_stack { uint32_t sp; int32_t flags; uint32_t size; };

static void alternate_stack(void)
{
    struct compat_stack ss = {(uintptr_t)altstack, 0, sizeof altstack}, old;
    struct sigaction sa;
    memset(&old, 0xee, sizeof old);
    printf("sigaltstack(186): %ld", sys(SYS_sigaltstack, (long)&ss, (long)&old, 0, 0));
    printf(" old sp %#x flags %d size %u\n", old.sp, old.flags, old.size);
    sys(SYS_sigaltstack, 0, (long)&old, 0, 0);
    printf("  read back: sp ok %d flags %d size %u\n", old.sp == (uintptr_t)altstack, old.flags,
           old.size);
    ss.size = 100;
    printf("  too small: %ld; bad flags: ", sys(SYS_sigaltstack, (long)&ss, 0, 0, 0));
    ss.size = sizeof altstack;
    ss.flags = 5;
    printf("%ld\n", sys(SYS_sigaltstack, (long)&ss, 0, 0, 0));
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = alt_handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("  SA_ONSTACK handler on the alternate stack %d, ss_flags there %d\n", on_alt, alt_flags);
    sa.sa_flags = 0;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("  without SA_ONSTACK %d\n", on_alt);
    ss.flags = SS_DISABLE;
    sys(SYS_sigaltstack, (long)&ss, 0, 0, 0);
    sys(SYS_sigaltstack, 0, (long)&old, 0, 0);
    printf("  disabled: sp %#x flags %d size %u\n", old.sp, old.flags, old.size);
}

static char order[16];
static volatile int norder;

static void inner(int sig)
{
    order[norder++] = sig == SIGUSR2 ? 'b' : '?';
}

static void outer(int sig)
{
    (void)sig;
    order[norder++] = 'A';
    raise(SIGUSR2);                 /* not in sa_mask: nested at once */
    order[norder++] = 'a';
}

static void nested(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = inner;
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = outer;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    order[norder] = 0;
    printf("nested: %s\n", order);
    norder = 0;
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    order[norder] = 0;
    printf("  USR2 in sa_mask: %s\n", order);
}

static void signal_fd(void)
{
    sigset_t set;
    struct signalfd_siginfo ssi;
    union sigval v = {.sival_int = 31337};
    int fd;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 4);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("signalfd: %d flags %#x\n", fd >= 0, fcntl(fd, F_GETFL) & O_NONBLOCK);
    ssize_t n = read(fd, &ssi, sizeof ssi);
    printf("  empty: %zd %s\n", n, strerror(errno));
    sigqueue(getpid(), SIGRTMIN + 4, v);
    kill(getpid(), SIGUSR1);
    while (read(fd, &ssi, sizeof ssi) == sizeof ssi)
        printf("  read: signo %d code %d pid ok %d int %d\n", ssi.ssi_signo, ssi.ssi_code,
               ssi.ssi_pid == (uint32_t)getpid(), ssi.ssi_int);
    printf("  signalfd(321) with a bad size: %ld\n", sys(SYS_signalfd, -1, (long)&set, 4, 0));
    close(fd);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* The parent blocks in read(2) on an empty pipe; a child waits until it sleeps there,
 * signals it, waits for the handler to say it ran, and only then writes. */
static void restart_or_eintr(int flags)
{
    struct sigaction sa;
    int p[2], h[2];
    char c = 0;
    pid_t pid;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count;
    sa.sa_flags = flags;
    sigaction(SIGUSR1, &sa, NULL);
    pipe(p);
    pipe(h);
    pid = fork();
    if (pid == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", getppid());
        for (;;) {
            FILE *f = fopen(path, "r");
            char state = 0;
            int n = f ? fscanf(f, "%*d %*s %c", &state) : 0;
            if (f)
                fclose(f);
            if (n == 1 && state == 'S')
                break;
            usleep(1000);
        }
        kill(getppid(), SIGUSR1);
        read(h[0], &c, 1);
        write(p[1], "x", 1);
        _exit(0);
    }
    hits = 0;
    handler_fd = h[1];
    ssize_t r = read(p[0], &c, 1);
    int e = errno;
    handler_fd = -1;
    printf("read %s: returned %zd%s%s, handler ran %d\n", flags ? "with SA_RESTART" : "without",
           r, r < 0 ? " " : "", r < 0 ? strerror(e) : "", hits);
    waitpid(pid, NULL, 0);
    close(p[0]); close(p[1]); close(h[0]); close(h[1]);
}

static char proc_state(pid_t pid)
{
    char path[64], state = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    if (fscanf(f, "%*d %*s %c", &state) != 1)
        state = 0;
    fclose(f);
    return state;
}

static void wait_state(pid_t pid, char want)
{
    char st;
    while ((st = proc_state(pid)) != want && st != 'Z' && st != 0)
        usleep(1000);
}

/* A sleep stopped and continued resumes through restart_syscall (the i386 table's 0);
 * a handled signal then ends it early with EINTR and the time left. */
static void restart_after_stop(void)
{
    int p[2], status;
    pid_t pid;
    pipe(p);
    pid = fork();
    if (pid == 0) {
        struct timespec req = {100, 0}, rem = {0, 0};
        hits = 0;
        signal(SIGUSR1, count);
        close(p[0]);
        write(p[1], "r", 1);
        int r = nanosleep(&req, &rem);
        int e = errno;
        printf("nanosleep: %d %s, handler ran %d, time left between 0 and 100 s %d\n", r,
               r ? strerror(e) : "", hits, rem.tv_sec < 100 && (rem.tv_sec > 0 || rem.tv_nsec > 0));
        _exit(0);
    }
    char c;
    close(p[1]);
    read(p[0], &c, 1);
    wait_state(pid, 'S');
    kill(pid, SIGSTOP);
    waitpid(pid, &status, WUNTRACED);
    printf("stopped: %d\n", WIFSTOPPED(status) ? WSTOPSIG(status) : -1);
    kill(pid, SIGCONT);
    wait_state(pid, 'S');
    kill(pid, SIGUSR1);
    waitpid(pid, &status, 0);
    printf("child exit %d\n", WEXITSTATUS(status));
    close(p[0]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    old_mask_calls();
    queued_siginfo();
    timed_waits();
    child_status();
    wait_id();
    pidfd_signal();
    bad_pointer();
    alternate_stack();
    nested();
    signal_fd();
    restart_or_eintr(SA_RESTART);
    restart_or_eintr(0);
    restart_after_stop();
    return 0;
}
