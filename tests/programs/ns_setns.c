/* unshare(2) and setns(2): the errno matrix, joining another task's namespaces by an
 * nsfs descriptor and by a pidfd, and /proc/PID/ns links equal for tasks that share a
 * namespace and different after an unshare. All namespace changes in forked children. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
#define NS_GET_USERNS 0xb701
#define NS_GET_PARENT 0xb702
#define NS_GET_NSTYPE 0xb703
#define NS_GET_OWNER_UID 0xb704

static const char *names[] = {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
			      "time", "time_for_children", "user", "uts"};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static void links(pid_t pid, char out[][64])
{
	char path[64];
	for (unsigned i = 0; i < NNAMES; i++) {
		if (pid)
			snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, names[i]);
		else		/* (our number may be another pid namespace's) */
			snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
		ssize_t n = readlink(path, out[i], 63);
		out[i][n > 0 ? n : 0] = 0;
	}
}

static void compare(const char *what, char a[][64], char b[][64])
{
	printf("%s:", what);
	for (unsigned i = 0; i < NNAMES; i++)
		printf(" %s=%s", names[i], strcmp(a[i], b[i]) ? "diff" : "same");
	printf("\n");
}

static void link_shapes(void)
{
	char l[NNAMES][64], path[64];
	struct stat st, st0;
	links(getpid(), l);
	stat("/proc/self/ns/uts", &st0);
	for (unsigned i = 0; i < NNAMES; i++) {
		unsigned long ino = 0;
		char type[32] = "";
		sscanf(l[i], "%31[^:]:[%lu]", type, &ino);
		snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
		stat(path, &st);
		printf("%s -> %s, ino matches %s, same dev %s, mode %o\n", names[i], type,
		       st.st_ino == ino ? "yes" : "no", st.st_dev == st0.st_dev ? "yes" : "no",
		       st.st_mode);
	}
	DIR *d = opendir("/proc/self/ns");
	struct dirent *e;
	int count = 0;
	while ((e = readdir(d)))
		count += e->d_name[0] != '.';
	closedir(d);
	printf("entries %d\n", count);
}

static void ioctls(void)
{
	int uts = open("/proc/self/ns/uts", O_RDONLY);
	int user = open("/proc/self/ns/user", O_RDONLY);
	int pid = open("/proc/self/ns/pid", O_RDONLY);
	char a[64] = "", b[64] = "", path[64];
	unsigned uid = 12345;
	show("NS_GET_NSTYPE uts", ioctl(uts, NS_GET_NSTYPE) == CLONE_NEWUTS);
	show("NS_GET_NSTYPE user", ioctl(user, NS_GET_NSTYPE) == CLONE_NEWUSER);
	int owner = ioctl(uts, NS_GET_USERNS);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", owner);
	readlink(path, a, 63);
	readlink("/proc/self/ns/user", b, 63);
	printf("uts owner is our user ns: %s\n", strcmp(a, b) ? "no" : "yes");
	show("NS_GET_OWNER_UID", ioctl(user, NS_GET_OWNER_UID, &uid));
	printf("owner uid %u\n", uid);
	show("NS_GET_OWNER_UID on uts", ioctl(uts, NS_GET_OWNER_UID, &uid));
	show("NS_GET_PARENT on uts", ioctl(uts, NS_GET_PARENT));
	show("NS_GET_PARENT initial user", ioctl(user, NS_GET_PARENT));
	show("NS_GET_PARENT initial pid", ioctl(pid, NS_GET_PARENT));
	show("read nsfs", read(uts, a, 1));
	close(uts);
	close(user);
	close(pid);
	close(owner);
}

static void *idle_thread(void *arg)
{
	pause();
	return arg;
}

static void errnos(void)
{
	int fd = open("/proc/self/ns/uts", O_RDONLY);
	int reg = open("/proc/self/status", O_RDONLY);
	int user = open("/proc/self/ns/user", O_RDONLY);
	show("unshare unknown flag", unshare(0x00000001));
	show("unshare CLONE_IO", unshare(CLONE_IO));
	show("unshare CLONE_VM", unshare(CLONE_VM));
	show("unshare CLONE_SIGHAND", unshare(CLONE_SIGHAND));
	show("unshare CLONE_THREAD", unshare(CLONE_THREAD));
	show("unshare CLONE_FILES", unshare(CLONE_FILES));
	show("unshare CLONE_FS", unshare(CLONE_FS));
	show("unshare CLONE_SYSVSEM", unshare(CLONE_SYSVSEM));
	show("setns bad fd", setns(-1, 0));
	show("setns closed fd", setns(999, CLONE_NEWUTS));
	show("setns regular file", setns(reg, 0));
	show("setns wrong type", setns(fd, CLONE_NEWIPC));
	show("setns own uts", setns(fd, CLONE_NEWUTS));
	show("setns own uts untyped", setns(fd, 0));
	show("setns own user ns", setns(user, 0));
	int pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	show("setns pidfd no flags", setns(pidfd, 0));
	show("setns pidfd bad flag", setns(pidfd, CLONE_NEWUTS | CLONE_VM));
	show("setns pidfd own uts", setns(pidfd, CLONE_NEWUTS | CLONE_NEWIPC));
	close(pidfd);
	pthread_t t;
	pthread_create(&t, NULL, idle_thread, NULL);
	show("threaded unshare CLONE_NEWUSER", unshare(CLONE_NEWUSER));
	show("threaded unshare CLONE_THREAD", unshare(CLONE_THREAD));
	show("threaded unshare CLONE_VM", unshare(CLONE_VM));
	show("threaded unshare CLONE_FILES", unshare(CLONE_FILES));
	close(fd);
	close(reg);
	close(user);
}

