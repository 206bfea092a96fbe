/* System V shared memory: shmget (IPC_PRIVATE, keys, IPC_CREAT|IPC_EXCL, sizes),
 * shmat (NULL, a given address, SHM_RND, SHM_REMAP, SHM_RDONLY), shmdt, shmctl
 * (IPC_STAT/IPC_SET/IPC_RMID with attaches, IPC_INFO, SHM_STAT, SHM_LOCK), sharing
 * across fork, detach at exit and exec, shm_nattch/lpid/cpid, permissions of another
 * uid, /proc/self/maps. Ids and keys depend on the host's other segments, so only
 * their relations are printed. Run as root. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

static key_t key;

static void show(const char *what, long r)
{
	printf("%s = %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

static void okay(const char *what, long r)
{
	printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
}

static void stat_(const char *label, int id)
{
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds) < 0) {
		printf("[%s] IPC_STAT: %s\n", label, strerror(errno));
		return;
	}
	printf("[%s] key %s segsz %zu mode %o nattch %lu uid %u gid %u cuid %u cgid %u"
	       " cpid-is-me %d lpid %s atime %s dtime %s ctime-set %d\n", label,
	       ds.shm_perm.__key == key ? "=key" : ds.shm_perm.__key == 0 ? "0" : "other",
	       (size_t)ds.shm_segsz, ds.shm_perm.mode, (unsigned long)ds.shm_nattch,
	       ds.shm_perm.uid, ds.shm_perm.gid, ds.shm_perm.cuid, ds.shm_perm.cgid,
	       ds.shm_cpid == getpid(), ds.shm_lpid == 0 ? "0" : ds.shm_lpid == getpid() ? "me" : "other",
	       ds.shm_atime ? "set" : "0", ds.shm_dtime ? "set" : "0", ds.shm_ctime != 0);
}

static int child_status(void (*fn)(void *), void *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	return st;
}

static void write_byte(void *p) { *(volatile char *)p = 1; }
static void read_byte(void *p) { printf("read %d\n", *(volatile char *)p); }

static void maps_line(void *addr)
{
	char line[512], want[32];
	FILE *f = fopen("/proc/self/maps", "r");
	snprintf(want, sizeof want, "%lx-", (unsigned long)addr);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, want, strlen(want))) {
			char perms[8], name[128] = "";
			unsigned long off;
			sscanf(line, "%*s %7s %lx %*s %*s %127[^\n]", perms, &off, name);
			printf("maps: %s off %lx %s\n", perms, off, strstr(name, "SYSV") ? strstr(name, "SYSV") + 12 : name);
		}
	if (f)
		fclose(f);
}

static void basics(void)
{
	int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
	okay("shmget private", id);
	stat_("new", id);
	char *p = shmat(id, NULL, 0);
	okay("shmat", p == (void *)-1 ? -1 : 0);
	stat_("attached", id);
	maps_line(p);
	strcpy(p, "parent wrote this");
	strcpy(p + 9000, "tail");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child sees: %s / %s\n", p, p + 9000);
		stat_("in child", id);
		strcpy(p, "child answered");
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	printf("parent sees: %s\n", p);
	struct shmid_ds ds;
	shmctl(id, IPC_STAT, &ds);
	printf("after child exit: nattch %lu lpid-is-child %d\n", (unsigned long)ds.shm_nattch,
	       ds.shm_lpid == pid);
	show("shmdt unaligned", shmdt(p + 1));
	show("shmdt not attached", shmdt((char *)p + 65536));
	show("shmdt", shmdt(p));
	stat_("detached", id);
	printf("write after shmdt: status %#x\n", child_status(write_byte, p));
	show("IPC_RMID", shmctl(id, IPC_RMID, NULL));
	show("IPC_STAT removed", shmctl(id, IPC_STAT, &ds));
	show("shmat removed", (long)shmat(id, NULL, 0));
}

static void keys(void)
{
	int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0640);
	okay("shmget key create", id);
	show("shmget key IPC_EXCL again", shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0640));
	printf("shmget key finds it: %d\n", shmget(key, 4096, 0) == id);
	printf("shmget key size 0 finds it: %d\n", shmget(key, 0, 0) == id);
	printf("shmget key IPC_CREAT finds it: %d\n", shmget(key, 100, IPC_CREAT | 0600) == id);
	show("shmget key larger size", shmget(key, 8192, 0));
	show("shmget other key, no IPC_CREAT", shmget(key + 1, 4096, 0));
	show("shmget size 0", shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600));
	show("shmget size > SHMMAX", shmget(IPC_PRIVATE, (size_t)-1 - (1UL << 24) + 1, 0600));
	show("shmget SHM_HUGETLB", shmget(IPC_PRIVATE, 4096, SHM_HUGETLB | 0600));

	char *p = shmat(id, NULL, 0);
	char *q = shmat(id, NULL, SHM_RDONLY);
	strcpy(p, "via p");
	printf("q reads: %s\n", q);
	stat_("two attaches", id);
	printf("write to SHM_RDONLY attach: status %#x\n", child_status(write_byte, q));
	show("mprotect(PROT_WRITE) of SHM_RDONLY attach", mprotect(q, 4096, PROT_READ | PROT_WRITE));
	maps_line(q);

	show("IPC_RMID while attached", shmctl(id, IPC_RMID, NULL));
	stat_("removed, attached", id);
	show("shmget key after IPC_RMID", shmget(key, 4096, 0));
	printf("still readable: %s\n", q);
	char *r = shmat(id, NULL, 0);
	okay("shmat of a removed but attached segment", r == (void *)-1 ? -1 : 0);
	stat_("three attaches", id);
	shmdt(p);
	shmdt(q);
	shmdt(r);
	struct shmid_ds ds;
	show("IPC_STAT after last detach", shmctl(id, IPC_STAT, &ds));
}

static void addresses(void)
{
	int id = shmget(IPC_PRIVATE, 3 * 4096, 0600);
	char *area = mmap(NULL, 16 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(area, 16 * 4096);
	char *want = area + 4096;
	printf("shmat at a free address: %d\n", shmat(id, want, 0) == want);
	show("shmat over it again", (long)shmat(id, want, 0));
	printf("shmat SHM_REMAP over it: %d\n", shmat(id, want, SHM_REMAP) == want);
	show("shmat unaligned", (long)shmat(id, want + 8 * 4096 + 5, 0));
	printf("shmat SHM_RND rounds down: %d\n", shmat(id, want + 8 * 4096 + 5, SHM_RND) == want + 8 * 4096);
	show("shmat SHM_REMAP without address", (long)shmat(id, NULL, SHM_REMAP));
	show("shmat bad id", (long)shmat(-1, NULL, 0));
	show("shmat stale id", (long)shmat(id + 32768 * 3, NULL, 0));
	stat_("addresses", id);
	/* split an attach with mprotect: shmdt removes every fragment */
	mprotect(want + 4096, 4096, PROT_READ);
	stat_("after mprotect split", id);
	show("shmdt of the split attach", shmdt(want));
	show("shmdt of the other", shmdt(want + 8 * 4096));
	stat_("after shmdt", id);
	printf("read after shmdt: status %#x\n", child_status(read_byte, want + 2 * 4096));
	shmctl(id, IPC_RMID, NULL);
}

