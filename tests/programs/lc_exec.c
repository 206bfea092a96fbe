/* lc_exec.c - execve/execveat: argument passing, what survives an exec, and
 * the refused cases.  The exec target is lc_probe (its path is an argument).
 *
 * usage: lc_exec basic PROBE        argv/envp passed exactly
 *        lc_exec nullargv PROBE     execve(PROBE, NULL, NULL)
 *        lc_exec fds PROBE          close-on-exec descriptors closed, others kept
 *        lc_exec sigs PROBE         caught signals reset to SIG_DFL, ignored stay ignored
 *        lc_exec errors PROBE DIR   ENOENT/EACCES/ENOEXEC/E2BIG/EFAULT/...; the caller
 *                                   survives every failure.  DIR holds "noexec" (0644),
 *                                   "junk" (0755, not a program), "subdir/" and
 *                                   "badinterp" (#! to a missing interpreter).
 *        lc_exec maxarg PROBE       a single argument of MAX_ARG_STRLEN-1 bytes is fine
 *        lc_exec execveat PROBE     execveat with AT_EMPTY_PATH on O_PATH and O_RDONLY fds,
 *                                   and relative to a directory fd
 *        lc_exec run PATH ARGS...   execve(PATH, {"argv0-is-dropped", ARGS...}, environ):
 *                                   for #! scripts */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

extern char **environ;

static const char *ename(int e)
{
	switch (e) {
	case 0: return "0";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case ENOEXEC: return "ENOEXEC";
	case E2BIG: return "E2BIG";
	case EFAULT: return "EFAULT";
	case ENOTDIR: return "ENOTDIR";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ELOOP: return "ELOOP";
	case EISDIR: return "EISDIR";
	default: return "other";
	}
}

static long raw_execve(const char *path, char *const *argv, char *const *envp)
{
	return syscall(SYS_execve, path, argv, envp);
}

static long raw_execveat(int dfd, const char *path, char *const *argv, char *const *envp, int flags)
{
	return syscall(SYS_execveat, dfd, path, argv, envp, flags);
}

static void report(const char *what, long r)
{
	printf("%s: ret %ld errno %s\n", what, r, r < 0 ? ename(errno) : "-");
}

static void handler(int sig) { (void)sig; }

/* ----------------------------------------------------------------- modes */

static int mode_basic(const char *probe)
{
	char *av[] = { "probe-argv0", "a b", "", "x", "  lead and trail  ", "ünï", NULL };
	char *ev[] = { "A=1", "B=two words", "EMPTY=", "NOEQUALS", "A=again", "Z=last", NULL };
	long r = raw_execve(probe, av, ev);
	report("execve", r);
	return 1;
}

static int mode_nullargv(const char *probe)
{
	long r = raw_execve(probe, NULL, NULL);
	report("execve", r);
	return 1;
}

static void place(int fd, int target)
{
	if (fd >= 0 && fd != target) {
		dup2(fd, target);
		close(fd);
	}
}

