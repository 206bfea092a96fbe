/* syscall_regs.c - what the `syscall` instruction leaves in rcx and r11: the return rip
 * and rflags, as the program sees them after getpid, in a fork child, and in the
 * sigcontext of a handler run on the way out of kill (pt_regs->cx and ->r11). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

/* raw_syscall(nr, a0, a1, out): out[0], out[1] = rcx, r11 as the syscall left them. The
 * two start as junk, and `cmp` sets a known rflags (ZF and PF, with IF): 0x246. */
long raw_syscall(long nr, long a0, long a1, unsigned long out[2]);
extern char raw_syscall_return[];
__asm__(".text\n.globl raw_syscall\nraw_syscall:\n"
        "  mov %rcx, %r8\n"
        "  mov %rdi, %rax\n  mov %rsi, %rdi\n  mov %rdx, %rsi\n"
        "  mov $0x1111, %rcx\n  mov $0x2222, %r11\n"
        "  cmp %rax, %rax\n"
        "  syscall\n"
        ".globl raw_syscall_return\nraw_syscall_return:\n"
        "  mov %rcx, (%r8)\n  mov %r11, 8(%r8)\n"
        "  ret\n");

static unsigned long handler_rcx, handler_r11;

static void on_usr1(int sig, siginfo_t *info, void *ctx)
{
    ucontext_t *uc = ctx;
    (void)sig; (void)info;
    handler_rcx = uc->uc_mcontext.gregs[REG_RCX];
    handler_r11 = uc->uc_mcontext.gregs[REG_R11];
}

static void show(const char *what, unsigned long out[2])
{
    printf("%s: rcx is the return rip: %d, r11 = %#lx\n", what,
           out[0] == (unsigned long)raw_syscall_return, out[1]);
}

int main(void)
{
    unsigned long out[2];
    raw_syscall(39, 0, 0, out);                       /* getpid */
    show("getpid", out);
    fflush(stdout);

    long pid = raw_syscall(57, 0, 0, out);           /* fork */
    if (pid == 0) {
        show("fork child", out);
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    show("fork parent", out);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raw_syscall(62, getpid(), SIGUSR1, out);         /* kill: the handler runs on the way out */
    printf("handler: rcx is the return rip: %d, r11 = %#lx\n",
           handler_rcx == (unsigned long)raw_syscall_return, handler_r11);
    show("after the handler", out);
    return 0;
}
