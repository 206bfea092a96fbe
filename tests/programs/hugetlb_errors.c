/* MAP_HUGETLB and SHM_HUGETLB with an empty huge page pool (the host's default and the
 * guest's): the errno of each refusal, the 2 MiB rounding and alignment of a
 * MAP_NORESERVE mapping, EINVAL for splitting it off a huge page boundary, SIGBUS at its
 * first touch, and SHM_HUGETLB's EPERM for an unprivileged user. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#ifndef SHM_HUGETLB
#define SHM_HUGETLB 04000
#endif
#ifndef SHM_NORESERVE
#define SHM_NORESERVE 010000
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 4
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

static const char *err(long r)
{
	return r == -1 ? ename(errno) : "ok";
}

static void map_size(void *addr)
{
	char line[512];
	unsigned long lo, hi;
	FILE *f = fopen("/proc/self/maps", "r");
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo == (unsigned long)addr)
			printf("maps: %lu kB %.4s %s", (hi - lo) >> 10, strchr(line, ' ') + 1,
			       strstr(line, "/anon_hugepage") ? "/anon_hugepage\n" : "\n");
	fclose(f);
}

static void touch_in_child(char *p, const char *what)
{
	pid_t pid = fork();
	if (pid == 0) {
		p[0] = 1;
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("%s touch: %s %d\n", what, WIFSIGNALED(status) ? "signal" : "exit",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int kinds[] = {MAP_PRIVATE, MAP_SHARED};
	for (int i = 0; i < 2; i++) {
		const char *k = i ? "shared" : "private";
		void *p = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, kinds[i] | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		printf("%s reserve: %s\n", k, p == MAP_FAILED ? ename(errno) : "mapped");
		p = mmap(NULL, HPAGE, PROT_READ, kinds[i] | MAP_ANONYMOUS | MAP_HUGETLB | (16 << MAP_HUGE_SHIFT), -1, 0);
		printf("%s 64KB: %s\n", k, p == MAP_FAILED ? ename(errno) : "mapped");
		p = mmap((void *)0x40001000UL, HPAGE, PROT_READ, kinds[i] | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE | MAP_FIXED, -1, 0);
		printf("%s misaligned fixed: %s\n", k, p == MAP_FAILED ? ename(errno) : "mapped");
		p = mmap((void *)0x40000000UL, HPAGE, PROT_READ, kinds[i] | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE | MAP_FIXED, -1, 0);
		printf("%s aligned fixed: %s\n", k, p == MAP_FAILED ? ename(errno) : "mapped");
		munmap(p, HPAGE);
		char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, kinds[i] | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE, -1, 0);
		printf("%s noreserve: %s aligned %d\n", k, q == MAP_FAILED ? ename(errno) : "mapped",
		       ((unsigned long)q & (HPAGE - 1)) == 0);
		map_size(q);
		printf("%s munmap 4096: %s\n", k, err(munmap(q, 4096)));
		printf("%s munmap tail: %s\n", k, err(munmap(q + 4096, HPAGE - 4096)));
		printf("%s mprotect 4096: %s\n", k, err(mprotect(q, 4096, PROT_READ)));
		printf("%s mprotect whole: %s\n", k, err(mprotect(q, HPAGE, PROT_READ | PROT_WRITE)));
		printf("%s madvise: %s\n", k, err(madvise(q, HPAGE, MADV_NORMAL)));
		printf("%s mremap grow: %s\n", k, err((long)mremap(q, HPAGE, 2 * HPAGE, 0)));
		touch_in_child(q, k);
		printf("%s munmap 2M-4096: %s\n", k, err(munmap(q, HPAGE - 4096)));
		printf("%s munmap whole: %s\n", k, err(munmap(q, HPAGE)));
	}
	int fd = -1;
	void *f = mmap(NULL, HPAGE, PROT_READ, MAP_PRIVATE | MAP_HUGETLB, fd, 0);
	printf("fd -1: %s\n", f == MAP_FAILED ? ename(errno) : "mapped");

	/* memfd_create(MFD_HUGETLB): a hugetlbfs file. */
	int mfd = syscall(SYS_memfd_create, "huge", MFD_HUGETLB);
	printf("memfd hugetlb: %s\n", mfd < 0 ? ename(errno) : "ok");
	printf("memfd 64KB: %s\n", err(syscall(SYS_memfd_create, "huge", MFD_HUGETLB | (16 << 26))));
	printf("memfd size bits without MFD_HUGETLB: %s\n", err(syscall(SYS_memfd_create, "huge", 21 << 26)));
	printf("memfd write: %s\n", err(write(mfd, "LTP", 3)));
	printf("memfd ftruncate 4096: %s\n", err(ftruncate(mfd, 4096)));
	printf("memfd ftruncate 2M: %s\n", err(ftruncate(mfd, HPAGE)));
	struct stat st;
	fstat(mfd, &st);
	printf("memfd size %ld blksize %ld\n", (long)st.st_size, (long)st.st_blksize);
	char link[128] = "", fdpath[64];
	snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", mfd);
	readlink(fdpath, link, sizeof link - 1);
	printf("memfd link %s\n", link);
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	printf("memfd shared reserve: %s\n", m == MAP_FAILED ? ename(errno) : "mapped");
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, mfd, 0);
	printf("memfd private reserve: %s\n", m == MAP_FAILED ? ename(errno) : "mapped");
	char *mm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, mfd, 0);
	printf("memfd noreserve: %s aligned %d\n", mm == MAP_FAILED ? ename(errno) : "mapped",
	       ((unsigned long)mm & (HPAGE - 1)) == 0);
	printf("memfd munmap 4096: %s\n", err(munmap(mm, 4096)));
	touch_in_child(mm, "memfd");
	printf("memfd munmap: %s\n", err(munmap(mm, HPAGE)));
	close(mfd);

	printf("shmget hugetlb: %s\n", err(shmget(IPC_PRIVATE, 4096, IPC_CREAT | SHM_HUGETLB | 0600)));
	printf("shmget hugetlb 64KB: %s\n", err(shmget(IPC_PRIVATE, 4096, IPC_CREAT | SHM_HUGETLB | (16 << 26) | 0600)));
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | SHM_HUGETLB | SHM_NORESERVE | 0600);
	printf("shmget hugetlb noreserve: %s\n", err(id));
	if (id >= 0) {
		struct shmid_ds ds;
		shmctl(id, IPC_STAT, &ds);
		printf("segsz %zu\n", (size_t)ds.shm_segsz);
		printf("shmat misaligned: %s\n", err((long)shmat(id, (void *)0x40001000UL, 0)));
		char *s = shmat(id, NULL, 0);
		printf("shmat: %s aligned %d\n", s == (void *)-1 ? ename(errno) : "ok",
		       ((unsigned long)s & (HPAGE - 1)) == 0);
		map_size(s);
		touch_in_child(s, "shm");
		printf("shmdt: %s\n", err(shmdt(s)));
		shmctl(id, IPC_RMID, NULL);
	}
	if (getuid() == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			setgroups(0, NULL);
			setgid(65534);
			setuid(65534);
			printf("nobody shmget hugetlb: %s\n", err(shmget(IPC_PRIVATE, 4096, IPC_CREAT | SHM_HUGETLB | 0600)));
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	return 0;
}
