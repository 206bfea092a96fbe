/* Exec across the modes. Built with -m32 (or for x86-64: the same program the other way):
 *   compat_exec PROG ARGS...   print a line, flush, then execv PROG with ARGS
 *   compat_exec                print which mode this program runs in
 */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	printf("%d-bit program, pid>0=%d, %d args\n", (int)sizeof(void *) * 8, getpid() > 0, argc - 1);
	fflush(stdout);
	if (argc > 1) {
		execv(argv[1], argv + 1);
		perror("execv");
		return 127;
	}
	return 0;
}
