/* compat_sig_mixed.c - a 64-bit program whose handler is installed by the i386
 * rt_sigaction (int $0x80): Linux marks it SA_IA32_ABI, so its signal gets an i386
 * rt_sigframe and the handler (32-bit code here) runs in compatibility mode; its
 * rt_sigreturn (i386 173, through its own restorer) takes the task back to 64-bit mode
 * with the cs the frame saved, and the FP state it saved. The 64-bit rt_sigaction does not show the internal flag.
 * The signal is raised on a stack below 4 GiB, as a 32-bit frame needs. The 32-bit
 * sigreturn reloads the frame's fs selector (0, the 64-bit program's) as the null selector
 * 3, which clears the fs base on Intel CPUs and on the emulator but not on AMD ones
 * (X86_BUG_NULL_SEG): the program puts its TLS base back itself (arch_prctl). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

#ifndef __x86_64__
#error "a 64-bit program (static, not PIE: its code and data lie below 4 GiB)"
#endif

struct compat_sigaction { uint32_t handler, flags, restorer, mask[2]; };

uint32_t handler_cs, handler_sig, handler_signo_in_info, handler_sp_aligned;
uint32_t kill_ret, cs_after, install_ret;
uint64_t saved[8], xmm0_after;
char low_stack[65536] __attribute__((aligned(16)));
struct compat_sigaction act;

void handler32(void);
void restorer32(void);
void raise_on_low_stack(void);

__asm__(".text\n"
        ".code32\n"
        "handler32:\n"                        /* (sig, info, uc) on the stack */
        "  movl %cs, %eax\n  movl %eax, handler_cs\n"
        "  movl 4(%esp), %eax\n  movl %eax, handler_sig\n"
        "  movl 8(%esp), %eax\n  movl (%eax), %eax\n  movl %eax, handler_signo_in_info\n"
        "  leal 4(%esp), %eax\n  andl $15, %eax\n  movl %eax, handler_sp_aligned\n"
        "  ret\n"
        "restorer32:\n"
        "  movl $173, %eax\n  int $0x80\n"    /* i386 rt_sigreturn */
        ".code64\n"
        "raise_on_low_stack:\n"
        "  movq %rbx, saved\n  movq %rbp, saved+8\n  movq %r12, saved+16\n"
        "  movq %r13, saved+24\n  movq %r14, saved+32\n  movq %r15, saved+40\n"
        "  movq %rsp, saved+48\n"
        "  movl $158, %eax\n  movl $0x1003, %edi\n  leaq saved+56, %rsi\n  syscall\n"
        "  movl $low_stack+65536, %esp\n"
        "  movq $0x1122334455667788, %rax\n  movq %rax, %xmm0\n"
        "  movl $20, %eax\n  int $0x80\n"      /* getpid */
        "  movl %eax, %ebx\n  movl $10, %ecx\n  movl $37, %eax\n  int $0x80\n"   /* kill */
        "  movl %eax, kill_ret\n"
        "  movl %cs, %eax\n  movl %eax, cs_after\n"
        "  movq %xmm0, xmm0_after\n"
        "  movq saved+48, %rsp\n"
        "  movl $158, %eax\n  movl $0x1002, %edi\n  movq saved+56, %rsi\n  syscall\n"
        "  movq saved, %rbx\n  movq saved+8, %rbp\n  movq saved+16, %r12\n"
        "  movq saved+24, %r13\n  movq saved+32, %r14\n  movq saved+40, %r15\n"
        "  ret\n");

static long int80_4(long nr, long a, long b, long c, long d)
{
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
    return ret;
}

int main(void)
{
    uint64_t k[4];
    static uint32_t back[5];    /* below 4 GiB, for int $0x80 */
    setvbuf(stdout, NULL, _IONBF, 0);
    act.handler = (uint32_t)(uintptr_t)handler32;
    act.flags = SA_SIGINFO | SA_RESTORER;
    act.restorer = (uint32_t)(uintptr_t)restorer32;
    install_ret = int80_4(174, SIGUSR1, (long)&act, 0, 8);      /* i386 rt_sigaction */
    printf("i386 rt_sigaction from a 64-bit program: %d\n", (int)install_ret);
    syscall(SYS_rt_sigaction, SIGUSR1, NULL, k, 8);
    printf("  64-bit rt_sigaction reads flags %#lx\n", (unsigned long)k[1]);
    int80_4(174, SIGUSR1, 0, (long)back, 8);
    printf("  i386 rt_sigaction reads flags %#x\n", back[1]);
    raise_on_low_stack();
    printf("kill: %d; the handler ran in cs %#x with sig %u (info %u), esp+4 %% 16 = %u\n",
           (int)kill_ret, handler_cs, handler_sig, handler_signo_in_info, handler_sp_aligned);
    printf("back in cs %#x, xmm0 %#llx\n", cs_after, (unsigned long long)xmm0_after);
    return 0;
}
