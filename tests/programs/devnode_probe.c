/* Open device nodes of the host tree below the root (argv[1..]) and report what a read
 * gives; then chmod the first, which copies it up. Under glasskernel a node opens our
 * driver of its number or fails with ENXIO, never the host's device. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;

	for (int i = 1; i < argc; i++) {
		char buf[16];
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			printf("%s: open: %s\n", argv[i], strerror(errno));
			continue;
		}
		printf("%s: read %zd\n", argv[i], read(fd, buf, sizeof buf));
		close(fd);
	}
	printf("chmod: %d\n", chmod(argv[1], 0600));
	stat(argv[1], &st);
	printf("%s: chr %d %u:%u mode %o\n", argv[1], S_ISCHR(st.st_mode), major(st.st_rdev),
	       minor(st.st_rdev), st.st_mode & 07777);
	return 0;
}
