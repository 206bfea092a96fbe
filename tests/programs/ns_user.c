/* User namespaces: ids before and after uid_map/gid_map, the write rules of the map
 * files, capabilities inside (full there, none over the initial namespace), nesting,
 * and clone(CLONE_NEWUSER) mapped from outside. All in forked children. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static long write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	long r = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

static void cat(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("%s: [%s]\n", path, buf);
	if (fd >= 0)
		close(fd);
}

static void status_ids(void)
{
	char buf[4096], *line;
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4) || !strncmp(line, "CapEff:", 7))
			printf("%s\n", line);
}

static void ids(const char *when)
{
	uid_t r, e, s;
	getresuid(&r, &e, &s);
	printf("%s: uid %d euid %d gid %d egid %d resuid %d/%d/%d\n", when, getuid(), geteuid(),
	       getgid(), getegid(), r, e, s);
}

static int unshared_child(void)
{
	struct stat st;
	struct rlimit rl = {64, 64};

	setrlimit(RLIMIT_NOFILE, &rl);
	chown("/tmp/ns_user_owned", 1, 1);
	if (unshare(CLONE_NEWUSER) != 0) {
		printf("unshare failed: %s\n", strerror(errno));
		return 3;
	}
	ids("unmapped");
	status_ids();
	cat("/proc/self/uid_map");
	cat("/proc/self/setgroups");
	show("gid_map before deny", write_file("/proc/self/gid_map", "0 0 1\n"));
	show("uid_map junk", write_file("/proc/self/uid_map", "0 0\n"));
	show("uid_map zero count", write_file("/proc/self/uid_map", "0 0 0\n"));
	show("uid_map overlap", write_file("/proc/self/uid_map", "0 0 1\n0 0 1\n"));
	show("uid_map unmapped lower", write_file("/proc/self/uid_map", "0 12345 1\n"));
	show("uid_map two ids", write_file("/proc/self/uid_map", "0 0 2\n"));
	show("uid_map", write_file("/proc/self/uid_map", "0 0 1\n"));
	show("uid_map again", write_file("/proc/self/uid_map", "0 0 1\n"));
	show("setgroups deny", write_file("/proc/self/setgroups", "deny"));
	show("setgroups allow", write_file("/proc/self/setgroups", "allow"));
	show("setgroups junk", write_file("/proc/self/setgroups", "maybe"));
	show("gid_map", write_file("/proc/self/gid_map", "0 0 1\n"));
	show("setgroups deny after map", write_file("/proc/self/setgroups", "deny"));
	cat("/proc/self/uid_map");
	cat("/proc/self/gid_map");
	cat("/proc/self/setgroups");
	ids("mapped");
	status_ids();
	stat("/tmp/ns_user_owned", &st);
	printf("stat owner %d:%d\n", st.st_uid, st.st_gid);
	show("chown unmapped", chown("/tmp/ns_user_owned", 7, -1));
	show("chown mapped", chown("/tmp/ns_user_owned", 0, -1));
	show("setuid unmapped", setuid(5));
	show("setuid 0", setuid(0));
	show("setgroups", setgroups(0, NULL));
	rl.rlim_cur = rl.rlim_max = 128;
	show("raise hard limit", setrlimit(RLIMIT_NOFILE, &rl));
	show("unshare uts inside", unshare(CLONE_NEWUTS));
	show("sethostname inside", sethostname("in-userns", 9));
	/* nesting: each level maps root to the level above */
	int levels = 1;
	for (;;) {
		if (unshare(CLONE_NEWUSER) != 0) {
			printf("nesting stops after %d: %s\n", levels, strerror(errno));
			break;
		}
		levels++;
		if (write_file("/proc/self/setgroups", "deny") < 0 ||
		    write_file("/proc/self/uid_map", "0 0 1") < 0 ||
		    write_file("/proc/self/gid_map", "0 0 1") < 0) {
			printf("map at level %d: %s\n", levels, strerror(errno));
			break;
		}
	}
	return 0;
}

