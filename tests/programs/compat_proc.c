/* An i386 program reading /proc about itself and about a child asleep in a syscall:
 * /proc/PID/syscall (the i386 number and ebx..ebp, through int $0x80 and through the
 * vDSO), personality, auxv (4-byte words) and maps ([vdso], [vvar], [stack] below 4 GiB).
 * Addresses that ASLR moves are printed as relations. */
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char text[65536], personality[64];
static unsigned long vdso_lo, vdso_hi, stack_lo, stack_hi;

static int slurp(const char *path, char *buf, int size)
{
	int fd = open(path, O_RDONLY), n, got = 0;
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return got;
}

/* The read the child sleeps in: int $0x80 with every argument register set. */
static void int80_read(int fd)
{
	static char buf[64];
	long ret;
	__asm__ volatile("push %%ebp\n\tmov $0x66666666, %%ebp\n\tint $0x80\n\tpop %%ebp"
			 : "=a"(ret)
			 : "a"(SYS_read), "b"(fd), "c"(buf), "d"(37), "S"(0x44444444),
			   "D"(0x55555555)
			 : "memory");
	(void)ret;
}

static void find_ranges(const char *maps)
{
	const char *line = maps;
	while (line && *line) {
		unsigned long lo, hi;
		char name[256] = "";
		sscanf(line, "%lx-%lx %*s %*s %*s %*s %255s", &lo, &hi, name);
		if (!strcmp(name, "[vdso]"))
			vdso_lo = lo, vdso_hi = hi;
		if (!strcmp(name, "[stack]"))
			stack_lo = lo, stack_hi = hi;
		line = strchr(line, '\n');
		line = line ? line + 1 : 0;
	}
}

/* Wait (for a state, not a time) until the child sleeps in a syscall, then show it. */
static void show_child_syscall(pid_t pid, int use_vdso)
{
	char path[64], buf[512], maps[16384];
	unsigned long nr = -1, a[6], sp, pc;
	int n;
	snprintf(path, sizeof path, "/proc/%d/syscall", pid);
	for (;;) {
		slurp(path, buf, sizeof buf);
		if (strncmp(buf, "-1 ", 3) && strncmp(buf, "running", 7))
			break;
		usleep(1000);
	}
	n = sscanf(buf, "%lu %lx %lx %lx %lx %lx %lx %lx %lx", &nr, &a[0], &a[1], &a[2], &a[3],
		   &a[4], &a[5], &sp, &pc);
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	slurp(path, maps, sizeof maps);
	find_ranges(maps);
	printf("%s: fields %d nr %lu fd %lu count %lu\n", use_vdso ? "vdso" : "int80", n, nr,
	       a[0], a[2]);
	if (!use_vdso)
		printf("  esi %#lx edi %#lx ebp %#lx\n", a[3], a[4], a[5]);
	printf("  sp in [stack] %d, pc in [vdso] %d, pc < 4G %d\n",
	       sp >= stack_lo && sp < stack_hi, pc >= vdso_lo && pc < vdso_hi, pc < 0x100000000UL);
	snprintf(path, sizeof path, "/proc/%d/wchan", pid);
	slurp(path, buf, sizeof buf);
	printf("  wchan %s\n", buf);
	if (!use_vdso)
		printf("  pc after the int $0x80: %d\n", ((unsigned char *)pc)[-2] == 0xcd &&
		       ((unsigned char *)pc)[-1] == 0x80);
}

static void child_syscall(int use_vdso)
{
	int p[2];
	pid_t pid;
	pipe(p);
	pid = fork();
	if (pid == 0) {
		static char buf[64];
		if (use_vdso)
			read(p[0], buf, 37);
		else
			int80_read(p[0]);
		_exit(0);
	}
	show_child_syscall(pid, use_vdso);
	kill(pid, SIGKILL);
	waitpid(pid, 0, 0);
	close(p[0]);
	close(p[1]);
}

/* A child stopped by SIGSTOP while in pause(): it stops in the signal work on the way
 * out of the call, where orig_eax still holds pause's number. */
