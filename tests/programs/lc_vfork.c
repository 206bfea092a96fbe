/* lc_vfork.c - vfork shares the address space and suspends the parent.
 *
 * usage: lc_vfork shared
 *        lc_vfork exec PROGRAM [ARGS...]   (vfork, then execve PROGRAM ARGS)
 *        lc_vfork execfail                 (vfork, execve of a missing file, _exit(127))
 *
 * The child only makes raw system calls (write, nanosleep, execve, _exit):
 * everything else is undefined behaviour after vfork. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int shared_var;
static volatile int child_errno;

static const char *yesno(int c) { return c ? "yes" : "no"; }

static int mode_shared(void)
{
	shared_var = 0;
	pid_t me = getpid();
	pid_t c = vfork();
	if (c == 0) {
		shared_var = 1;
		struct timespec ts = { 0, 50 * 1000000L };
		syscall(SYS_nanosleep, &ts, NULL);
		/* if the parent had been running, it has already looked at the
		 * variable and seen 1 (or 0), never 2 */
		shared_var = (syscall(SYS_getppid) == me) ? 2 : 3;
		syscall(SYS_exit, 9);
	}
	int seen = shared_var;
	printf("vfork returned a pid: %s\n", yesno(c > 0));
	printf("parent saw the child's last write (shared mm, suspended): %s\n", yesno(seen == 2));
	if (seen != 2) printf("parent saw %d\n", seen);
	int st;
	pid_t w = waitpid(c, &st, 0);
	printf("waited the child: %s, status %d\n", yesno(w == c), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	/* a second vfork in a row works too */
	c = vfork();
	if (c == 0) {
		shared_var = 42;
		_exit(0);
	}
	printf("second vfork: child wrote %d\n", shared_var);
	waitpid(c, &st, 0);
	return 0;
}

static int mode_exec(char **argv, char **envp)
{
	shared_var = 0;
	pid_t c = vfork();
	if (c == 0) {
		shared_var = 1;
		syscall(SYS_execve, argv[0], argv, envp);
		child_errno = errno;
		syscall(SYS_exit, 127);
	}
	int seen = shared_var;
	int st;
	pid_t w = waitpid(c, &st, 0);
	printf("parent resumed after the child's exec, saw its write: %s\n", yesno(seen == 1));
	printf("waited the exec'd child: %s, status %d\n", yesno(w == c), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static int mode_execfail(char **envp)
{
	child_errno = 0;
	pid_t c = vfork();
	if (c == 0) {
		char *av[] = { "/nonexistent/program", NULL };
		syscall(SYS_execve, av[0], av, envp);
		child_errno = errno;
		syscall(SYS_exit, 127);
	}
	int st;
	waitpid(c, &st, 0);
	printf("failed exec in vfork child: errno %s, status %d\n",
	       child_errno == ENOENT ? "ENOENT" : "other", WEXITSTATUS(st));
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "shared")) return mode_shared();
	if (!strcmp(m, "exec") && argc > 2) return mode_exec(argv + 2, envp);
	if (!strcmp(m, "execfail")) return mode_execfail(envp);
	fprintf(stderr, "unknown mode %s\n", m);
	return 2;
}