static int cloned(void *arg)
{
	int *fds = arg;
	char c = 'r';
	ids("clone child before map");
	fflush(stdout);
	close(fds[1]);
	write(fds[3], &c, 1);
	read(fds[0], &c, 1);
	ids("clone child after map");
	fflush(stdout);
	return 0;
}

static void clone_newuser(void)
{
	static char stack[64 * 1024];
	int fds[4];
	char path[64], c;
	pipe(fds);
	pipe(fds + 2);
	fflush(stdout);
	pid_t p = clone(cloned, stack + sizeof(stack), CLONE_NEWUSER | SIGCHLD, fds);
	if (p < 0) {
		show("clone newuser", p);
		return;
	}
	close(fds[0]);
	read(fds[2], &c, 1);		/* the child has shown its ids */
	snprintf(path, sizeof(path), "/proc/%d/uid_map", p);
	show("parent writes child's uid_map", write_file(path, "0 0 1\n1000 1000 10\n"));
	snprintf(path, sizeof(path), "/proc/%d/gid_map", p);
	show("parent writes child's gid_map", write_file(path, "0 0 1\n"));
	snprintf(path, sizeof(path), "/proc/%d/uid_map", p);
	printf("child's uid_map from outside:\n");
	fflush(stdout);
	int fd = open(path, O_RDONLY);
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	write(1, buf, n > 0 ? n : 0);
	close(fds[1]);
	waitpid(p, NULL, 0);
}

static int root_of_1000(void *arg)
{
	int *fds = arg;
	char c = 'r';
	close(fds[1]);
	write(fds[3], &c, 1);
	read(fds[0], &c, 1);
	show("setresuid 0 (kernel uid 1000)", setresuid(0, 0, 0));
	ids("root of a namespace over 1000");
	errno = 0;
	int fd = open("/tmp/ns_user_secret", O_WRONLY);
	show("open root's 0600 file for writing", fd < 0 ? -1 : 0);
	fd = open("/tmp/ns_user_secret", O_RDONLY);
	show("open it for reading", fd < 0 ? -1 : 0);
	show("chmod it", chmod("/tmp/ns_user_secret", 0666));
	fflush(stdout);
	return 0;
}

/* A namespace whose root is kernel uid 1000: its capabilities do not reach a file of
 * the real root, whose owner it does not map (capable_wrt_inode_uidgid). */
static void unmapped_owner(void)
{
	static char stack[64 * 1024];
	int fds[4];
	char path[64], c;
	close(open("/tmp/ns_user_secret", O_CREAT | O_WRONLY, 0600));
	chmod("/tmp/ns_user_secret", 0600);
	pipe(fds);
	pipe(fds + 2);
	fflush(stdout);
	pid_t p = clone(root_of_1000, stack + sizeof(stack), CLONE_NEWUSER | SIGCHLD, fds);
	if (p < 0) {
		show("clone newuser", p);
		return;
	}
	close(fds[0]);
	read(fds[2], &c, 1);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", p);
	show("map 0 to 1000", write_file(path, "0 1000 1\n"));
	snprintf(path, sizeof(path), "/proc/%d/gid_map", p);
	show("map group 0 to 1000", write_file(path, "0 1000 1\n"));
	close(fds[1]);
	waitpid(p, NULL, 0);
	unlink("/tmp/ns_user_secret");
}

int main(void)
{
	int st;
	close(open("/tmp/ns_user_owned", O_CREAT | O_WRONLY, 0644));
	ids("init");
	cat("/proc/self/uid_map");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		int r = unshared_child();
		fflush(stdout);
		_exit(r);
	}
	waitpid(p, &st, 0);
	printf("child exit %d\n", WEXITSTATUS(st));
	clone_newuser();
	unmapped_owner();
	show("setns-free parent still root", getuid());
	unlink("/tmp/ns_user_owned");
	return 0;
}
