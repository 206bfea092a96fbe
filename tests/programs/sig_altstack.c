/* sig_altstack.c - sigaltstack(2) and SA_ONSTACK: the handler's stack lies in the
 * alternate stack, SS_ONSTACK is reported there and changing the stack there is EPERM;
 * a nested SA_ONSTACK handler stays on it; ENOMEM/EINVAL argument checks; SS_DISABLE;
 * SS_AUTODISARM; a stack overflow caught on the alternate stack (and fatal without it);
 * fork keeps the alternate stack, execve forgets it. */
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

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#define ALT_SIZE 65536

static char *alt;
static volatile int in_alt, nested_in_alt, nested_below, onstack_flag, eperm, uc_flags;
static volatile uintptr_t outer_local;

static int on_alt(const volatile void *p)
{
    return (const char *)p >= alt && (const char *)p < alt + ALT_SIZE;
}

static int raw_sigaltstack(const stack_t *ss, stack_t *old)
{
    return syscall(SYS_sigaltstack, ss, old) == 0 ? 0 : errno;
}

static void inner(int sig)
{
    volatile int local = 0;
    (void)sig;
    nested_in_alt = on_alt(&local);
    nested_below = (uintptr_t)&local < outer_local;
}

static void outer(int sig, siginfo_t *si, void *ucv)
{
    volatile int local = 0;
    stack_t cur, other = {.ss_sp = alt, .ss_size = ALT_SIZE};
    ucontext_t *uc = ucv;
    (void)sig; (void)si;
    in_alt = on_alt(&local);
    outer_local = (uintptr_t)&local;
    raw_sigaltstack(NULL, &cur);
    onstack_flag = cur.ss_flags;
    eperm = raw_sigaltstack(&other, NULL);
    uc_flags = uc->uc_stack.ss_flags;
    raise(SIGUSR2);
}

static void plain(int sig)
{
    volatile int local = 0;
    (void)sig;
    in_alt = on_alt(&local);
}

static void install(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static void print_current(const char *what)
{
    stack_t cur;
    raw_sigaltstack(NULL, &cur);
    printf("%s: flags=%#x sp_is_alt=%d size=%zu\n", what, (unsigned)cur.ss_flags,
           cur.ss_sp == alt, cur.ss_size);
}

static void argument_checks(void)
{
    stack_t ss = {.ss_sp = alt, .ss_size = 1024, .ss_flags = 0};
    printf("size 1024: %s\n", strerror(raw_sigaltstack(&ss, NULL)));
    ss.ss_size = ALT_SIZE;
    ss.ss_flags = 4;
    printf("flags 4: %s\n", strerror(raw_sigaltstack(&ss, NULL)));
    ss.ss_flags = SS_DISABLE;
    ss.ss_size = 1;
    printf("disable with size 1: %s\n", strerror(raw_sigaltstack(&ss, NULL)));
    print_current("after disable");
}

static void on_stack_handlers(void)
{
    stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0};
    struct sigaction sa;
    printf("set: %s\n", strerror(raw_sigaltstack(&ss, NULL)));
    print_current("set");
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = outer;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    install(SIGUSR2, inner, SA_ONSTACK);
    raise(SIGUSR1);
    printf("handler on alt stack: %d, SS_ONSTACK seen: %d, change there: %s, uc_stack flags: %d\n",
           in_alt, onstack_flag == SS_ONSTACK, strerror(eperm), uc_flags);
    printf("nested handler on alt stack: %d, below the first: %d\n", nested_in_alt, nested_below);
    print_current("after handlers");
    install(SIGUSR1, plain, 0);
    raise(SIGUSR1);
    printf("handler without SA_ONSTACK on alt stack: %d\n", in_alt);
}

static void autodisarm_handler(int sig)
{
    (void)sig;
    print_current("  inside SS_AUTODISARM handler");
}

static void autodisarm(void)
{
    stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = SS_AUTODISARM};
    printf("set SS_AUTODISARM: %s\n", strerror(raw_sigaltstack(&ss, NULL)));
    print_current("SS_AUTODISARM");
    install(SIGUSR1, autodisarm_handler, SA_ONSTACK);
    raise(SIGUSR1);
    print_current("after SS_AUTODISARM handler");
    ss.ss_flags = 0;
    raw_sigaltstack(&ss, NULL);
}

static int recurse(int n)
{
    volatile char buf[1024];
    buf[0] = (char)n;
    return recurse(n + 1) + buf[0];
}

static void overflow_handler(int sig, siginfo_t *si, void *uc)
{
    volatile int local = 0;
    (void)uc;
    printf("overflow caught: sig=%d code=%d on alt stack=%d\n", sig, si->si_code, on_alt(&local));
    _exit(0);
}

static void overflow(int use_alt)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit small = {256 * 1024, 256 * 1024};
        struct sigaction sa;
        stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = use_alt ? 0 : SS_DISABLE};
        raw_sigaltstack(&ss, NULL);
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = overflow_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigaction(SIGSEGV, &sa, NULL);
        setrlimit(RLIMIT_STACK, &small);
        exit(recurse(0));
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("overflow %s alt stack: killed by signal %d\n", use_alt ? "with" : "without",
               WTERMSIG(status));
    else
        printf("overflow %s alt stack: exit %d\n", use_alt ? "with" : "without", WEXITSTATUS(status));
}

static void fork_and_exec(const char *self)
{
    stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0};
    raw_sigaltstack(&ss, NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        print_current("forked child");
        fflush(stdout);
        execl(self, self, "query", (char *)NULL);
        _exit(127);
    }
    waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "query") == 0) {
        stack_t cur;
        raw_sigaltstack(NULL, &cur);
        printf("after execve: flags=%#x size=%zu\n", (unsigned)cur.ss_flags, cur.ss_size);
        return 0;
    }
    alt = malloc(ALT_SIZE);
    print_current("initial");
    argument_checks();
    on_stack_handlers();
    autodisarm();
    overflow(1);
    overflow(0);
    fork_and_exec(argv[0]);
    return 0;
}
