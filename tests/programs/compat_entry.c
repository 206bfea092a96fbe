/* The same syscalls through each 32-bit entry: int $0x80 and sysenter (through a copy of
 * the vDSO's __kernel_vsyscall: the kernel returns to the vDSO's landing pad, which pops
 * the same three registers and returns to our caller). Built with -m32:
 *   compat_entry int80     the syscalls through int $0x80 only
 *   compat_entry both      each through both, printing whether the results agree
 *                          (an AMD CPU has no sysenter in compatibility mode: #UD)
 * Built for x86-64 it is a 64-bit program calling int $0x80 (Linux allows it).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#if defined(__i386__)
/* The sixth argument goes in ebp; it is read from a global (an absolute address), as an
 * esp-relative operand would move with the push. */
long gk_sixth;

static long int80(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	gk_sixth = f;
	__asm__ volatile("push %%ebp\n\tmov gk_sixth, %%ebp\n\tint $0x80\n\tpop %%ebp"
			 : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory");
	return ret;
}

/* __kernel_vsyscall's code, as Linux's 32-bit vDSO has it. */
__asm__(".text\n"
	"my_vsyscall:\n\t"
	"push %ecx\n\tpush %edx\n\tpush %ebp\n\tmovl %esp, %ebp\n\t"
	"sysenter\n\tint $0x80\n\t"
	"pop %ebp\n\tpop %edx\n\tpop %ecx\n\tret\n");

static long sysenter(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	gk_sixth = f;
	__asm__ volatile("push %%ebp\n\tmov gk_sixth, %%ebp\n\tcall my_vsyscall\n\tpop %%ebp"
			 : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory");
	return ret;
}

static int use_sysenter;

/* The syscall through int $0x80, and through sysenter too when asked: the first result,
 * and whether the two agree. */
static long call(const char *what, long nr, long a, long b, long c, long d, long e, long f)
{
	long x = int80(nr, a, b, c, d, e, f);
	if (use_sysenter) {
		long y = sysenter(nr, a, b, c, d, e, f);
		printf("%s: int80 %s sysenter\n", what, x == y ? "==" : "!=");
	}
	return x;
}

static int ok(long ret)
{
	return (unsigned long)ret < 0xfffff001UL;
}

int main(int argc, char **argv)
{
	char msg[] = "written through an entry\n";
	use_sysenter = argc > 1 && !strcmp(argv[1], "both");
	long pid = call("getpid", 20, 0, 0, 0, 0, 0, 0);
	printf("getpid matches: %d\n", pid == getpid());
	printf("getppid matches: %d\n", call("getppid", 64, 0, 0, 0, 0, 0, 0) == getppid());
	fflush(stdout);
	printf("write: %ld\n", call("write", 4, 1, (long)msg, strlen(msg), 0, 0, 0));
	/* mmap2(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0): the sixth
	 * argument (ebp) is the page offset, read from the user stack on the sysenter path. */
	long m = int80(192, 0, 8192, 3, 0x22, -1, 0);
	printf("mmap2 ok: %d\n", ok(m) && m != 0);
	if (use_sysenter) {         /* unmapped, the same address comes back */
		int80(91, m, 8192, 0, 0, 0, 0);
		printf("mmap2: int80 %s sysenter\n", sysenter(192, 0, 8192, 3, 0x22, -1, 0) == m ? "==" : "!=");
	}
	/* the sixth argument decides: a file mapping at page offset 1 of a one-page file is
	 * allowed (SIGBUS only on access); at offset 0x100000 too; mmap2 of fd -1 without
	 * MAP_ANONYMOUS is EBADF whatever the offset */
	printf("mmap2 bad fd: %ld\n", call("mmap2 bad fd", 192, 0, 4096, 1, 0x2, -1, 7));
	/* the sixth argument decides what is read: page 1 of a two-page file */
	{
		char page[8192];
		int fd = open("/proc/self/exe", O_RDONLY);
		pread(fd, page, sizeof(page), 0);
		long m1 = int80(192, 0, 4096, 1, 0x2, fd, 1);
		printf("mmap2 page 1 matches the file: %d\n", ok(m1) && !memcmp((void *)m1, page + 4096, 4096));
		if (use_sysenter) {
			long m2 = sysenter(192, 0, 4096, 1, 0x2, fd, 1);
			printf("mmap2 page 1: int80 %s sysenter\n",
			       ok(m2) && !memcmp((void *)m2, page + 4096, 4096) ? "==" : "!=");
		}
		close(fd);
	}
	printf("bad nr: %ld\n", call("bad nr", 5000, 0, 0, 0, 0, 0, 0));
	/* 223 is free in the i386 table (timer_settime on x86-64) */
	printf("64-bit-only nr 223: %ld\n", call("nr 223", 223, 0, 0, 0, 0, 0, 0));
	printf("close(-1): %ld\n", call("close(-1)", 6, -1, 0, 0, 0, 0, 0));
	return 0;
}
#else
int main(void)
{
	/* int $0x80 from a 64-bit program: the 32-bit table, 32-bit registers. */
	static const char msg[] = "int80 from 64-bit\n";
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(4L), "b"(1L), "c"((long)(unsigned)(unsigned long)msg),
			 "d"((long)sizeof(msg) - 1) : "memory");
	printf("write returned %ld\n", ret);
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
	printf("getpid matches: %d\n", ret == getpid());
	return 0;
}
#endif
