/* Parent and child bounce a counter over two pipes, the reading side using readv into
 * two buffers: a readv that finds its pipe empty in the syscall hook parks like read
 * (fs/read_write.c: sys_readv, ERESTART_PARK) and runs again when the byte arrives. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static int readv_exact(int fd, unsigned *value)
{
	unsigned char lo[2], hi[2];
	struct iovec iov[2] = { { lo, sizeof lo }, { hi, sizeof hi } };
	ssize_t n = readv(fd, iov, 2);

	if (n != 4)
		return -1;
	*value = lo[0] | lo[1] << 8 | hi[0] << 16 | (unsigned)hi[1] << 24;
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 100, to_child[2], to_parent[2], status;
	unsigned value = 0, sum = 0;

	if (pipe(to_child) || pipe(to_parent))
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < rounds; i++) {
			if (readv_exact(to_child[0], &value))
				_exit(2);
			value += 3;
			if (write(to_parent[1], &value, 4) != 4)
				_exit(3);
		}
		_exit(0);
	}
	for (int i = 0; i < rounds; i++) {
		value = i * 7;
		if (write(to_child[1], &value, 4) != 4 || readv_exact(to_parent[0], &value))
			return 4;
		sum += value;
	}
	waitpid(pid, &status, 0);
	printf("rounds %d sum %u child exit %d\n", rounds, sum, WEXITSTATUS(status));
	return 0;
}
