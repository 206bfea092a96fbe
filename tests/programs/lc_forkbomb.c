/* lc_forkbomb.c - fork until the kernel refuses, then clean up.
 *
 * usage: lc_forkbomb nproc      RLIMIT_NPROC = 50 (as user nobody if started
 *                               as root: root is exempt from the limit)
 *        lc_forkbomb cap N      no limit of ours: stop at the first failure
 *                               (glasskernel's global task cap, --max-tasks N)
 *
 * Children block reading a pipe until the parent closes its write end, so
 * they all stay alive until the fork fails; then all are released and
 * reaped. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN 5000

static pid_t kids[MAX_CHILDREN];

static const char *yesno(int c) { return c ? "yes" : "no"; }

static int bomb(int limit_label, int min_children)
{
	int p[2];
	if (pipe(p) < 0) { perror("pipe"); return 1; }
	int n = 0, err = 0;
	while (n < MAX_CHILDREN) {
		pid_t c = fork();
		if (c < 0) { err = errno; break; }
		if (c == 0) {
			char x;
			close(p[1]);
			while (read(p[0], &x, 1) > 0)
				;
			_exit(0);
		}
		kids[n++] = c;
	}
	printf("fork failed with EAGAIN: %s\n", yesno(err == EAGAIN));
	printf("at most %d processes: %s\n", limit_label, yesno(n + 1 <= limit_label));
	printf("at least %d children: %s\n", min_children, yesno(n >= min_children));
	close(p[1]);
	int reaped = 0, clean = 0;
	for (int i = 0; i < n; i++) {
		int st;
		if (waitpid(kids[i], &st, 0) == kids[i]) {
			reaped++;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0) clean++;
		}
	}
	int st;
	printf("all children reaped: %s\n", yesno(reaped == n && clean == n));
	printf("no children left: %s\n", yesno(waitpid(-1, &st, 0) == -1 && errno == ECHILD));
	/* and forking works again */
	pid_t c = fork();
	if (c == 0) _exit(3);
	printf("fork works again: %s\n", yesno(c > 0 && waitpid(c, &st, 0) == c && WEXITSTATUS(st) == 3));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "nproc")) {
		struct rlimit rl = { 50, 50 };
		if (setrlimit(RLIMIT_NPROC, &rl) < 0) { perror("setrlimit"); return 1; }
		if (getuid() == 0) {
			gid_t g = 65534;
			if (setgroups(1, &g) < 0 || setgid(65534) < 0 || setuid(65534) < 0) {
				perror("dropping root");
				return 1;
			}
		}
		printf("not root (any more): %s\n", yesno(getuid() != 0 && geteuid() != 0));
		return bomb(50, 10);
	}
	if (!strcmp(m, "cap") && argc > 2) {
		int cap = atoi(argv[2]);
		return bomb(cap, cap / 2);
	}
	fprintf(stderr, "usage: lc_forkbomb nproc | cap N\n");
	return 2;
}
