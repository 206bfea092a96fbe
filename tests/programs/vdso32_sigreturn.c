/* vdso32_sigreturn.c - an i386 program whose signal handlers are installed with the raw
 * syscalls and no SA_RESTORER (a libc always gives one), so they return through the
 * vDSO: sigaction(2) to __kernel_sigreturn, rt_sigaction(2) with SA_SIGINFO to
 * __kernel_rt_sigreturn. Each handler checks where it will return to (the named vDSO
 * symbol, found through AT_SYSINFO_EHDR) and the program checks that it came back with
 * its registers. */
#include <elf.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static long int80(long nr, long a, long b, long c, long d)
{
    long ret;

    asm volatile("int $0x80" : "=a"(ret) : "0"(nr), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
    return ret;
}

/* The address of an exported symbol of the vDSO (its section headers name .dynsym). */
static unsigned long vdso_sym(const char *name)
{
    const char *base = (const char *)getauxval(AT_SYSINFO_EHDR);
    const Elf32_Ehdr *eh = (const void *)base;
    const Elf32_Shdr *sh = (const void *)(base + eh->e_shoff);

    for (int i = 0; base && i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM)
            continue;
        const Elf32_Sym *sym = (const void *)(base + sh[i].sh_offset);
        const char *str = base + sh[sh[i].sh_link].sh_offset;
        for (unsigned j = 1; j < sh[i].sh_size / sizeof(*sym); j++)
            if (!strcmp(str + sym[j].st_name, name))
                return (unsigned long)base + sym[j].st_value;
    }
    return 0;
}

static volatile int got;
static volatile unsigned long returns_to;

static void handler(int sig)
{
    got = sig;
    returns_to = (unsigned long)__builtin_return_address(0);
}

static void rt_handler(int sig, siginfo_t *info, void *uc)
{
    got = sig + (info->si_signo == sig) * 1000 + (uc != NULL) * 10000;
    returns_to = (unsigned long)__builtin_return_address(0);
}

struct old_sigaction { void *handler; unsigned long mask; unsigned long flags; void *restorer; };
struct k_sigaction { void *handler; unsigned long flags; void *restorer; unsigned mask[2]; };

int main(void)
{
    struct old_sigaction old = {handler, 0, 0, NULL};
    struct k_sigaction rt = {(void *)rt_handler, SA_SIGINFO, NULL, {0, 0}};
    long pid = int80(20, 0, 0, 0, 0);                       /* getpid */
    volatile long kept = 0x12345678;

    printf("sigaction: %ld\n", int80(67, SIGUSR1, (long)&old, 0, 0));
    int80(37, pid, SIGUSR1, 0, 0);                          /* kill */
    printf("SIGUSR1 handled %d, returned through __kernel_sigreturn %d, kept %d\n", got,
           returns_to == vdso_sym("__kernel_sigreturn"), kept == 0x12345678);
    printf("rt_sigaction: %ld\n", int80(174, SIGUSR2, (long)&rt, 0, 8));
    int80(37, pid, SIGUSR2, 0, 0);
    printf("SIGUSR2 handled %d, returned through __kernel_rt_sigreturn %d, kept %d\n", got,
           returns_to == vdso_sym("__kernel_rt_sigreturn"), kept == 0x12345678);
    return 0;
}
