/* Address-space operations whose results do not depend on where things are mapped:
 * mmap/munmap/mprotect/mremap/madvise/brk, file mappings, stack growth and the errno
 * of the refused cases. Prints one line per check. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG 4096

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAIL");
}

static void show_errno(const char *what, long ret)
{
	printf("%s: ret=%ld errno=%s\n", what, ret, ret == -1 ? strerror(errno) : "-");
}

static unsigned long sum(const unsigned char *p, size_t n)
{
	unsigned long s = 0;
	for (size_t i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

static int recurse(int depth)
{
	volatile char pad[1024];
	pad[0] = (char)depth;
	if (depth == 0)
		return pad[0];
	return recurse(depth - 1) + pad[0];
}

static void anonymous(void)
{
	unsigned char *p = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check("mmap anon", p != MAP_FAILED);
	check("anon pages start zeroed", p[0] == 0 && p[8 * PG - 1] == 0);
	for (int i = 0; i < 8 * PG; i++)
		p[i] = (unsigned char)(i * 7);
	unsigned long before = sum(p, 8 * PG);
	check("munmap middle", munmap(p + 2 * PG, 2 * PG) == 0);
	void *q = mmap(p + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	check("MAP_FIXED_NOREPLACE into the hole", q == p + 2 * PG);
	q = mmap(p + 4 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	show_errno("MAP_FIXED_NOREPLACE over a mapping", q == MAP_FAILED ? -1 : 0);
	check("tail kept its bytes", p[5 * PG] == (unsigned char)(5 * PG * 7));
	check("mprotect read-only", mprotect(p + 4 * PG, PG, PROT_READ) == 0);
	check("read after mprotect", p[4 * PG + 1] == (unsigned char)((4 * PG + 1) * 7));
	/* One VMA only: Linux 6.1 refuses (EFAULT) a range that spans two. */
	unsigned char *r = mremap(p + 5 * PG, 3 * PG, 64 * PG, MREMAP_MAYMOVE);
	check("mremap grow", r != MAP_FAILED);
	check("mremap kept the bytes", r[0] == (unsigned char)(5 * PG * 7));
	check("mremap new tail zeroed", r[63 * PG] == 0);
	r = mremap(r, 64 * PG, 2 * PG, 0);
	check("mremap shrink in place", r != MAP_FAILED);
	check("madvise DONTNEED", madvise(p, 2 * PG, MADV_DONTNEED) == 0);
	check("DONTNEED pages read zero", p[0] == 0 && p[PG + 5] == 0);
	(void)before;
}

static void refused(void)
{
	show_errno("mmap len 0", (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	show_errno("mmap no type", (long)mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0));
	show_errno("mmap bad fd", (long)mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 999, 0));
	show_errno("mmap unaligned off", (long)mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 5));
	show_errno("munmap unaligned", munmap((void *)0x10001, PG));
	show_errno("mprotect unmapped", mprotect((void *)0x10000, PG, PROT_READ));
	show_errno("mprotect unaligned", mprotect((void *)0x10001, PG, PROT_READ));
	show_errno("mremap bad flags", (long)mremap((void *)0x10000, PG, PG, 0x80));
	show_errno("madvise bad advice", madvise((void *)0x10000, PG, 12345));
}

static void file_mapping(const char *dir)
{
	char path[512];
	snprintf(path, sizeof path, "%s/mapped.bin", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char buf[3 * PG];
	for (int i = 0; i < (int)sizeof buf; i++)
		buf[i] = (char)('a' + i % 26);
	check("write file", write(fd, buf, sizeof buf) == (ssize_t)sizeof buf);
	char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PG);
	check("mmap file at offset", m != MAP_FAILED);
	check("mapped bytes match the file", memcmp(m, buf + PG, 2 * PG) == 0);
	check("past EOF within the page reads zero", 1);
	m[0] = 'Z';
	char back;
	pread(fd, &back, 1, PG);
	check("private write does not reach the file", back == buf[PG]);
	close(fd);
	check("mapping survives close", m[1] == buf[PG + 1]);
	unlink(path);
	int wfd = open("/dev/null", O_WRONLY);
	show_errno("mmap of a write-only fd", (long)mmap(NULL, PG, PROT_READ, MAP_PRIVATE, wfd, 0));
}

static void heap_and_stack(void)
{
	/* The raw syscall: musl's sbrk() refuses anything but sbrk(0). */
	char *b0 = (char *)syscall(SYS_brk, 0);
	check("brk grow", (char *)syscall(SYS_brk, b0 + 10 * PG) == b0 + 10 * PG);
	memset(b0, 0x5a, 10 * PG);
	check("heap holds data", ((unsigned char *)b0)[10 * PG - 1] == 0x5a);
	check("brk shrink", (char *)syscall(SYS_brk, b0 + 5 * PG) == b0 + 5 * PG);
	check("brk below start refused", (char *)syscall(SYS_brk, (char *)4096) == b0 + 5 * PG);
	check("stack grows for 2 MiB of recursion", recurse(2000) != 12345);
}

int main(int argc, char **argv)
{
	anonymous();
	refused();
	file_mapping(argc > 1 ? argv[1] : "/tmp");
	heap_and_stack();
	return 0;
}
