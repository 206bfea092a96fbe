/* sendfile and copy_file_range tell a watching directory of an ACCESS of the source
 * and a MODIFY of the destination, as read and write do. Runs in a scratch directory. */
#define _GNU_SOURCE
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/sendfile.h>
#include <sys/inotify.h>
int main(void) {
	char buf[4096];
	int a = open("sa", O_CREAT|O_RDWR, 0644); write(a, "hello", 5);
	int b = open("sb", O_CREAT|O_RDWR, 0644);
	int fd = inotify_init1(IN_NONBLOCK);
	inotify_add_watch(fd, ".", IN_ACCESS|IN_MODIFY);
	off_t off = 0;
	sendfile(b, a, &off, 5);
	loff_t i = 0, o = 5;
	copy_file_range(a, &i, b, &o, 5, 0);
	ssize_t n = read(fd, buf, sizeof buf);
	for (char *p = buf; n > 0 && p < buf + n;) { struct inotify_event *e = (void *)p; printf("%x %s\n", e->mask, e->name); p += sizeof *e + e->len; }
	unlink("sa"); unlink("sb");
	return 0;
}