static void stopped_child(void)
{
	char path[64], buf[512], maps[16384];
	unsigned long nr, sp = 0, pc = 0;
	pid_t pid = fork();
	if (pid == 0)
		for (;;)
			pause();
	snprintf(path, sizeof path, "/proc/%d/syscall", pid);
	do {
		usleep(1000);
		slurp(path, buf, sizeof buf);
	} while (strtol(buf, 0, 10) != SYS_pause);
	kill(pid, SIGSTOP);
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	do {
		usleep(1000);
		slurp(path, buf, sizeof buf);
	} while (!strstr(buf, ") T "));
	snprintf(path, sizeof path, "/proc/%d/syscall", pid);
	slurp(path, buf, sizeof buf);
	sscanf(buf, "%ld %*x %*x %*x %*x %*x %*x %lx %lx", (long *)&nr, &sp, &pc);
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	slurp(path, maps, sizeof maps);
	find_ranges(maps);
	printf("stopped in pause: nr %ld, sp in [stack] %d, pc in [vdso] %d\n", (long)nr,
	       sp >= stack_lo && sp < stack_hi, pc >= vdso_lo && pc < vdso_hi);
	kill(pid, SIGKILL);
	waitpid(pid, 0, 0);
}

static void show_auxv(void)
{
	char **e = environ;
	Elf32_auxv_t *stack;
	int n, pairs = 0, same;
	while (*e)
		e++;
	stack = (Elf32_auxv_t *)(e + 1);
	while (stack[pairs++].a_type != AT_NULL)
		;
	n = slurp("/proc/self/auxv", text, sizeof text);
	same = !memcmp(text, stack, pairs * sizeof *stack);
	/* Linux 6.1 scans saved_auxv as unsigned longs, 16 bytes at a time, for a zero
	 * one: the 4-byte pairs end with 8 (an odd count) or 16 (even) zero bytes more. */
	printf("auxv: the stack's words %d, zero bytes past AT_NULL as a 16-byte scan %d",
	       same, n - (int)(pairs * sizeof *stack) == (pairs % 2 ? 8 : 16));
	for (int i = pairs * sizeof *stack; i < n; i++)
		if (text[i])
			printf(" (nonzero at %d)", i);
	printf("\n");
}

static void show_maps(void)
{
	char *line = text;
	int vvar_seen = 0;
	slurp("/proc/self/maps", text, sizeof text);
	find_ranges(text);
	while (line && *line) {
		unsigned long lo, hi;
		char perms[8], name[256] = "";
		sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &lo, &hi, perms, name);
		if (!strcmp(name, "[vdso]"))
			printf("maps: %s %s below 4G %d, %lu pages\n", perms, name,
			       hi <= 0xfffff000UL, (hi - lo) / 4096);
		else if (!strncmp(name, "[vvar", 5)) /* later kernels have two of them */
			vvar_seen |= hi <= 0xfffff000UL && hi <= vdso_lo && perms[0] == 'r';
		else if (name[0] == '[')
			printf("maps: %s %s below 4G %d\n", perms, name, hi <= 0xffffe000UL);
		else if (name[0] == '/')
			printf("maps: %08lx-%08lx %s %s\n", lo, hi, perms, strrchr(name, '/'));
		line = strchr(line, '\n');
		line = line ? line + 1 : 0;
	}
	printf("[vvar] readable below [vdso] %d\n", vvar_seen);
	if (strtoul(personality, 0, 16) & 0x0040000)    /* ADDR_NO_RANDOMIZE: exact places */
		printf("[vdso] %08lx-%08lx [stack] %08lx-%08lx\n", vdso_lo, vdso_hi, stack_lo,
		       stack_hi);
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	slurp("/proc/self/personality", personality, sizeof personality);
	printf("personality: %s", personality);
	show_auxv();
	show_maps();
	child_syscall(0);
	child_syscall(1);
	stopped_child();
	return 0;
}