static int mode_fds(const char *probe)
{
	int fd;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);            /* 10: O_CLOEXEC */
	/* dup2 does not copy FD_CLOEXEC, so set it again after placing */
	place(fd, 10); fcntl(10, F_SETFD, FD_CLOEXEC);
	fd = open("/dev/null", O_RDONLY);                        /* 11: plain */
	place(fd, 11);
	fd = open("/dev/null", O_WRONLY);                        /* 12: F_SETFD later */
	place(fd, 12); fcntl(12, F_SETFD, FD_CLOEXEC);
	fd = dup(10);                                            /* 13: dup clears it */
	place(fd, 13);
	fd = fcntl(11, F_DUPFD_CLOEXEC, 14);                     /* 14: F_DUPFD_CLOEXEC */
	if (fd != 14) printf("F_DUPFD_CLOEXEC gave %d\n", fd);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		printf("pipe2 failed\n");
		p[0] = p[1] = -1;
	}
	place(p[0], 15);                                         /* 15: dup2 clears it */
	place(p[1], 16); fcntl(16, F_SETFD, FD_CLOEXEC);         /* 16: cloexec pipe end */
	dup3(11, 17, O_CLOEXEC);                                 /* 17: dup3 O_CLOEXEC */
	fd = open("/dev/null", O_RDONLY);                        /* 18: cloexec cleared again */
	place(fd, 18); fcntl(18, F_SETFD, FD_CLOEXEC); fcntl(18, F_SETFD, 0);
	char *av[] = { "probe", "fd=0", "fd=1", "fd=2", "fd=9", "fd=10", "fd=11", "fd=12", "fd=13",
		       "fd=14", "fd=15", "fd=16", "fd=17", "fd=18", "fd=19", NULL };
	char *ev[] = { "FDTEST=1", NULL };
	long r = raw_execve(probe, av, ev);
	report("execve", r);
	return 1;
}

static int mode_sigs(const char *probe)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	char *av[] = { "probe", "sigs", NULL };
	char *ev[] = { NULL };
	long r = raw_execve(probe, av, ev);
	report("execve", r);
	return 1;
}

static int mode_errors(const char *probe, const char *dir)
{
	char path[4096];
	char *av[] = { "x", NULL };
	char *ev[] = { NULL };
	long r;

	/* the limits below assume an 8 MiB stack rlimit: 2 MiB for strings */
	struct rlimit rl = { 8 << 20, 8 << 20 };
	struct rlimit old;
	getrlimit(RLIMIT_STACK, &old);
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < rl.rlim_max) rl.rlim_max = old.rlim_max;
	setrlimit(RLIMIT_STACK, &rl);

	snprintf(path, sizeof path, "%s/does-not-exist", dir);
	r = raw_execve(path, av, ev);
	report("missing file", r);
	r = raw_execve("", av, ev);
	report("empty path", r);
	snprintf(path, sizeof path, "%s/nodir/prog", dir);
	r = raw_execve(path, av, ev);
	report("missing directory", r);
	snprintf(path, sizeof path, "%s/noexec", dir);
	r = raw_execve(path, av, ev);
	report("no x bit", r);
	snprintf(path, sizeof path, "%s/subdir", dir);
	r = raw_execve(path, av, ev);
	report("directory", r);
	snprintf(path, sizeof path, "%s/junk", dir);
	r = raw_execve(path, av, ev);
	report("junk file", r);
	snprintf(path, sizeof path, "%s/junk/below", dir);
	r = raw_execve(path, av, ev);
	report("path through a file", r);
	snprintf(path, sizeof path, "%s/badinterp", dir);
	r = raw_execve(path, av, ev);
	report("#! missing interpreter", r);

	/* E2BIG: one string longer than MAX_ARG_STRLEN (32 pages incl. NUL) */
	size_t big = 32 * 4096;
	char *s = malloc(big + 1);
	memset(s, 'a', big);
	s[big] = 0;
	char *av1[] = { "x", s, NULL };
	r = raw_execve(probe, av1, ev);
	report("argument of 131072 bytes", r);
	char *ev1[] = { s, NULL };
	r = raw_execve(probe, av, ev1);
	report("environment string of 131072 bytes", r);
	/* E2BIG: 25 strings of 100 KB = 2.5 MB > 8 MiB / 4 */
	size_t each = 100 * 1024;
	char *t = malloc(each + 1);
	memset(t, 'b', each);
	t[each] = 0;
	char *av2[27];
	av2[0] = "x";
	for (int i = 1; i <= 25; i++) av2[i] = t;
	av2[26] = NULL;
	r = raw_execve(probe, av2, ev);
	report("25 arguments of 100 KiB", r);

	/* EFAULT */
	r = raw_execve(probe, (char **)1, ev);
	report("argv pointer bad", r);
	char *av3[] = { "x", (char *)8, NULL };
	r = raw_execve(probe, av3, ev);
	report("argv[1] bad", r);
	r = raw_execve(probe, av, (char **)1);
	report("envp pointer bad", r);
	r = raw_execve((char *)8, av, ev);
	report("path pointer bad", r);

	/* execveat misuse */
	r = raw_execveat(-1, "", av, ev, AT_EMPTY_PATH);
	report("execveat bad fd", r);
	r = raw_execveat(AT_FDCWD, probe, av, ev, 0x7);
	report("execveat bad flags", r);
	int fd = open(probe, O_RDONLY);
	r = raw_execveat(fd, "", av, ev, 0);
	report("execveat empty path without AT_EMPTY_PATH", r);
	snprintf(path, sizeof path, "%s/subdir", dir);
	int dfd = open(path, O_RDONLY | O_DIRECTORY);
	r = raw_execveat(dfd, "", av, ev, AT_EMPTY_PATH);
	report("execveat AT_EMPTY_PATH on a directory", r);

	printf("caller intact after failed execs: yes\n");
	return 0;
}

