/* lc_probe.c - target of the exec tests: reports what execve handed it.
 *
 * Prints argc, every argv[i] (strings longer than 64 bytes as their length
 * and a checksum), and the environment.  Arguments of the form
 *   fd=N      report whether descriptor N is open (fcntl F_GETFD) and its
 *             FD_CLOEXEC bit
 *   sigs      report the dispositions of SIGUSR1, SIGUSR2, SIGTERM, SIGINT
 *             and whether SIGHUP is blocked
 *   exit=N    exit with status N (default 0)
 * are acted on as well as printed.  Used as a #! interpreter too, so it
 * never requires a particular argv layout. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static const char *disp(int sig)
{
	struct sigaction sa;
	if (sigaction(sig, NULL, &sa) < 0) return "error";
	if (sa.sa_handler == SIG_DFL) return "SIG_DFL";
	if (sa.sa_handler == SIG_IGN) return "SIG_IGN";
	return "handler";
}

int main(int argc, char **argv)
{
	int status = 0;
	printf("probe: argc=%d\n", argc);
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (n > 64) {
			unsigned long h = 5381;
			for (size_t k = 0; k < n; k++) h = h * 33 + (unsigned char)argv[i][k];
			printf("probe: argv[%d]=<%zu bytes, hash %lx>\n", i, n, h);
		} else {
			printf("probe: argv[%d]=[%s]\n", i, argv[i]);
		}
	}
	printf("probe: argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
	int ne = 0;
	for (char **e = environ; *e; e++, ne++) {
		size_t n = strlen(*e);
		if (n > 64) {
			unsigned long h = 5381;
			for (size_t k = 0; k < n; k++) h = h * 33 + (unsigned char)(*e)[k];
			printf("probe: env[%d]=<%zu bytes, hash %lx>\n", ne, n, h);
		} else {
			printf("probe: env[%d]=[%s]\n", ne, *e);
		}
	}
	printf("probe: envc=%d\n", ne);
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "fd=", 3)) {
			int fd = atoi(argv[i] + 3);
			int r = fcntl(fd, F_GETFD);
			if (r < 0)
				printf("probe: fd %d: closed (%s)\n", fd, errno == EBADF ? "EBADF" : "other");
			else
				printf("probe: fd %d: open, FD_CLOEXEC=%d\n", fd, !!(r & FD_CLOEXEC));
		} else if (!strcmp(argv[i], "sigs")) {
			printf("probe: SIGUSR1 %s\n", disp(SIGUSR1));
			printf("probe: SIGUSR2 %s\n", disp(SIGUSR2));
			printf("probe: SIGTERM %s\n", disp(SIGTERM));
			printf("probe: SIGINT %s\n", disp(SIGINT));
			sigset_t cur;
			sigprocmask(SIG_BLOCK, NULL, &cur);
			printf("probe: SIGHUP blocked: %s\n", sigismember(&cur, SIGHUP) ? "yes" : "no");
			printf("probe: SIGUSR1 blocked: %s\n", sigismember(&cur, SIGUSR1) ? "yes" : "no");
		} else if (!strncmp(argv[i], "exit=", 5)) {
			status = atoi(argv[i] + 5);
		}
	}
	return status;
}
