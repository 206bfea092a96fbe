/* The huge page pool's accounting under glasskernel (it writes vm.nr_hugepages, so it
 * never runs natively): the pool grows and shrinks, /proc/meminfo and sysfs follow it,
 * MAP_HUGETLB reserves at mmap and takes pages at fault, gives them back at munmap,
 * an empty pool is ENOMEM, lengths round up and addresses align to 2 MiB, munmap of
 * half a huge page is EINVAL, and fork shares a shared mapping and copies a private one. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#define MAP_HUGE_SHIFT 26
#define HPAGE (2UL << 20)

/* errno names: musl's and glibc's strerror texts differ */
static const char *ename(int e)
{
	static char buf[16];
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	case EBADF: return "EBADF";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	}
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

static long meminfo(const char *name)
{
	char line[256];
	long value = -1;
	FILE *f = fopen("/proc/meminfo", "r");
	size_t n = strlen(name);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, name, n) && line[n] == ':')
			value = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return value;
}

static long readnum(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	read(fd, buf, sizeof buf - 1);
	close(fd);
	return strtol(buf, NULL, 10);
}

static int writestr(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	int r = write(fd, s, strlen(s));
	int e = errno;
	close(fd);
	return r < 0 ? -e : 0;
}

static long status_kb(const char *name)
{
	char line[256];
	long value = -1;
	FILE *f = fopen("/proc/self/status", "r");
	size_t n = strlen(name);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, name, n) && line[n] == ':')
			value = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return value;
}

static void counters(const char *what)
{
	printf("%s: total=%ld free=%ld rsvd=%ld surp=%ld hugetlb=%ld kB\n", what,
	       meminfo("HugePages_Total"), meminfo("HugePages_Free"),
	       meminfo("HugePages_Rsvd"), meminfo("HugePages_Surp"), meminfo("Hugetlb"));
}

