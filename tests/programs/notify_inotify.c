/* inotify: a watch on a scratch directory (and one on a file in it) sees create,
 * modify, attrib, open/close, moves with one cookie, delete, delete_self and ignored
 * in Linux's order; IN_ONESHOT, IN_MASK_CREATE, IN_ONLYDIR, rm_watch, the too-small
 * buffer EINVAL, a nonblocking read's EAGAIN, poll readiness and FIONREAD.
 * Runs in the current directory (a scratch one) and removes what it makes. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static int wd_dir, wd_file, wd_sub;

/* Print a call's result and, when it failed, its errno. */
#define TRY(label, call) do { errno = 0; long r_ = (call); \
	printf("%s: %ld %s\n", label, r_, r_ < 0 ? strerror(errno) : "ok"); } while (0)
static char buf[8192] __attribute__((aligned(8)));

static const char *wdname(int wd)
{
	if (wd == wd_dir) return "dir";
	if (wd == wd_file) return "file";
	if (wd == wd_sub) return "sub";
	return wd == -1 ? "-1" : "?";
}

static void show(const char *mask_names[], unsigned mask)
{
	static const struct { unsigned bit; const char *name; } bits[] = {
		{IN_ACCESS, "ACCESS"}, {IN_MODIFY, "MODIFY"}, {IN_ATTRIB, "ATTRIB"},
		{IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"},
		{IN_OPEN, "OPEN"}, {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},
		{IN_CREATE, "CREATE"}, {IN_DELETE, "DELETE"}, {IN_DELETE_SELF, "DELETE_SELF"},
		{IN_MOVE_SELF, "MOVE_SELF"}, {IN_UNMOUNT, "UNMOUNT"}, {IN_Q_OVERFLOW, "OVERFLOW"},
		{IN_IGNORED, "IGNORED"}, {IN_ISDIR, "ISDIR"}};
	(void)mask_names;
	for (unsigned i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (mask & bits[i].bit)
			printf(" %s", bits[i].name);
}

/* Read and print every queued event; the cookies of a move pair must match. */
static void drain(int fd, const char *label)
{
	unsigned last_cookie = 0;
	printf("-- %s\n", label);
	for (;;) {
		int avail = -1;
		ioctl(fd, FIONREAD, &avail);
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			printf("read: %s\n", strerror(errno));
			return;
		}
		if (n != avail)
			printf("FIONREAD %d but read %zd\n", avail, n);
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			printf("%s", wdname(ev->wd));
			show(NULL, ev->mask);
			if (ev->len)
				printf(" name=%s len=%u", ev->name, ev->len);
			if (ev->mask & IN_MOVED_FROM)
				last_cookie = ev->cookie;
			if (ev->mask & IN_MOVED_TO)
				printf(" cookie=%s", ev->cookie && ev->cookie == last_cookie ? "same" : "DIFFERENT");
			printf("\n");
			p += sizeof(*ev) + ev->len;
		}
		struct pollfd pfd = {fd, POLLIN, 0};
		if (poll(&pfd, 1, 0) == 0)
			break;
	}
}

int main(void)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0) { perror("inotify_init1"); return 1; }
	printf("cloexec %d nonblock %d\n", !!(fcntl(fd, F_GETFD) & FD_CLOEXEC),
	       !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
	if (mkdir("d", 0755)) { perror("mkdir"); return 1; }
	struct pollfd pfd = {fd, POLLIN, 0};
	printf("poll empty: %d\n", poll(&pfd, 1, 0));
	TRY("read empty", read(fd, buf, sizeof(buf)));

	wd_dir = inotify_add_watch(fd, "d", IN_ALL_EVENTS);
	printf("wd_dir %d\n", wd_dir);
	int f = open("d/a", O_CREAT | O_WRONLY, 0644);
	write(f, "hello", 5);
	write(f, "world", 5);            /* coalesced with the first MODIFY */
	close(f);
	drain(fd, "create, write, close");

	wd_file = inotify_add_watch(fd, "d/a", IN_ALL_EVENTS);
	printf("same wd again: %d\n", inotify_add_watch(fd, "d/a", IN_MODIFY) == wd_file);
	TRY("MASK_CREATE", inotify_add_watch(fd, "d/a", IN_MODIFY | IN_MASK_CREATE));
	TRY("MASK_ADD|MASK_CREATE", inotify_add_watch(fd, "d/a", IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE));
	TRY("ONLYDIR", inotify_add_watch(fd, "d/a", IN_MODIFY | IN_ONLYDIR));
	TRY("zero mask", inotify_add_watch(fd, "d/a", 0));
	TRY("bad bit", inotify_add_watch(fd, "d/a", IN_MODIFY | 0x8000000));
	TRY("not inotify", inotify_add_watch(0, "d/a", IN_MODIFY));
	TRY("bad fd", inotify_add_watch(99, "d/a", IN_MODIFY));
	TRY("missing", inotify_add_watch(fd, "d/nope", IN_MODIFY));
	TRY("init1 bad flag", inotify_init1(1));
	/* the watch now only wants MODIFY; add back everything */
	inotify_add_watch(fd, "d/a", IN_ALL_EVENTS | IN_MASK_ADD);

	chmod("d/a", 0600);
	f = open("d/a", O_RDONLY);
	read(f, buf, 3);
	close(f);
	truncate("d/a", 1);
	struct timeval tv[2] = {{1, 0}, {2, 0}};
	utimes("d/a", tv);
	drain(fd, "attrib, read, truncate, utimes on a file watched twice");

	chmod("d/a", 0644);
	TRY("tiny buffer", read(fd, buf, 10));
	drain(fd, "after tiny buffer");

	mkdir("d/sub", 0755);
	wd_sub = inotify_add_watch(fd, "d/sub", IN_ALL_EVENTS | IN_ONESHOT);
	rename("d/a", "d/sub/b");
	rename("d/sub/b", "d/c");
	drain(fd, "moves (sub is oneshot)");

	link("d/c", "d/h");
	unlink("d/h");
	unlink("d/c");
	drain(fd, "link, unlink twice");

	wd_sub = inotify_add_watch(fd, "d/sub", IN_ALL_EVENTS);
	TRY("rm_watch", inotify_rm_watch(fd, wd_sub));
	TRY("rm_watch again", inotify_rm_watch(fd, wd_sub));
	rmdir("d/sub");
	drain(fd, "rm_watch, rmdir");

	symlink("target", "d/s");
	printf("DONT_FOLLOW on dangling: %d\n", inotify_add_watch(fd, "d/s", IN_ATTRIB | IN_DONT_FOLLOW) > 0);
	unlink("d/s");
	rmdir("d");
	drain(fd, "symlink, rmdir of the watched dir");
	close(fd);
	return 0;
}
