/* Device nodes made with mknod (LTP open11, statx01): stat shows the type and number,
 * opening one runs the driver of that number (c 1 5 is /dev/zero's), a number no driver
 * has is ENXIO, hard links and renames keep the node, readdir reports DT_CHR/DT_BLK,
 * CAP_MKNOD is needed except for a whiteout (c 0 0).
 * argv[1]: a scratch directory. Block nodes are only stat'ed, never opened. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define UNUSED_MAJOR 60                 /* "local/experimental use": no driver */

static void show(const char *name)
{
	struct stat st;

	if (stat(name, &st)) {
		printf("%s: stat %s\n", name, strerror(errno));
		return;
	}
	printf("%s: %s %u:%u size %ld mode %o nlink %ld\n", name,
	       S_ISCHR(st.st_mode) ? "chr" : S_ISBLK(st.st_mode) ? "blk" : "other",
	       major(st.st_rdev), minor(st.st_rdev), (long)st.st_size, st.st_mode & 07777,
	       (long)st.st_nlink);
}

static void try(const char *what, int ret)
{
	printf("%s: %s\n", what, ret < 0 ? strerror(errno) : "ok");
}

int main(int argc, char **argv)
{
	char buf[4] = {1, 2, 3, 4};
	int fd, pid, st, chr = 0, blk = 0;
	ssize_t n;
	struct dirent *e;
	DIR *d;

	if (argc < 2 || chdir(argv[1]))
		return 2;
	umask(022);
	try("mknod c 1 5", mknod("zero", S_IFCHR | 0666, makedev(1, 5)));
	try("mknod b 60 1", mknod("disk", S_IFBLK | 0600, makedev(UNUSED_MAJOR, 1)));
	try("mknod c 60 7", mknod("nodrv", S_IFCHR | 0600, makedev(UNUSED_MAJOR, 7)));
	try("mknod over zero", mknod("zero", S_IFCHR | 0666, makedev(1, 3)));
	show("zero");
	show("disk");
	fd = open("zero", O_RDWR);
	try("open zero", fd);
	n = read(fd, buf, 4);
	printf("read %zd: %d %d\n", n, buf[0], buf[3]);
	try("write zero", write(fd, buf, 4));
	close(fd);
	try("open nodrv", open("nodrv", O_RDONLY));
	try("link", link("zero", "zero2"));
	try("rename", rename("zero2", "zero3"));
	show("zero3");
	try("chmod", chmod("zero3", 0600));
	show("zero");
	d = opendir(".");
	while ((e = readdir(d)))
		chr += e->d_type == DT_CHR, blk += e->d_type == DT_BLK;
	closedir(d);
	printf("readdir: %d chr, %d blk\n", chr, blk);
	try("unlink zero", unlink("zero"));
	show("zero3");
	chmod(".", 0777);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {             /* without CAP_MKNOD: EPERM, but a whiteout is allowed */
		prctl(PR_CAPBSET_DROP, 27);
		setuid(1000);
		try("unprivileged mknod c 1 3", mknod("null", S_IFCHR | 0666, makedev(1, 3)));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	try("whiteout c 0 0", mknod("wh", S_IFCHR, 0));
	show("wh");
	unlink("wh");
	unlink("zero3");
	unlink("disk");
	unlink("nodrv");
	return 0;
}