static void unprivileged(void)
{
	int fd = open("/proc/self/ns/uts", O_RDONLY);
	int tfd = open("/proc/self/ns/time", O_RDONLY);
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/uts", getppid());
	if (setuid(65534) != 0)
		return;
	show("unprivileged readlink of root's ns", readlink(path, buf, sizeof(buf)));
	show("unprivileged readlink of its own", readlink("/proc/self/ns/uts", buf, sizeof(buf)) > 0);
	show("unprivileged unshare uts", unshare(CLONE_NEWUTS));
	show("unprivileged unshare ipc", unshare(CLONE_NEWIPC));
	show("unprivileged unshare time", unshare(CLONE_NEWTIME));
	show("unprivileged setns uts", setns(fd, CLONE_NEWUTS));
	show("unprivileged setns time", setns(tfd, 0));
}

static int join(void)
{
	/* a sibling in new namespaces; we join them by nsfs fd and by pidfd */
	int ready[2], done[2];
	char c, path[64], mine[NNAMES][64], its[NNAMES][64];
	struct utsname u;
	pipe(ready);
	pipe(done);
	fflush(stdout);
	pid_t sib = fork();
	if (sib == 0) {
		if (unshare(CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET) != 0)
			_exit(3);
		sethostname("sibling", 7);
		write(ready[1], "r", 1);
		read(done[0], &c, 1);
		_exit(0);
	}
	read(ready[0], &c, 1);
	links(getpid(), mine);
	links(sib, its);
	compare("sibling vs us", mine, its);
	if (unshare(CLONE_NEWUTS) != 0)
		return 3;
	snprintf(path, sizeof(path), "/proc/%d/ns/uts", sib);
	int fd = open(path, O_RDONLY);
	show("setns sibling uts", setns(fd, CLONE_NEWUTS));
	uname(&u);
	printf("hostname now %s\n", u.nodename);
	sethostname("joined", 6);
	int pidfd = syscall(SYS_pidfd_open, sib, 0);
	show("setns pidfd ipc|net", setns(pidfd, CLONE_NEWIPC | CLONE_NEWNET));
	links(getpid(), mine);
	compare("after joining", mine, its);
	write(done[1], "d", 1);
	waitpid(sib, NULL, 0);
	show("setns pidfd of reaped", setns(pidfd, CLONE_NEWUTS));
	return 0;
}

static int unshare_all(void)
{
	char before[NNAMES][64], after[NNAMES][64], parent[NNAMES][64];
	links(getppid(), parent);
	links(getpid(), before);
	compare("child vs parent", parent, before);
	if (unshare(CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWNS |
		    CLONE_NEWPID | CLONE_NEWTIME) != 0) {
		printf("unshare failed: %s\n", strerror(errno));
		return 3;
	}
	links(getpid(), after);
	compare("after unshare", before, after);
	show("unshare CLONE_NEWPID again", unshare(CLONE_NEWPID));
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		char kid[NNAMES][64];
		links(0, kid);
		compare("its child vs it", after, kid);
		printf("child pid %d\n", getpid());
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	return 0;
}

static int pid_nesting(void)
{
	for (int level = 0;; level++) {
		if (unshare(CLONE_NEWPID) != 0) {
			printf("pid nesting stops at level %d: %s (getpid %d)\n", level,
			       strerror(errno), getpid());
			return 0;
		}
		pid_t p = fork();
		if (p < 0)
			return 5;
		if (p > 0) {
			int st;
			waitpid(p, &st, 0);
			fflush(stdout);
			_exit(WEXITSTATUS(st));
		}
	}
}

static void in_child(int (*fn)(void), void (*vfn)(void))
{
	int st;
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		int r = 0;
		if (fn)
			r = fn();
		else
			vfn();
		fflush(stdout);
		_exit(r);
	}
	waitpid(p, &st, 0);
	printf("exit %d\n", WEXITSTATUS(st));
}

int main(void)
{
	link_shapes();
	ioctls();
	in_child(NULL, errnos);
	in_child(NULL, unprivileged);
	in_child(join, NULL);
	in_child(unshare_all, NULL);
	in_child(pid_nesting, NULL);
	return 0;
}