static void ctl(void)
{
	int id = shmget(IPC_PRIVATE, 5000, 0600);
	struct shmid_ds ds;
	shmctl(id, IPC_STAT, &ds);
	ds.shm_perm.mode = 0644 | 01000;
	ds.shm_perm.uid = 1000;
	ds.shm_perm.gid = 100;
	show("IPC_SET", shmctl(id, IPC_SET, &ds));
	stat_("after IPC_SET", id);
	ds.shm_perm.uid = (uid_t)-1;
	show("IPC_SET uid -1", shmctl(id, IPC_SET, &ds));
	show("IPC_SET bad buf", shmctl(id, IPC_SET, (struct shmid_ds *)8));
	show("IPC_STAT bad buf", shmctl(id, IPC_STAT, (struct shmid_ds *)8));
	show("bad cmd", shmctl(id, 99, &ds));
	show("negative id", shmctl(-1, IPC_STAT, &ds));
	show("SHM_LOCK", shmctl(id, SHM_LOCK, NULL));
	stat_("locked", id);
	show("SHM_UNLOCK", shmctl(id, SHM_UNLOCK, NULL));
	printf("SHM_STAT of the slot gives the id: %d\n", shmctl(id & 0x7fff, SHM_STAT, &ds) == id);
	printf("SHM_STAT_ANY too: %d\n", shmctl(id & 0x7fff, SHM_STAT_ANY, &ds) == id);
	struct shminfo info;
	okay("IPC_INFO", shmctl(0, IPC_INFO, (struct shmid_ds *)&info));
	printf("shmmax %lu shmmin %lu shmmni %lu shmseg %lu shmall %lu\n", info.shmmax, info.shmmin,
	       info.shmmni, info.shmseg, info.shmall);
	struct shm_info si;
	okay("SHM_INFO", shmctl(0, SHM_INFO, (struct shmid_ds *)&si));
	printf("SHM_INFO counts ours: %d\n", si.used_ids >= 1 && si.shm_tot >= 2);
	shmctl(id, IPC_RMID, NULL);
}

