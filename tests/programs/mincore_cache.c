/* mincore on a private file mapping reports the page cache: pages another process
 * faulted in are resident for this one too, before it touched them (LTP mincore04). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int resident(void *p, size_t len)
{
	unsigned char vec[8];
	int n = 0;

	if (mincore(p, len, vec))
		return -1;
	for (size_t i = 0; i < len / 4096; i++)
		n += vec[i] & 1;
	return n;
}

int main(int argc, char **argv)
{
	size_t len = 3 * 4096;
	int fd, st;
	char *p;

	if (argc < 2 || chdir(argv[1]))
		return 2;
	fd = open("file", O_CREAT | O_RDWR | O_TRUNC, 0600);
	ftruncate(fd, len);
	fsync(fd);
	posix_fadvise(fd, 0, len, POSIX_FADV_DONTNEED);
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("before: %d resident\n", resident(p, len));
	if (fork() == 0) {
		volatile char sum = 0;
		for (size_t i = 0; i < len; i += 4096)
			sum += p[i];
		_exit(0);
	}
	wait(&st);
	printf("after the child read them: %d resident\n", resident(p, len));
	return 0;
}
