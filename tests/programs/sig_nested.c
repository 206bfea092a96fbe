/* sig_nested.c - handlers and masks: sa_mask defers a signal raised in a handler until
 * the handler returns; a handler's own signal is blocked unless SA_NODEFER; signals
 * unblocked together each get a frame (the last one set up runs first); SA_RESETHAND;
 * unknown sa_flags bits read back as 0; si_code/si_pid for kill and raise; sigsuspend's
 * temporary mask; rt_sigreturn restores registers, SSE state and the mask from the
 * frame (including changes the handler made there); the handler starts with a clean
 * MXCSR. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

static char order[64];
static volatile int norder, depth, max_depth, calls;
static volatile int usr2_pending_in_a, usr1_blocked_in_a;

static void note(char c)
{
    order[norder++] = c;
}

static void install(int sig, void (*fn)(int), int flags, int masked)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    if (masked)
        sigaddset(&sa.sa_mask, masked);
    sigaction(sig, &sa, NULL);
}

static int is_blocked(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

static void handler_b(int sig)
{
    (void)sig;
    note('B');
}

static void handler_a(int sig)
{
    sigset_t pend;
    (void)sig;
    note('a');
    raise(SIGUSR2);
    sigpending(&pend);
    usr2_pending_in_a = sigismember(&pend, SIGUSR2);
    usr1_blocked_in_a = is_blocked(SIGUSR1);
    note('A');
}

static void sa_mask_defers(void)
{
    norder = 0;
    install(SIGUSR1, handler_a, 0, SIGUSR2);
    install(SIGUSR2, handler_b, 0, 0);
    raise(SIGUSR1);
    note('m');
    order[norder] = 0;
    printf("sa_mask: order %s, USR2 pending in A: %d, USR1 blocked in A: %d, after: USR1 %d USR2 %d\n",
           order, usr2_pending_in_a, usr1_blocked_in_a, is_blocked(SIGUSR1), is_blocked(SIGUSR2));
}

static void recursive(int sig)
{
    depth++;
    calls++;
    if (depth > max_depth)
        max_depth = depth;
    if (calls < 3)
        raise(sig);
    depth--;
}

static void nodefer(void)
{
    depth = max_depth = calls = 0;
    install(SIGUSR1, recursive, 0, 0);
    raise(SIGUSR1);
    printf("without SA_NODEFER: calls %d, max depth %d\n", calls, max_depth);
    depth = max_depth = calls = 0;
    install(SIGUSR1, recursive, SA_NODEFER, 0);
    raise(SIGUSR1);
    printf("with SA_NODEFER: calls %d, max depth %d\n", calls, max_depth);
}

static void letter(int sig)
{
    note(sig == SIGHUP ? 'H' : sig == SIGUSR1 ? '1' : sig == SIGUSR2 ? '2' : 'T');
}

static void unblock_together(void)
{
    sigset_t set;
    int sigs[] = {SIGTERM, SIGUSR2, SIGHUP, SIGUSR1};
    norder = 0;
    sigemptyset(&set);
    for (int i = 0; i < 4; i++) {
        install(sigs[i], letter, 0, 0);
        sigaddset(&set, sigs[i]);
    }
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (int i = 0; i < 4; i++)
        raise(sigs[i]);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    order[norder] = 0;
    printf("unblocked together: handlers ran in order %s\n", order);
}

static void resethand(void)
{
    struct sigaction old;
    calls = 0;
    install(SIGUSR1, recursive, SA_RESETHAND, 0);
    calls = 5;
    raise(SIGUSR1);
    sigaction(SIGUSR1, NULL, &old);
    printf("SA_RESETHAND: ran %d, now SIG_DFL %d, SA_RESETHAND kept %d, SA_NODEFER implied %d\n",
           calls - 5, old.sa_handler == SIG_DFL, !!(old.sa_flags & SA_RESETHAND),
           !!(old.sa_flags & SA_NODEFER));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        raise(SIGUSR1);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("second SIGUSR1 after SA_RESETHAND: killed by %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void unknown_flags(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler_b;
    sa.sa_flags = SA_RESTART | 0x400 | 0x00800000;
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGUSR2, NULL, &old);
    printf("flags read back: SA_RESTART %d, 0x400 %d, 0x00800000 %d\n", !!(old.sa_flags & SA_RESTART),
           !!(old.sa_flags & 0x400), !!(old.sa_flags & 0x00800000));
    printf("sigaction(SIGKILL) with a handler: %d; query SIGKILL: %d\n",
           sigaction(SIGKILL, &sa, NULL), sigaction(SIGKILL, NULL, &old));
}

static volatile int info_code, info_pid_ok, info_uid_ok;

static void info_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    info_code = si->si_code;
    info_pid_ok = si->si_pid == getpid();
    info_uid_ok = si->si_uid == getuid();
}

static void sender_info(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    kill(getpid(), SIGUSR1);
    printf("kill: si_code %d, si_pid ok %d, si_uid ok %d\n", info_code, info_pid_ok, info_uid_ok);
    raise(SIGUSR1);
    printf("raise: si_code %d, si_pid ok %d, si_uid ok %d\n", info_code, info_pid_ok, info_uid_ok);
    syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR1);
    printf("tkill: si_code %d\n", info_code);
}

static const char *result(long r)
{
    static char buf[64];
    snprintf(buf, sizeof buf, "%ld %s", r, r < 0 ? strerror(errno) : "ok");
    return buf;
}

static void kill_arguments(void)
{
    printf("kill(self, 0): %s\n", result(kill(getpid(), 0)));
    printf("kill(self, 65): %s\n", result(kill(getpid(), 65)));
    printf("kill(no such pid, 100): %s\n", result(kill(99999999, 100)));
    printf("tgkill(self, self, 0): %s\n", result(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0)));
    printf("tgkill(0, self, USR1): %s\n", result(syscall(SYS_tgkill, 0, syscall(SYS_gettid), SIGUSR1)));
    printf("tkill(-1, USR1): %s\n", result(syscall(SYS_tkill, -1, SIGUSR1)));
    printf("tgkill(wrong group): %s\n", result(syscall(SYS_tgkill, getppid(), syscall(SYS_gettid), 0)));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    siginfo_t si;
    waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
    printf("kill(zombie, 0): %s", result(kill(pid, 0)));
    printf(", tkill(zombie, USR1): %s", result(syscall(SYS_tkill, pid, SIGUSR1)));
    waitpid(pid, NULL, 0);
    printf(", after reaping: %s\n", result(kill(pid, 0)));
}

static void suspend(void)
{
    sigset_t block, empty;
    calls = 0;
    install(SIGUSR1, recursive, 0, 0);
    calls = 10;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_SETMASK, &block, NULL);
    raise(SIGUSR1);
    sigemptyset(&empty);
    int r = sigsuspend(&empty);
    printf("sigsuspend: returned %d (%m), handler ran %d, USR1 blocked again %d\n", r, calls - 10,
           is_blocked(SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &block, NULL);
}

#ifdef __x86_64__       /* the i386 build checks registers in compat_sig_frame.c */
static volatile unsigned handler_mxcsr;

