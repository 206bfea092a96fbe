/* The demo's first program: a few syscalls a student can follow into the kernel. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char cwd[256];
	void *heap = malloc(100000);        /* brk or mmap, depending on the libc */

	printf("hello from pid %d, argv[0] = %s\n", getpid(), argv[0]);
	if (getcwd(cwd, sizeof(cwd)))
		printf("my working directory is %s\n", cwd);
	free(heap);
	return argc > 1 ? atoi(argv[1]) : 0;
}
