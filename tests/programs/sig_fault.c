/* sig_fault.c - faults in user code reach handlers with the right siginfo:
 * SIGSEGV (si_code, si_addr, trapno) left with siglongjmp, a SIGSEGV handler that
 * mprotects the page and returns (the store runs again and succeeds), SIGFPE on integer
 * division by zero, SIGILL on ud2 (the handler skips it by editing the saved rip),
 * SIGTRAP on int3. A fault whose signal is blocked, ignored or re-raised in its own
 * handler kills the process (the kernel forces the default action).
 * "strace" as argv[1]: only the siglongjmp case, without output, for the strace test. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

extern char fpe_insn[], ud2_insn[], int3_after[];

static sigjmp_buf jb;
static volatile int got_sig, got_code, faults;
#ifdef __i386__                 /* the same program built with -m32 */
#define REG_RIP REG_EIP
#endif
static void *volatile got_addr;
static volatile long got_trapno;
static volatile int *volatile bad_ptr = (volatile int *)0x10;
static char *volatile ro_page;

static void record(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    got_sig = sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    got_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
    faults++;
}

static void jump_handler(int sig, siginfo_t *si, void *uc)
{
    record(sig, si, uc);
    siglongjmp(jb, 1);
}

static void unprotect_handler(int sig, siginfo_t *si, void *uc)
{
    record(sig, si, uc);
    mprotect(ro_page, 4096, PROT_READ | PROT_WRITE);
}

static void skip_ud2_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    record(sig, si, ucv);
    printf("  saved rip at ud2: %d\n", uc->uc_mcontext.gregs[REG_RIP] == (greg_t)ud2_insn);
    uc->uc_mcontext.gregs[REG_RIP] += 2;
}

static void trap_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    record(sig, si, ucv);
    printf("  saved rip after int3: %d\n", uc->uc_mcontext.gregs[REG_RIP] == (greg_t)int3_after);
}

static void refault_handler(int sig)
{
    (void)sig;
    *bad_ptr = 2;                 /* SIGSEGV again while SIGSEGV is blocked */
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(sig, &sa, NULL);
}

static void report(const char *what, void *expected_addr)
{
    printf("%s: sig=%d code=%d addr_ok=%d trapno=%ld\n", what, got_sig, got_code,
           got_addr == expected_addr, got_trapno);
}

static void segv_longjmp(void)
{
    install(SIGSEGV, jump_handler, 0);
    if (!sigsetjmp(jb, 1)) {
        *bad_ptr = 1;
        puts("no fault?");
    }
    report("store to 0x10", (void *)bad_ptr);
    faults = 0;
    if (!sigsetjmp(jb, 1))
        *bad_ptr = 1;
    printf("second fault after siglongjmp: faults=%d\n", faults);
}

static void segv_return_after_fix(void)
{
    ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    install(SIGSEGV, unprotect_handler, 0);
    faults = 0;
    ro_page[100] = 42;            /* faults once; the handler makes the page writable */
    report("store to read-only page", ro_page + 100);
    printf("  faults=%d value=%d\n", faults, ro_page[100]);
}

static void fpe(void)
{
    int lo = 7, hi = 0, zero = 0;
    install(SIGFPE, jump_handler, 0);
    if (!sigsetjmp(jb, 1)) {
        __asm__ volatile(".globl fpe_insn\nfpe_insn: idivl %2" : "+a"(lo), "+d"(hi) : "r"(zero));
        puts("no SIGFPE?");
    }
    report("divide by zero", fpe_insn);
}

static void ill(void)
{
    install(SIGILL, skip_ud2_handler, 0);
    __asm__ volatile(".globl ud2_insn\nud2_insn: ud2");
    report("ud2", ud2_insn);
}

static void trap(void)
{
    install(SIGTRAP, trap_handler, 0);
    __asm__ volatile("int3\n.globl int3_after\nint3_after: nop");
    report("int3", NULL);
}

/* Run fn in a child and say how the child ended. */
static void in_child(const char *what, void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        printf("%s: survived\n", what);
        exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("%s: killed by signal %d core=%d\n", what, WTERMSIG(status), !!WCOREDUMP(status));
    else
        printf("%s: exit %d\n", what, WEXITSTATUS(status));
}

static void blocked_segv(void)
{
    sigset_t set;
    install(SIGSEGV, jump_handler, 0);
    sigemptyset(&set);
    sigaddset(&set, SIGSEGV);
    sigprocmask(SIG_BLOCK, &set, NULL);
    *bad_ptr = 3;
}

static void ignored_segv(void)
{
    signal(SIGSEGV, SIG_IGN);
    *bad_ptr = 3;
}

static void segv_in_handler(void)
{
    signal(SIGSEGV, refault_handler);
    *bad_ptr = 3;
}

static void no_mask_restore(void)
{
    install(SIGSEGV, jump_handler, 0);
    if (!sigsetjmp(jb, 0))        /* siglongjmp will not unblock SIGSEGV */
        *bad_ptr = 4;
    printf("first fault handled\n");
    fflush(stdout);
    *bad_ptr = 5;
}

static void resethand_segv(void)
{
    install(SIGSEGV, jump_handler, SA_RESETHAND);
    if (!sigsetjmp(jb, 1))
        *bad_ptr = 4;
    struct sigaction old;
    sigaction(SIGSEGV, NULL, &old);
    printf("after SA_RESETHAND: handler is SIG_DFL: %d, flag kept: %d\n",
           old.sa_handler == SIG_DFL, !!(old.sa_flags & SA_RESETHAND));
    fflush(stdout);
    *bad_ptr = 5;
}

int main(int argc, char **argv)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (argc > 1 && strcmp(argv[1], "strace") == 0) {
        install(SIGSEGV, jump_handler, 0);
        if (!sigsetjmp(jb, 1))
            *bad_ptr = 1;
        return got_code == 1 ? 0 : 1;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    segv_longjmp();
    segv_return_after_fix();
    fpe();
    ill();
    trap();
    in_child("blocked SIGSEGV", blocked_segv);
    in_child("ignored SIGSEGV", ignored_segv);
    in_child("SIGSEGV in its handler", segv_in_handler);
    in_child("sigsetjmp without mask", no_mask_restore);
    in_child("SA_RESETHAND", resethand_segv);
    return 0;
}
