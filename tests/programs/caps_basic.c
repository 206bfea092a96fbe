/* Capabilities: capget/capset with the three header versions (the version probe, pid
 * rules), the bounding set, ambient set, keepcaps and securebits prctls, what set*uid,
 * setfsuid and execve do to the sets, and privilege checks that follow the capabilities
 * rather than the uid (kill, setpriority, chown, clone of a namespace). Run as root;
 * argv[1] is a scratch directory every uid may search. Prints the sets as
 * /proc/self/status shows them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define V1 0x19980330
#define V2 0x20071026
#define V3 0x20080522
struct hdr { uint32_t version; int pid; };
struct data { uint32_t effective, permitted, inheritable; };

#define CAP_CHOWN 0
#define CAP_DAC_OVERRIDE 1
#define CAP_KILL 5
#define CAP_SETUID 7
#define CAP_SETPCAP 8
#define CAP_NET_RAW 13
#define CAP_SYS_ADMIN 21
#define CAP_SYS_BOOT 22
#define CAP_SYS_NICE 23
#define CAP_LAST 40
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_LOWER 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#define SECBIT_NO_SETUID_FIXUP (1 << 2)
#define SECBIT_KEEP_CAPS (1 << 4)

static char *self;

static void show(const char *what, long r)
{
	printf("%s = %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

static void status(const char *label)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	printf("[%s]", label);
	while (f && fgets(line, sizeof line, f)) {
		if (!strncmp(line, "Cap", 3) || !strncmp(line, "Uid", 3)) {
			line[strcspn(line, "\n")] = 0;
			printf(" %s", line);
		}
	}
	printf("\n");
	if (f)
		fclose(f);
}

static long capget_(uint32_t version, int pid, struct data *d)
{
	struct hdr h = { version, pid };
	long r = syscall(SYS_capget, &h, d);
	if (r < 0 && errno == EINVAL)
		printf("  (header version now %#x)\n", h.version);
	return r;
}

static long capset_(int pid, uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct hdr h = { V3, pid };
	struct data d[2] = { { (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
			     { (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) } };
	return syscall(SYS_capset, &h, d);
}

static uint64_t get(int which)
{
	struct data d[2];
	capget_(V3, 0, d);
	uint32_t lo = which == 0 ? d[0].effective : which == 1 ? d[0].permitted : d[0].inheritable;
	uint32_t hi = which == 0 ? d[1].effective : which == 1 ? d[1].permitted : d[1].inheritable;
	return (uint64_t)hi << 32 | lo;
}

static void versions(void)
{
	struct hdr h = { 0x12345678, 0 };
	struct data d[2];
	memset(d, 0xaa, sizeof d);
	show("capget probe NULL", syscall(SYS_capget, &h, NULL));
	printf("  probe rewrote version to %#x\n", h.version);
	h.version = 0x12345678;
	show("capget bad version", syscall(SYS_capget, &h, d));
	h.version = V3;
	show("capget v3 NULL data", syscall(SYS_capget, &h, NULL));
	show("capget v1", capget_(V1, 0, d));
	printf("  v1: %08x %08x %08x, second word untouched: %d\n", d[0].effective, d[0].permitted,
	       d[0].inheritable, d[1].effective == 0xaaaaaaaa);
	show("capget v2", capget_(V2, 0, d));
	printf("  v2: %08x %08x / %08x %08x\n", d[0].effective, d[0].permitted, d[1].effective,
	       d[1].permitted);
	show("capget v3 own pid", capget_(V3, getpid(), d));
	show("capget pid -1", capget_(V3, -1, d));
	show("capget no such pid", capget_(V3, 0x3ffffff0, d));
	show("capget bad data pointer", capget_(V3, 0, (struct data *)8));
	show("capget bad header pointer", syscall(SYS_capget, (void *)8, d));
	show("capset other pid", capset_(1, 0, 0, 0));
	h.version = 0x1;
	show("capset bad version", syscall(SYS_capset, &h, d));
}

/* A child drops its caps; the parent reads them through capget(pid). */
static void other_pid(void)
{
	int go[2], done[2];
	char c;
	pipe(go);
	pipe(done);
	pid_t pid = fork();
	if (pid == 0) {
		capset_(0, 1ull << CAP_KILL, 1ull << CAP_KILL | 1ull << CAP_CHOWN, 0);
		write(done[1], "x", 1);
		read(go[0], &c, 1);
		_exit(0);
	}
	read(done[0], &c, 1);
	struct data d[2];
	show("capget child", capget_(V3, pid, d));
	printf("  child: eff %08x prm %08x inh %08x\n", d[0].effective, d[0].permitted, d[0].inheritable);
	write(go[1], "x", 1);
	waitpid(pid, NULL, 0);
}

