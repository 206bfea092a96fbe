/* Polling /proc/self/mounts (mounts_poll, LTP epoll_wait10): EPOLLPRI|EPOLLERR once
 * after each change of the mount table, nothing in between. Runs in a scratch cwd. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static void check(int efd, const char *when)
{
	struct epoll_event ev = {0};
	int n = epoll_wait(efd, &ev, 1, 0);

	printf("%s: %d event(s), PRI %d, ERR %d\n", when, n, !!(ev.events & EPOLLPRI),
	       !!(ev.events & EPOLLERR));
}

int main(void)
{
	int fd = open("/proc/self/mounts", O_RDONLY), efd = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLPRI, .data.fd = fd};

	mkdir("mnt", 0755);
	printf("add: %d\n", epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev));
	check(efd, "before");
	mount("none", "mnt", "tmpfs", 0, NULL);
	check(efd, "after mount");
	check(efd, "again");
	mount(NULL, "mnt", NULL, MS_REMOUNT | MS_RDONLY, NULL);
	check(efd, "after remount");
	umount("mnt");
	check(efd, "after umount");
	rmdir("mnt");
	return 0;
}
