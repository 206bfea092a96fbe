/* vdso32_remap.c - an i386 program that moves its own [vdso] with mremap made through
 * __kernel_vsyscall (AT_SYSINFO). The fast entry returns to the vDSO's landing pad,
 * which the kernel chose before the call; Linux moves that return address with the
 * image (vdso_fix_landing), so the call comes back, into the moved copy. Afterwards the
 * libc's cached AT_SYSINFO is stale, so the program talks to the kernel with int $0x80. */
#define _GNU_SOURCE
#include <elf.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

static long int80(long nr, long a, long b, long c)
{
    long ret;

    asm volatile("int $0x80" : "=a"(ret) : "0"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return ret;
}

static void say(const char *s) { int80(4, 1, (long)s, (long)strlen(s)); }   /* write */

/* mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to) through __kernel_vsyscall. */
static long vsyscall_mremap(unsigned long entry, void *old, unsigned long len, void *to)
{
    long ret;

    asm volatile("call *%[entry]"
                 : "=a"(ret)
                 : "0"(163), "b"(old), "c"(len), "d"(len), "S"(MREMAP_MAYMOVE | MREMAP_FIXED),
                   "D"(to), [entry] "m"(entry)
                 : "memory");
    return ret;
}

int main(void)
{
    const Elf32_Ehdr *eh = (const void *)getauxval(AT_SYSINFO_EHDR);
    unsigned long entry = getauxval(AT_SYSINFO);
    unsigned long len;
    char *to;

    if (!eh || !entry) {
        say("no vDSO\n");
        return 1;
    }
    /* The image ends with its section headers; [vdso] is that, in whole pages. */
    len = (eh->e_shoff + eh->e_shnum * eh->e_shentsize + 4095) & ~4095UL;
    to = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (to == MAP_FAILED)
        return 1;
    say(vsyscall_mremap(entry, (void *)eh, len, to) == (long)to ? "moved, and back from the call\n"
                                                                  : "mremap failed\n");
    /* The moved image still works: its entry point at the new address makes a call. */
    long pid = 0;
    asm volatile("call *%[entry]" : "=a"(pid) : "0"(20), [entry] "r"((unsigned long)to + entry - (unsigned long)eh)
                 : "memory");                                              /* getpid */
    say(pid > 0 ? "getpid through the moved entry\n" : "getpid failed\n");
    int80(252, 0, 0, 0);                                                    /* exit_group */
    return 0;
}