static int mode_maxarg(const char *probe)
{
	size_t n = 32 * 4096 - 1;
	char *s = malloc(n + 1);
	for (size_t i = 0; i < n; i++) s[i] = 'a' + i % 26;
	s[n] = 0;
	char *av[] = { "probe", s, NULL };
	char *ev[] = { s, NULL };
	long r = raw_execve(probe, av, ev);
	report("execve", r);
	return 1;
}

static int run_child(const char *what, int dfd, const char *path, int flags)
{
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char *av[] = { "probe", (char *)what, "exit=3", NULL };
		char *ev[] = { "VIA=execveat", NULL };
		long r = raw_execveat(dfd, path, av, ev, flags);
		report(what, r);
		_exit(100);
	}
	int st;
	waitpid(c, &st, 0);
	printf("%s: child status %d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static int mode_execveat(const char *probe)
{
	int fd = open(probe, O_PATH);
	run_child("O_PATH fd", fd, "", AT_EMPTY_PATH);
	close(fd);
	fd = open(probe, O_RDONLY);
	run_child("O_RDONLY fd", fd, "", AT_EMPTY_PATH);
	close(fd);
	fd = open(probe, O_RDONLY | O_CLOEXEC);
	run_child("O_RDONLY|O_CLOEXEC fd", fd, "", AT_EMPTY_PATH);
	close(fd);
	char *copy = strdup(probe);
	char *copy2 = strdup(probe);
	int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	run_child("directory fd + name", dfd, basename(copy2), 0);
	run_child("AT_FDCWD + absolute path", AT_FDCWD, probe, 0);
	return 0;
}

static int mode_run(int argc, char **argv)
{
	char *av[64];
	int n = 0;
	av[n++] = "argv0-is-dropped";
	for (int i = 1; i < argc && n < 63; i++) av[n++] = argv[i];
	av[n] = NULL;
	long r = raw_execve(argv[0], av, environ);
	report("execve", r);
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *m = argc > 2 ? argv[1] : "";
	const char *probe = argc > 2 ? argv[2] : "";
	if (!strcmp(m, "basic")) return mode_basic(probe);
	if (!strcmp(m, "nullargv")) return mode_nullargv(probe);
	if (!strcmp(m, "fds")) return mode_fds(probe);
	if (!strcmp(m, "sigs")) return mode_sigs(probe);
	if (!strcmp(m, "errors") && argc > 3) return mode_errors(probe, argv[3]);
	if (!strcmp(m, "maxarg")) return mode_maxarg(probe);
	if (!strcmp(m, "execveat")) return mode_execveat(probe);
	if (!strcmp(m, "run")) return mode_run(argc - 2, argv + 2);
	fprintf(stderr, "usage: lc_exec MODE PROBE ...\n");
	return 2;
}
