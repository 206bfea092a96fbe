/* inotify on an unlinked inode still open: the old parent keeps hearing of it by name,
 * DELETE_SELF and IN_IGNORED wait for the last close; a working directory removed
 * keeps its inode (and its watch) too. Runs in the current (scratch) directory. */
#include <sys/stat.h>
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/inotify.h>
static void drain(int fd, const char *l) { char buf[4096]; ssize_t n = read(fd, buf, sizeof buf); printf("%s:", l);
	for (char *p = buf; n > 0 && p < buf + n; ) { struct inotify_event *e = (void*)p; printf(" %d:%x%s%s", e->wd, e->mask, e->len ? "/" : "", e->len ? e->name : ""); p += sizeof *e + e->len; } printf("\n"); }
int main(void) {
	int f = open("zz", O_CREAT|O_RDWR, 0644);
	int fd = inotify_init1(IN_NONBLOCK);
	inotify_add_watch(fd, ".", IN_ALL_EVENTS);
	inotify_add_watch(fd, "zz", IN_ALL_EVENTS);
	unlink("zz"); drain(fd, "unlink");
	write(f, "a", 1); drain(fd, "write");
	close(f); drain(fd, "close");
	int top = open(".", O_RDONLY | O_DIRECTORY);
	mkdir("dd", 0755); inotify_add_watch(fd, "dd", IN_ALL_EVENTS); chdir("dd"); rmdir("../dd"); drain(fd, "rmdir cwd");
	fchdir(top); drain(fd, "chdir out");
	return 0;
}