#define SYS "/sys/kernel/mm/hugepages/hugepages-2048kB/"

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("Hugepagesize %ld kB\n", meminfo("Hugepagesize"));
	printf("drop_caches 3: %d, 0: %d, 5: %d\n", writestr("/proc/sys/vm/drop_caches", "3"),
	       writestr("/proc/sys/vm/drop_caches", "0"), writestr("/proc/sys/vm/drop_caches", "5"));
	printf("read drop_caches: %ld\n", readnum("/proc/sys/vm/drop_caches"));
	printf("compact_memory 1: %d\n", writestr("/proc/sys/vm/compact_memory", "1"));
	printf("nr_hugepages bad: %d\n", writestr("/proc/sys/vm/nr_hugepages", "x"));
	pid_t who = fork();
	if (who == 0) {
		setuid(65534);
		printf("nobody writes nr_hugepages: %d, sysfs: %d, drop_caches: %d\n",
		       writestr("/proc/sys/vm/nr_hugepages", "1"), writestr(SYS "nr_hugepages", "1"),
		       writestr("/proc/sys/vm/drop_caches", "1"));
		_exit(0);
	}
	waitpid(who, NULL, 0);
	printf("sysfs free_hugepages write: %d\n", writestr(SYS "free_hugepages", "1"));
	printf("sysfs 1G pool: %ld\n", readnum("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"));

	/* An empty pool: reserving fails at mmap, MAP_NORESERVE maps but faults SIGBUS. */
	writestr("/proc/sys/vm/nr_hugepages", "0");
	void *p = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	printf("empty pool mmap: %s\n", p == MAP_FAILED ? ename(errno) : "mapped");

	long memfree0 = meminfo("MemFree");
	writestr(SYS "nr_hugepages", "4\n");
	printf("nr_hugepages=%ld sysfs nr=%ld free=%ld\n", readnum("/proc/sys/vm/nr_hugepages"),
	       readnum(SYS "nr_hugepages"), readnum(SYS "free_hugepages"));
	long drop = memfree0 - meminfo("MemFree");
	printf("MemFree dropped by at least 8 MiB: %s\n", drop >= 8192 ? "yes" : "no");
	counters("pool of 4");

	/* Rounding and alignment. */
	char *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	printf("mmap 4096: %s aligned=%d\n", a == MAP_FAILED ? ename(errno) : "ok",
	       a != MAP_FAILED && ((unsigned long)a & (HPAGE - 1)) == 0);
	counters("after mmap");
	a[0] = 1;
	a[HPAGE - 1] = 2;                    /* the length was rounded up to 2 MiB */
	counters("after touch");
	printf("munmap half: %s\n", munmap(a, HPAGE / 2) ? ename(errno) : "ok");
	printf("mprotect half: %s\n", mprotect(a, 4096, PROT_READ) ? ename(errno) : "ok");
	printf("munmap whole: %s\n", munmap(a, HPAGE) ? ename(errno) : "ok");
	counters("after munmap");

	/* MAP_FIXED off a huge page boundary; an unknown MAP_HUGE size. */
	void *fixed = mmap((void *)0x40001000UL, HPAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED, -1, 0);
	printf("misaligned MAP_FIXED: %s\n", fixed == MAP_FAILED ? ename(errno) : "mapped");
	void *odd = mmap(NULL, HPAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (16 << MAP_HUGE_SHIFT), -1, 0);
	printf("MAP_HUGE_64KB: %s\n", odd == MAP_FAILED ? ename(errno) : "mapped");
	void *two = mmap(NULL, HPAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (21 << MAP_HUGE_SHIFT), -1, 0);
	printf("MAP_HUGE_2MB: %s\n", two == MAP_FAILED ? ename(errno) : "mapped");
	munmap(two, HPAGE);

	/* More than the pool: ENOMEM, unless MAP_NORESERVE (then faults beyond it SIGBUS). */
	void *big = mmap(NULL, 5 * HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	printf("5 pages from 4: %s\n", big == MAP_FAILED ? ename(errno) : "mapped");
	big = mmap(NULL, 5 * HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE, -1, 0);
	printf("5 pages NORESERVE: %s\n", big == MAP_FAILED ? ename(errno) : "mapped");
	counters("noreserve mapped");
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 5; i++) {
			((char *)big)[i * HPAGE] = 1;
			printf("child touched page %d\n", i);
		}
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("child: %s %d\n", WIFSIGNALED(status) ? "signal" : "exit",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	munmap(big, 5 * HPAGE);
	counters("after child");

	/* fork: a shared page is the same page, a private one is copied on write. */
	char *sh = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	char *pr = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	sh[4096] = 'p';
	pr[4096] = 'p';
	counters("shared+private touched");
	pid = fork();
	if (pid == 0) {
		counters("child before write");
		sh[4096] = 'c';
		pr[4096] = 'c';
		counters("child after write");
		_exit(0);
	}
	waitpid(pid, &status, 0);
	printf("parent sees shared=%c private=%c\n", sh[4096], pr[4096]);
	counters("child gone");
	printf("HugetlbPages: %ld kB\n", status_kb("HugetlbPages"));

	/* MADV_DONTNEED frees a private huge page (it reads as zero again), not a shared one. */
	char *dn = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	dn[0] = 'x';
	printf("madvise DONTNEED misaligned: %s, FREE: %s\n",
	       madvise(dn + 4096, 4096, MADV_DONTNEED) ? ename(errno) : "ok",
	       madvise(dn, HPAGE, MADV_FREE) ? ename(errno) : "ok");
	counters("before DONTNEED");
	printf("madvise DONTNEED: %s\n", madvise(dn, 4096, MADV_DONTNEED) ? ename(errno) : "ok");
	counters("after DONTNEED");
	printf("private reads %d; ", dn[0]);
	munmap(dn, HPAGE);
	printf("shared DONTNEED: %s, reads %c\n", madvise(sh, HPAGE, MADV_DONTNEED) ? ename(errno) : "ok", sh[4096]);

	/* mremap moves a private huge page with its data; growing is EINVAL. */
	char *moved = mremap(pr, HPAGE, HPAGE, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0x60000000UL);
	printf("mremap move: %s data=%c\n", moved == MAP_FAILED ? ename(errno) : "ok",
	       moved == MAP_FAILED ? '-' : moved[4096]);
	counters("after move");
	printf("mremap grow: %s\n", mremap(moved, HPAGE, 2 * HPAGE, MREMAP_MAYMOVE) == MAP_FAILED ? ename(errno) : "ok");
	munmap(sh, HPAGE);
	munmap(moved, HPAGE);
	counters("all unmapped");
	printf("HugetlbPages: %ld kB\n", status_kb("HugetlbPages"));

	/* MAP_LOCKED faults the pages in but does not count them as locked. */
	char *lk = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_LOCKED, -1, 0);
	printf("MAP_LOCKED: %s VmLck %ld kB\n", lk == MAP_FAILED ? ename(errno) : "ok", status_kb("VmLck"));
	counters("locked mapping");
	munmap(lk, HPAGE);

	/* Shrinking the pool while a page is in use makes it surplus. */
	char *keep = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	keep[0] = 1;
	writestr("/proc/sys/vm/nr_hugepages", "0");
	counters("shrunk to 0 with 1 in use");
	munmap(keep, HPAGE);
	counters("in-use page freed");
	printf("MemFree back: %s\n", meminfo("MemFree") >= memfree0 - 1024 ? "yes" : "no");

	/* A pool larger than memory stops short. */
	writestr("/proc/sys/vm/nr_hugepages", "1000000");
	long got = readnum("/proc/sys/vm/nr_hugepages");
	printf("asked 1000000, got fewer: %s, MemFree under 5%%: %s\n",
	       got > 0 && got < 1000000 ? "yes" : "no",
	       meminfo("MemFree") < meminfo("MemTotal") / 20 ? "yes" : "no");
	writestr("/proc/sys/vm/nr_hugepages", "0");

	/* Overcommit: surplus pages come from RAM for a reservation and leave with it. */
	writestr("/proc/sys/vm/nr_overcommit_hugepages", "2");
	char *s = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	printf("2 surplus pages: %s\n", s == MAP_FAILED ? ename(errno) : "mapped");
	counters("surplus reserved");
	s[0] = 1;
	counters("surplus touched");
	printf("3 more: %s\n", mmap(NULL, 3 * HPAGE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0) == MAP_FAILED ? ename(errno) : "mapped");
	munmap(s, 2 * HPAGE);
	writestr(SYS "nr_overcommit_hugepages", "0");
	counters("end");
	return 0;
}
