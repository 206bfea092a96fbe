/* UTS namespaces: a child that unshares CLONE_NEWUTS renames only its own namespace.
 * Everything that could rename the host runs only after unshare succeeded. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, int r)
{
	printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static void read_proc(const char *path)
{
	char buf[128] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("%s: %s", path, n > 0 ? buf : "(none)\n");
	if (fd >= 0)
		close(fd);
}

static int child(void)
{
	struct utsname u;
	char big[80];

	if (unshare(CLONE_NEWUTS) != 0) {
		printf("unshare failed: %s\n", strerror(errno));
		return 3;
	}
	show("sethostname", sethostname("ns-guest-a", 10));
	show("setdomainname", setdomainname("dom.example", 11));
	uname(&u);
	printf("child nodename %s domainname %s\n", u.nodename, u.domainname);
	read_proc("/proc/sys/kernel/hostname");
	read_proc("/proc/sys/kernel/domainname");
	memset(big, 'x', sizeof(big));
	show("sethostname 65", sethostname(big, 65));
	show("sethostname -1", (int)syscall(SYS_sethostname, big, -1));
	show("sethostname efault", (int)syscall(SYS_sethostname, 8L, 5));
	show("sethostname 64", sethostname(big, 64));
	uname(&u);
	printf("len %zu\n", strlen(u.nodename));
	show("sethostname 0", sethostname(big, 0));
	uname(&u);
	printf("empty [%s]\n", u.nodename);
	int fd = open("/proc/sys/kernel/hostname", O_WRONLY);
	show("write hostname", (int)write(fd, "viaproc\n", 8));
	close(fd);
	uname(&u);
	printf("after proc write %s\n", u.nodename);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		if (setuid(65534) != 0)
			_exit(4);
		show("unprivileged sethostname", sethostname("nope", 4));
		show("unprivileged unshare uts", unshare(CLONE_NEWUTS));
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	printf("grandchild status %d\n", WEXITSTATUS(st));
	return 0;
}

int main(void)
{
	struct utsname before, after;
	char l1[64] = "", l2[64] = "";
	int st;

	uname(&before);
	readlink("/proc/self/ns/uts", l1, sizeof(l1) - 1);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		int r = child();
		readlink("/proc/self/ns/uts", l2, sizeof(l2) - 1);
		printf("child uts link %s\n", strcmp(l1, l2) ? "different" : "same");
		fflush(stdout);
		_exit(r);
	}
	waitpid(p, &st, 0);
	uname(&after);
	printf("child exit %d\n", WEXITSTATUS(st));
	printf("parent nodename unchanged: %s\n",
	       strcmp(before.nodename, after.nodename) ? "no" : "yes");
	printf("parent domainname unchanged: %s\n",
	       strcmp(before.domainname, after.domainname) ? "no" : "yes");
	return 0;
}