static int perm_id, perm_ro_id;

static void as_other_user(void *unused)
{
	setgroups(0, NULL);
	setgid(1000);
	setuid(1000);
	struct shmid_ds ds;
	okay("other: shmget key of a 0600 segment asking nothing", shmget(key, 0, 0));
	show("other: shmget key of a 0600 segment asking 0600", shmget(key, 0, 0600));
	show("other: shmat 0600", (long)shmat(perm_id, NULL, 0));
	show("other: IPC_STAT 0600", shmctl(perm_id, IPC_STAT, &ds));
	show("other: IPC_RMID", shmctl(perm_id, IPC_RMID, NULL));
	show("other: IPC_SET", shmctl(perm_id, IPC_SET, &ds));
	show("other: SHM_LOCK", shmctl(perm_id, SHM_LOCK, NULL));
	char *p = shmat(perm_ro_id, NULL, SHM_RDONLY);
	okay("other: shmat SHM_RDONLY of 0644", p == (void *)-1 ? -1 : 0);
	show("other: shmat rw of 0644", (long)shmat(perm_ro_id, NULL, 0));
	printf("other: SHM_STAT_ANY needs no read permission: %d\n",
	       shmctl(perm_id & 0x7fff, SHM_STAT_ANY, &ds) == perm_id);
	show("other: SHM_STAT needs it", shmctl(perm_id & 0x7fff, SHM_STAT, &ds));
	stat_("other", perm_ro_id);
}

static void permissions(void)
{
	perm_id = shmget(key, 4096, IPC_CREAT | 0600);
	perm_ro_id = shmget(IPC_PRIVATE, 4096, 0644);
	child_status(as_other_user, NULL);
	shmctl(perm_id, IPC_RMID, NULL);
	shmctl(perm_ro_id, IPC_RMID, NULL);
}

/* remap_file_pages (emulated by a new mapping since Linux 4.0): on a shm attach and a
 * shared anonymous mapping. (Whether a remap of a removed segment's last attach fails
 * depends on the kernel version: 6.1 unmaps the old VMA first, destroying the segment,
 * later ones after the new VMA exists. Not compared here.) */
static void remap(void)
{
	int id = shmget(IPC_PRIVATE, 2 * 4096, 0600);
	char *p = shmat(id, NULL, 0);
	p[0] = 'A';
	p[4096] = 'B';
	show("remap_file_pages page 1 over page 0", syscall(SYS_remap_file_pages, p, 4096, 0, 1, 0));
	printf("page 0 now reads %c, page 1 %c\n", p[0], p[4096]);
	stat_("after remap", id);
	show("remap_file_pages with prot", syscall(SYS_remap_file_pages, p, 4096, PROT_READ, 0, 0));
	show("remap_file_pages size 0", syscall(SYS_remap_file_pages, p, 0, 0, 0, 0));
	show("remap_file_pages past the mapping", syscall(SYS_remap_file_pages, p, 3 * 4096, 0, 0, 0));
	char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show("remap_file_pages of a private mapping", syscall(SYS_remap_file_pages, priv, 4096, 0, 0, 0));
	char *anon = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	anon[0] = 'a';
	anon[4096] = 'b';
	show("remap_file_pages of shared anonymous memory", syscall(SYS_remap_file_pages, anon + 4096, 4096, 0, 0, 0));
	printf("anon pages read %c %c\n", anon[0], anon[4096]);
	show("shmdt of the remapped attach", shmdt(p));
	stat_("after shmdt", id);
	shmctl(id, IPC_RMID, NULL);
}

static char *self;

static void exec_detaches(void)
{
	int id = shmget(IPC_PRIVATE, 4096, 0600);
	char arg[32];
	snprintf(arg, sizeof arg, "%d", id);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		shmat(id, NULL, 0);
		shmat(id, NULL, 0);
		execl(self, self, "-stat", arg, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	stat_("after exec and exit", id);
	shmctl(id, IPC_RMID, NULL);
}

int main(int argc, char **argv)
{
	self = argv[0];
	setvbuf(stdout, NULL, _IONBF, 0);
	key = 0x4b000000 | (getpid() & 0xffffff);
	if (argc > 2 && !strcmp(argv[1], "-stat")) {
		struct shmid_ds ds;
		shmctl(atoi(argv[2]), IPC_STAT, &ds);
		printf("after exec: nattch %lu\n", (unsigned long)ds.shm_nattch);
		return 0;
	}
	basics();
	keys();
	addresses();
	ctl();
	permissions();
	exec_detaches();
	remap();
	return 0;
}