static void capset_rules(void)
{
	uint64_t prm = get(1);
	show("capset drop CAP_KILL from pE", capset_(0, prm & ~(1ull << CAP_KILL), prm, 0));
	status("no kill eff");
	show("capset raise it back", capset_(0, prm, prm, 0));
	show("capset pE beyond pP", capset_(0, prm, prm & ~(1ull << CAP_KILL), 0));
	show("capset inheritable", capset_(0, prm, prm, 1ull << CAP_NET_RAW));
	show("capset drop CAP_SYS_BOOT from pP", capset_(0, prm & ~(1ull << CAP_SYS_BOOT),
						     prm & ~(1ull << CAP_SYS_BOOT), 0));
	show("capset raise pP back", capset_(0, prm, prm, 0));
	status("after capset");
}

static void bounding_and_prctls(void)
{
	int i, n = 0;
	for (i = 0; i <= CAP_LAST; i++)
		n += prctl(PR_CAPBSET_READ, i, 0, 0, 0);
	printf("bset has %d of %d\n", n, CAP_LAST + 1);
	show("PR_CAPBSET_READ 41", prctl(PR_CAPBSET_READ, 41, 0, 0, 0));
	show("PR_CAPBSET_READ -1", prctl(PR_CAPBSET_READ, -1L, 0, 0, 0));
	show("PR_CAPBSET_DROP SYS_BOOT", prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0));
	show("PR_CAPBSET_READ SYS_BOOT", prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0));
	show("PR_CAPBSET_DROP 99", prctl(PR_CAPBSET_DROP, 99, 0, 0, 0));
	uint64_t prm = get(1);
	show("capset pI outside pI|bset", capset_(0, prm, prm, 1ull << CAP_SYS_BOOT));
	show("ambient raise w/o inheritable", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0));
	capset_(0, prm, prm, 1ull << CAP_NET_RAW | 1ull << CAP_KILL);
	show("ambient raise NET_RAW", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0));
	show("ambient raise KILL", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
	show("ambient is_set NET_RAW", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0));
	show("ambient is_set CHOWN", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0));
	show("ambient is_set 41", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 41, 0, 0));
	show("ambient bad op", prctl(PR_CAP_AMBIENT, 9, CAP_CHOWN, 0, 0));
	show("ambient arg4", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_KILL, 1, 0));
	show("ambient lower KILL", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_KILL, 0, 0));
	status("ambient");
	show("capset drops pI: ambient follows", capset_(0, prm, prm, 1ull << CAP_KILL));
	status("ambient after capset");
	show("ambient clear_all arg", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0));
	show("ambient clear_all", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
	show("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
	show("PR_SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
	show("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	show("PR_GET_SECUREBITS", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
	show("PR_SET_SECUREBITS unknown", prctl(PR_SET_SECUREBITS, 1 << 20, 0, 0, 0));
	show("PR_SET_SECUREBITS KEEP_CAPS_LOCKED", prctl(PR_SET_SECUREBITS, 3 << 4, 0, 0, 0));
	show("PR_SET_KEEPCAPS 0 (locked)", prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0));
	show("PR_SET_SECUREBITS unlock", prctl(PR_SET_SECUREBITS, 1 << 4, 0, 0, 0));
	show("PR_GET_SECUREBITS", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
	show("PR_SET_NO_NEW_PRIVS 1 with arg3", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0));
	show("PR_GET_NO_NEW_PRIVS with arg2", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
	show("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
}

static void in_child(const char *label, void (*fn)(void))
{
	printf("-- %s\n", label);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("-- %s: status %#x\n", label, st);
}

static void leave_root(void)
{
	show("setresuid 1000", setresuid(1000, 1000, 1000));
	status("after leaving root");
	show("setuid 0", setuid(0));
	show("kill init", kill(1, 0));
	show("setpriority -1", setpriority(PRIO_PROCESS, 0, -1));
}

static void keepcaps(void)
{
	prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	show("setresuid 1000 with keepcaps", setresuid(1000, 1000, 1000));
	status("keepcaps");
	show("kill init without pE", kill(1, 0));
	uint64_t prm = get(1);
	show("capset pE = pP", capset_(0, prm, prm, 0));
	show("kill init with CAP_KILL", kill(1, 0));
	show("setpriority -1 with CAP_SYS_NICE", setpriority(PRIO_PROCESS, 0, -1));
	show("setuid 0 with CAP_SETUID", setuid(0));
	status("back to root");
}

static void seteuid_dance(void)
{
	show("seteuid 1000", seteuid(1000));
	status("euid 1000");
	show("seteuid 0", seteuid(0));
	status("euid 0");
	show("setfsuid 1000 (old)", setfsuid(1000));
	status("fsuid 1000");
	show("setfsuid -1 (old)", setfsuid(-1));
	show("setfsuid 0 (old)", setfsuid(0));
	status("fsuid 0");
	show("setfsgid 77 (old)", setfsgid(77));
	show("setfsgid -1 (old)", setfsgid(-1));
	setresuid(0, 1000, 0);
	show("setfsuid 5 as euid 1000 (old)", setfsuid(5));
	show("setfsuid -1 (old)", setfsuid(-1));
	show("setfsuid 0 as euid 1000, suid 0 (old)", setfsuid(0));
	status("fsuid 0 again");
}

static void run_self(const char *how)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execl(self, self, "-show", how, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

static void exec_ambient(void)
{
	uint64_t prm = get(1);
	capset_(0, prm, prm, 1ull << CAP_NET_RAW | 1ull << CAP_CHOWN);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0);
	run_self("root with ambient");
	prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP | SECBIT_KEEP_CAPS, 0, 0, 0);
	show("setresuid 1000 without fixup", setresuid(1000, 1000, 1000));
	status("no fixup");
	run_self("uid 1000 with ambient");
}

static void exec_bset(void)
{
	prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0);
	uint64_t prm = get(1);
	capset_(0, prm & ~(1ull << CAP_KILL), prm & ~(1ull << CAP_KILL), 1ull << CAP_SYS_ADMIN);
	status("before exec");
	run_self("root, SYS_ADMIN dropped from bset");
	show("seteuid 1000", seteuid(1000));
	run_self("euid 1000, uid 0");
}

static int child_fn(void *arg) { return 0; }

static void namespaces(void)
{
	static char stack[65536];
	prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0);
	uint64_t prm = get(1) & ~(1ull << CAP_SYS_ADMIN);
	capset_(0, prm, prm, 0);
	int r = clone(child_fn, stack + sizeof stack, CLONE_NEWUTS | SIGCHLD, NULL);
	show("clone(CLONE_NEWUTS) without CAP_SYS_ADMIN", r);
	r = clone(child_fn, stack + sizeof stack, CLONE_NEWPID | SIGCHLD, NULL);
	show("clone(CLONE_NEWPID) without CAP_SYS_ADMIN", r);
}

static char dir[4096];

static void files(void)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/capf", dir);
	int fd = open(path, O_CREAT | O_RDWR, 0600);
	close(fd);
	chown(path, 1000, 1000);
	uint64_t prm = get(1);
	capset_(0, prm & ~(1ull << CAP_CHOWN), prm, 0);
	show("chown without CAP_CHOWN", chown(path, 0, 0));
	capset_(0, prm & ~(1ull << CAP_DAC_OVERRIDE), prm, 0);
	show("open 0600 of uid 1000 without DAC_OVERRIDE (read)", open(path, O_RDONLY) >= 0);
	show("open 0600 of uid 1000 without DAC_OVERRIDE (write)", open(path, O_WRONLY));
	capset_(0, prm & ~(3ull << CAP_DAC_OVERRIDE), prm, 0);
	show("open without either DAC cap", open(path, O_RDONLY));
	show("access uses pP of root", access(path, R_OK | W_OK));
	capset_(0, prm & ~(1ull << 3), prm, 0);
	show("chmod without CAP_FOWNER", chmod(path, 0644));
	capset_(0, prm, prm, 0);
	show("chmod with CAP_FOWNER", chmod(path, 0644));
	unlink(path);
}

int main(int argc, char **argv)
{
	self = argv[0];
	if (argc > 2 && !strcmp(argv[1], "-show")) {
		status(argv[2]);
		return 0;
	}
	snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : "/tmp");
	setvbuf(stdout, NULL, _IONBF, 0);
	status("start");
	versions();
	other_pid();
	in_child("capset rules", capset_rules);
	in_child("bounding set and prctls", bounding_and_prctls);
	in_child("leave root", leave_root);
	in_child("keepcaps", keepcaps);
	in_child("seteuid and setfsuid", seteuid_dance);
	in_child("exec with ambient", exec_ambient);
	in_child("exec with a smaller bset", exec_bset);
	in_child("namespaces", namespaces);
	in_child("files", files);
	return 0;
}
