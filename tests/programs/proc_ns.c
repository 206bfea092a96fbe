/* /proc/<pid>/ns/pid and pid_for_children: magic links reading "pid:[INODE]" whose target's
 * inode number is INODE (LTP's kconfig check for CONFIG_PID_NS asks access() of
 * /proc/self/ns/pid); a child in a new pid namespace shows another inode, and its parent's
 * pid_for_children is unchanged. Inode numbers differ between hosts, so only relations print. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long link_inode(const char *path)
{
	char buf[64];
	unsigned long ino = 0;
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return 0;
	buf[n] = 0;
	if (sscanf(buf, "pid:[%lu]", &ino) != 1)
		return 0;
	return ino;
}

static char stack[65536];

static int child(void *arg)
{
	unsigned long parent_ino = *(unsigned long *)arg;
	unsigned long mine = link_inode("/proc/self/ns/pid");
	printf("child: pid %d, its ns differs from the parent's: %d\n", getpid(),
	       mine != 0 && mine != parent_ino);
	fflush(stdout);
	return 0;
}

int main(void)
{
	struct stat st, lst;
	unsigned long ino = link_inode("/proc/self/ns/pid");
	printf("access: %d\n", access("/proc/self/ns/pid", F_OK));
	printf("readlink is pid:[N]: %d\n", ino != 0);
	printf("stat ino is N: %d\n", stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == ino);
	printf("a regular file: %d\n", S_ISREG(st.st_mode));
	printf("lstat is a symlink: %d\n", lstat("/proc/self/ns/pid", &lst) == 0 && S_ISLNK(lst.st_mode));
	printf("pid_for_children is the same ns: %d\n", link_inode("/proc/self/ns/pid_for_children") == ino);
	int fd = open("/proc/self/ns/pid", O_RDONLY);
	char c, path[64];
	printf("open: %d\n", fd >= 0);
	ssize_t r = read(fd, &c, 1);
	printf("read: %zd %s\n", r, r < 0 ? strerror(errno) : "");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	printf("the fd's link is the ns link: %d\n", link_inode(path) == ino);
	close(fd);
	fd = open("/proc/self/ns/nonexistent", O_RDONLY);
	printf("nonexistent entry: %s\n", fd < 0 ? strerror(errno) : "opened");
	fflush(stdout);
	pid_t pid = clone(child, stack + sizeof(stack), CLONE_NEWPID | SIGCHLD, &ino);
	if (pid < 0) {
		printf("clone(CLONE_NEWPID): %s\n", strerror(errno));
		return 0;
	}
	waitpid(pid, NULL, 0);
	return 0;
}
