/* A chain of programs that take turns through pipes: the parent sends numbered lines to
 * the first of the programs named on its command line, each passes what it reads on to
 * the next, and the last one's output comes back to the parent:
 *
 *     pipe_exec_echo ROUNDS PROGRAM [PROGRAM...]
 *
 * The programs are static, linked at 0x400000: their code sits at the same virtual
 * addresses, so every switch between them loads CR3 and must forget translated code
 * looked up by address (the patched Unicorn's jump cache clear). Two builds of
 * pipe_echo.c differ only in one immediate at the same address: code kept from one
 * would change what the other writes. The parent prints a checksum of what came back. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int read_exact(int fd, char *buf, int n)
{
	for (int done = 0; done < n;) {
		ssize_t got = read(fd, buf + done, n - done);
		if (got <= 0)
			return -1;
		done += got;
	}
	return 0;
}

/* Start argv-style program prog reading from in and writing to out. */
static pid_t start(char *prog, int in, int out)
{
	pid_t pid = fork();

	if (pid == 0) {
		dup2(in, 0);
		dup2(out, 1);
		for (int fd = 3; fd < 64; fd++)
			close(fd);
		execl(prog, prog, (char *)0);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[1]) : 0, nprogs = argc - 2, first[2], failed = 0;
	unsigned sum = 0;

	if (nprogs < 1 || nprogs > 8 || pipe(first))
		return 1;
	int in = first[0];
	for (int i = 0; i < nprogs; i++) {
		int next[2];
		if (pipe(next))
			return 1;
		start(argv[2 + i], in, next[1]);
		close(in);
		close(next[1]);
		in = next[0];
	}
	for (int i = 0; i < rounds; i++) {
		char line[32], back[32];
		int n = snprintf(line, sizeof line, "line %d\n", i * 13);
		if (write(first[1], line, n) != n || read_exact(in, back, n))
			return 2;
		for (int k = 0; k < n; k++)
			sum = sum * 31 + (unsigned char)back[k];
	}
	close(first[1]);
	for (int status; wait(&status) > 0;)
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	printf("rounds %d sum %u failed %d\n", rounds, sum, failed);
	return 0;
}
