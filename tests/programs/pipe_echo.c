/* Copies standard input to standard output a read at a time until end of file, each
 * byte XORed with ECHO_KEY (-DECHO_KEY=N; 1 by default). Two builds with different keys
 * lay out the same code at the same addresses and differ only in that immediate: the
 * partners pipe_exec_echo chains together. */
#include <unistd.h>

#ifndef ECHO_KEY
#define ECHO_KEY 1
#endif

int main(void)
{
	char buf[256];
	ssize_t n;

	while ((n = read(0, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			buf[i] ^= ECHO_KEY;
		if (write(1, buf, n) != n)
			return 1;
	}
	return n < 0;
}