static void clobber(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    unsigned m;
    (void)sig; (void)si;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    handler_mxcsr = m;
    __asm__ volatile("xor %%r8d, %%r8d\n\txor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\tpxor %%xmm1, %%xmm1"
                     ::: "r8", "r9", "r10", "xmm1");
    uc->uc_mcontext.gregs[REG_R12] = 77;
    sigaddset(&uc->uc_sigmask, SIGUSR2);
}

static void registers(void)
{
    struct sigaction sa;
    uint64_t r8, r9, r10, r12, x1;
    unsigned mx_before = 0x7f80, mx_after, mx_default = 0x1f80;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = clobber;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    __asm__ volatile("ldmxcsr %0" :: "m"(mx_before));
    __asm__ volatile(
        "mov $0x1111, %%r8\n\t"
        "mov $0x2222, %%r9\n\t"
        "mov $0x3333, %%r10\n\t"
        "mov $5, %%r12\n\t"
        "mov $0x4444, %%rax\n\t"
        "movq %%rax, %%xmm1\n\t"
        "mov $62, %%eax\n\t"
        "mov %[pid], %%edi\n\t"
        "mov $10, %%esi\n\t"
        "syscall\n\t"
        "mov %%r8, %[o8]\n\t"
        "mov %%r9, %[o9]\n\t"
        "mov %%r10, %[o10]\n\t"
        "mov %%r12, %[o12]\n\t"
        "movq %%xmm1, %[ox]"
        : [o8] "=m"(r8), [o9] "=m"(r9), [o10] "=m"(r10), [o12] "=m"(r12), [ox] "=m"(x1)
        : [pid] "r"(getpid())
        : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "xmm1", "memory");
    __asm__ volatile("stmxcsr %0" : "=m"(mx_after));
    __asm__ volatile("ldmxcsr %0" :: "m"(mx_default));
    printf("registers kept: r8 %d r9 %d r10 %d xmm1 %d; r12 from the frame %lu\n",
           r8 == 0x1111, r9 == 0x2222, r10 == 0x3333, x1 == 0x4444, (unsigned long)r12);
    printf("mxcsr: handler %#x, after return %#x; mask from the frame: USR2 blocked %d\n",
           handler_mxcsr, mx_after, is_blocked(SIGUSR2));
}
#endif

int main(void)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    setvbuf(stdout, NULL, _IONBF, 0);
    sa_mask_defers();
    nodefer();
    unblock_together();
    resethand();
    unknown_flags();
    sender_info();
    kill_arguments();
    suspend();
#ifdef __x86_64__
    registers();
#endif
    return 0;
}
