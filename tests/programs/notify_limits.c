/* inotify's limits, run under glasskernel after a script lowered them in
 * /proc/sys/fs/inotify: max_user_instances (EMFILE), max_user_watches (ENOSPC) and
 * max_queued_events (one IN_Q_OVERFLOW, wd -1, after that many events). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char buf[4096];
	int a = inotify_init1(IN_NONBLOCK), b = inotify_init();
	errno = 0;
	int c = inotify_init();
	printf("instances: %d %d %d %s\n", a >= 0, b >= 0, c, errno == EMFILE ? "EMFILE" : "?");
	close(b);
	mkdir("lim", 0755);
	int w1 = inotify_add_watch(a, "lim", IN_ATTRIB | IN_CREATE);
	if (w1 < 0)
		perror("add_watch lim");
	errno = 0;
	int w2 = inotify_add_watch(a, "/", IN_ATTRIB);
	printf("watches: %d %d %s\n", w1, w2, errno == ENOSPC ? "ENOSPC" : "?");
	/* ATTRIB and CREATE in turn: no two events in a row are the same, so none merge */
	for (int i = 0; i < 3; i++) {
		char name[16];
		chmod("lim", i & 1 ? 0755 : 0700);
		snprintf(name, sizeof(name), "lim/%d", i);
		mkdir(name, 0755);
		rmdir(name);
	}
	ssize_t n = read(a, buf, sizeof(buf));
	for (char *p = buf; n > 0 && p < buf + n;) {
		struct inotify_event *ev = (struct inotify_event *)p;
		printf("event wd %d mask %#x\n", ev->wd, ev->mask);
		p += sizeof(*ev) + ev->len;
	}
	rmdir("lim");
	return 0;
}
