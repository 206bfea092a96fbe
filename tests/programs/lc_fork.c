/* lc_fork.c - process lifecycle: fork, exit, wait*, reparenting, zombies.
 *
 * usage: lc_fork MODE
 *   twice    fork returns 0 in the child and the child's pid in the parent
 *   tree     a tree of 100 processes (root, 9 children, 90 grandchildren), all reaped
 *   orphan   getppid() of a grandchild changes when its parent dies
 *   zombie   /proc/<pid>/stat state S while blocked, Z after exit until reaped
 *   codes    wait status for every exit code 0..255
 *   signals  wait status for deaths by SIGKILL, SIGTERM, SIGSEGV, SIGABRT
 *   wnohang  WNOHANG on a live child returns 0
 *   echild   wait with no children fails with ECHILD
 *   pgrp     waitpid(pid), waitpid(0) (own group), waitpid(-pgid)
 *   waitid   waitid WEXITED|WNOWAIT keeps the zombie; siginfo fields
 *   rusage   wait4's rusage is non-negative
 *
 * Prints relations only (never raw pids).  RLIMIT_CORE is set to 0 and the
 * dying children make themselves non-dumpable, so no core is ever written and
 * WCOREDUMP is 0 on every host. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *yesno(int c) { return c ? "yes" : "no"; }

static const char *ename(int e)
{
	switch (e) {
	case 0: return "0";
	case ECHILD: return "ECHILD";
	case EINVAL: return "EINVAL";
	case EAGAIN: return "EAGAIN";
	case ESRCH: return "ESRCH";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	default: return "other";
	}
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void die_quietly(int code) { _exit(code); }

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- twice */

static int mode_twice(void)
{
	int p[2];
	if (pipe(p) < 0) return 1;
	pid_t parent = getpid();
	pid_t r = fork();
	if (r < 0) { printf("fork failed\n"); return 1; }
	if (r == 0) {
		pid_t me = getpid();
		int ok_ppid = getppid() == parent;
		close(p[0]);
		write(p[1], &me, sizeof me);
		write(p[1], &ok_ppid, sizeof ok_ppid);
		printf("child: fork returned 0: yes\n");
		_exit(7);
	}
	close(p[1]);
	pid_t got = 0; int ok_ppid = 0;
	read(p[0], &got, sizeof got);
	read(p[0], &ok_ppid, sizeof ok_ppid);
	int st;
	pid_t w = waitpid(r, &st, 0);
	printf("parent: fork returned a positive pid: %s\n", yesno(r > 0));
	printf("parent: fork return differs from own pid: %s\n", yesno(r != getpid()));
	printf("child getpid == fork return in parent: %s\n", yesno(got == r));
	printf("child getppid == parent getpid: %s\n", yesno(ok_ppid));
	printf("waitpid returned the child: %s\n", yesno(w == r));
	printf("child exit status: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

/* ----------------------------------------------------------------- tree */

#define TREE_KIDS 9
#define TREE_GRANDKIDS 10

static int mode_tree(void)
{
	int total = 0, reaped = 0;
	pid_t kids[TREE_KIDS];
	for (int i = 0; i < TREE_KIDS; i++) {
		pid_t c = fork();
		if (c < 0) { printf("fork failed: %s\n", ename(errno)); return 1; }
		if (c == 0) {
			/* each child: 10 grandchildren exiting with j+1, waits for all,
			 * exits with the number it reaped whose codes summed right */
			pid_t g[TREE_GRANDKIDS];
			for (int j = 0; j < TREE_GRANDKIDS; j++) {
				g[j] = fork();
				if (g[j] < 0) _exit(200);
				if (g[j] == 0) _exit(j + 1);
			}
			int sum = 0, n = 0, st;
			for (int j = TREE_GRANDKIDS - 1; j >= 0; j--) {
				if (waitpid(g[j], &st, 0) == g[j] && WIFEXITED(st)) {
					sum += WEXITSTATUS(st);
					n++;
				}
			}
			if (wait(&st) != -1 || errno != ECHILD) _exit(201);
			_exit(sum == 55 ? n : 202);
		}
		kids[i] = c;
	}
	int st;
	for (int i = 0; i < TREE_KIDS; i++) {
		pid_t w = wait(&st);
		int known = 0;
		for (int k = 0; k < TREE_KIDS; k++)
			if (kids[k] == w) known = 1;
		if (known && WIFEXITED(st)) {
			reaped++;
			total += WEXITSTATUS(st);
		}
	}
	int again = wait(&st);
	printf("children reaped: %d\n", reaped);
	printf("grandchildren reaped by children: %d\n", total);
	printf("processes in tree: %d\n", 1 + reaped + total);
	printf("no children left: %s\n", yesno(again == -1 && errno == ECHILD));
	return 0;
}

/* --------------------------------------------------------------- orphan */

static int mode_orphan(void)
{
	int p[2];
	if (pipe(p) < 0) return 1;
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		pid_t me = getpid();
		int q[2];
		pipe(q);
		pid_t g = fork();
		if (g == 0) {
			int before = getppid() == me;
			close(q[0]);
			close(q[1]);            /* tells the middle process to die */
			/* wait (bounded) for the parent to die */
			pid_t now = getppid();
			double end = mono() + 3;
			while (now == me && mono() < end) {
				msleep(1);
				now = getppid();
			}
			char out[256];
			int n = snprintf(out, sizeof out,
				"grandchild: getppid was its parent: %s\n"
				"grandchild: getppid changed after parent death: %s\n"
				"grandchild: new parent is not the dead parent: %s\n"
				"grandchild: new parent is a live process: %s\n",
				yesno(before), yesno(now != me), yesno(now != me && now > 0),
				yesno(now > 0 && kill(now, 0) == 0));
			write(p[1], out, n);
			_exit(0);
		}
		char x;
		close(q[1]);
		read(q[0], &x, 1);          /* EOF once the grandchild looked */
		_exit(g > 0 ? 0 : 1);
	}
	close(p[1]);
	int st;
	waitpid(c, &st, 0);
	printf("middle process exited: %s\n", yesno(WIFEXITED(st) && WEXITSTATUS(st) == 0));
	char buf[1024];
	int n, off = 0;
	while ((n = read(p[0], buf + off, sizeof buf - 1 - off)) > 0)
		off += n;
	buf[off] = 0;
	fputs(buf, stdout);
	printf("grandchild is not our child: %s\n", yesno(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD));
	return 0;
}

/* --------------------------------------------------------------- zombie */

static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0) return errno == ENOENT ? '-' : '?';
	int n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) return '?';
	buf[n] = 0;
	char *rp = strrchr(buf, ')');
	if (!rp || rp[1] != ' ') return '?';
	return rp[2];
}

static char wait_state(pid_t pid, char want)
{
	char s = proc_state(pid);
	double end = mono() + 3;      /* bounded by wall time */
	while (s != want && mono() < end) {
		msleep(1);
		s = proc_state(pid);
	}
	return s;
}

static int mode_zombie(void)
{
	int p[2];
	if (pipe(p) < 0) return 1;
	pid_t c = fork();
	if (c == 0) {
		char x;
		close(p[1]);
		read(p[0], &x, 1);      /* blocks until the parent closes */
		_exit(3);
	}
	close(p[0]);
	printf("blocked child state: %c\n", wait_state(c, 'S'));
	close(p[1]);
	printf("exited child state: %c\n", wait_state(c, 'Z'));
	msleep(20);
	printf("still a zombie a bit later: %c\n", proc_state(c));
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int r = waitid(P_PID, c, &si, WEXITED | WNOWAIT);
	printf("waitid WNOWAIT: %d, zombie state after peek: %c\n", r, proc_state(c));
	int st;
	pid_t w = waitpid(c, &st, 0);
	printf("reaped: %s, status %d\n", yesno(w == c), WEXITSTATUS(st));
	printf("after reaping /proc entry: %c\n", proc_state(c));
	return 0;
}

/* ---------------------------------------------------------------- codes */

static int mode_codes(void)
{
	int bad = 0, good = 0;
	long sum = 0;
	for (int code = 0; code < 256; code++) {
		pid_t c = fork();
		if (c < 0) { printf("fork failed at %d: %s\n", code, ename(errno)); return 1; }
		if (c == 0) _exit(code);
		int st;
		if (waitpid(c, &st, 0) != c) { bad++; continue; }
		if (WIFEXITED(st) && !WIFSIGNALED(st) && !WIFSTOPPED(st) && WEXITSTATUS(st) == code &&
		    st == (code << 8)) {
			good++;
			sum += WEXITSTATUS(st);
		} else {
			if (bad < 5) printf("code %d: raw status %#x\n", code, st);
			bad++;
		}
	}
	printf("exit codes checked: %d, good: %d, bad: %d, sum: %ld\n", 256, good, bad, sum);
	/* out-of-range values keep only the low 8 bits */
	int extra[] = { 256, 257, -1, 1000 };
	for (unsigned i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		pid_t c = fork();
		if (c == 0) _exit(extra[i]);
		int st;
		waitpid(c, &st, 0);
		printf("_exit(%d) -> WEXITSTATUS %d\n", extra[i], WEXITSTATUS(st));
	}
	/* exit() from main's return path, too */
	pid_t c = fork();
	if (c == 0) exit(77);
	int st;
	waitpid(c, &st, 0);
	printf("exit(77) -> WEXITSTATUS %d\n", WEXITSTATUS(st));
	return 0;
}

/* -------------------------------------------------------------- signals */

static void no_core(void)
{
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
}

static int mode_signals(void)
{
	no_core();
	int sigs[] = { SIGKILL, SIGTERM, SIGSEGV, SIGABRT, SIGINT, SIGUSR1 };
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		int s = sigs[i];
		int p[2];
		pipe(p);
		pid_t c = fork();
		if (c == 0) {
			prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
			close(p[0]);
			write(p[1], "r", 1);
			if (s == SIGSEGV) {
				volatile int *np = (volatile int *)0;
				*np = 1;
			} else if (s == SIGABRT) {
				abort();
			} else if (s != SIGKILL) {
				kill(getpid(), s);
			} else {
				for (;;) pause();
			}
			die_quietly(99);
		}
		close(p[1]);
		char x;
		read(p[0], &x, 1);
		close(p[0]);
		if (s == SIGKILL) kill(c, SIGKILL);
		int st;
		pid_t w = waitpid(c, &st, 0);
		printf("signal %d: waited %s, WIFEXITED %d, WIFSIGNALED %d, WTERMSIG %d, WCOREDUMP %d\n",
		       s, yesno(w == c), !!WIFEXITED(st), !!WIFSIGNALED(st),
		       WIFSIGNALED(st) ? WTERMSIG(st) : -1, WIFSIGNALED(st) ? !!WCOREDUMP(st) : -1);
	}
	return 0;
}

/* -------------------------------------------------------------- wnohang */

static int mode_wnohang(void)
{
	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		char x;
		close(p[1]);
		read(p[0], &x, 1);
		_exit(4);
	}
	close(p[0]);
	int st = 12345;
	pid_t r = waitpid(c, &st, WNOHANG);
	printf("WNOHANG on live child returns 0: %s\n", yesno(r == 0));
	r = waitpid(-1, &st, WNOHANG);
	printf("WNOHANG any on live child returns 0: %s\n", yesno(r == 0));
	siginfo_t si;
	memset(&si, 0x55, sizeof si);
	int wr = waitid(P_PID, c, &si, WEXITED | WNOHANG);
	printf("waitid WNOHANG on live child: ret %d, si_pid zeroed %s\n", wr, yesno(si.si_pid == 0));
	close(p[1]);
	r = waitpid(c, &st, 0);
	printf("then blocking wait gets it: %s, status %d\n", yesno(r == c), WEXITSTATUS(st));
	r = waitpid(-1, &st, WNOHANG);
	printf("WNOHANG with no children: %ld %s\n", (long)r, ename(r < 0 ? errno : 0));
	return 0;
}

/* --------------------------------------------------------------- echild */

static int mode_echild(void)
{
	int st;
	errno = 0;
	pid_t r = wait(&st);
	printf("wait: %ld %s\n", (long)r, ename(errno));
	errno = 0;
	r = waitpid(-1, &st, 0);
	printf("waitpid(-1): %ld %s\n", (long)r, ename(errno));
	errno = 0;
	r = waitpid(getpid(), &st, 0);
	printf("waitpid(self): %ld %s\n", (long)r, ename(errno));
	errno = 0;
	r = waitpid(0, &st, 0);
	printf("waitpid(0): %ld %s\n", (long)r, ename(errno));
	siginfo_t si;
	errno = 0;
	int wr = waitid(P_ALL, 0, &si, WEXITED);
	printf("waitid(P_ALL): %d %s\n", wr, ename(errno));
	errno = 0;
	wr = waitid(P_ALL, 0, &si, 0);
	printf("waitid no options: %d %s\n", wr, ename(errno));
	errno = 0;
	r = waitpid(-1, &st, 0x100 /* not a wait4 option */);
	printf("waitpid bogus option: %ld %s\n", (long)r, ename(errno));
	/* a child that was already reaped is not waitable again */
	pid_t c = fork();
	if (c == 0) _exit(0);
	waitpid(c, &st, 0);
	errno = 0;
	r = waitpid(c, &st, 0);
	printf("waitpid(reaped child): %ld %s\n", (long)r, ename(errno));
	return 0;
}

/* ----------------------------------------------------------------- pgrp */

static int mode_pgrp(void)
{
	int st;
	/* specific pid among several: the other ones stay waitable */
	pid_t a = fork();
	if (a == 0) _exit(11);
	pid_t b = fork();
	if (b == 0) _exit(12);
	pid_t w = waitpid(b, &st, 0);
	printf("waitpid(b) got b: %s, status %d\n", yesno(w == b), WEXITSTATUS(st));
	w = waitpid(a, &st, 0);
	printf("waitpid(a) got a: %s, status %d\n", yesno(w == a), WEXITSTATUS(st));

	/* pid 0: children in our own group only */
	int p[2];
	pipe(p);
	pid_t other = fork();
	if (other == 0) {
		char x;
		setpgid(0, 0);
		close(p[1]);
		read(p[0], &x, 1);
		_exit(21);
	}
	setpgid(other, other);  /* both sides, so there is no race */
	close(p[0]);
	printf("child in own group: %s\n", yesno(getpgid(other) == other && getpgid(other) != getpgrp()));
	errno = 0;
	w = waitpid(0, &st, WNOHANG);
	printf("waitpid(0) with only an other-group child: %ld %s\n", (long)w, ename(w < 0 ? errno : 0));
	pid_t same = fork();
	if (same == 0) _exit(22);
	w = waitpid(0, &st, 0);
	printf("waitpid(0) got the same-group child: %s, status %d\n", yesno(w == same), WEXITSTATUS(st));
	errno = 0;
	w = waitpid(-getpgrp(), &st, WNOHANG);
	printf("waitpid(-own pgrp) now: %ld %s\n", (long)w, ename(w < 0 ? errno : 0));
	close(p[1]);
	w = waitpid(-other, &st, 0);
	printf("waitpid(-pgid) got the other-group child: %s, status %d\n", yesno(w == other), WEXITSTATUS(st));
	errno = 0;
	w = waitpid(-other, &st, 0);
	printf("waitpid(-pgid) again: %ld %s\n", (long)w, ename(w < 0 ? errno : 0));

	/* waitid P_PGID */
	pid_t g = fork();
	if (g == 0) { setpgid(0, 0); _exit(23); }
	setpgid(g, g);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int r = waitid(P_PGID, g, &si, WEXITED);
	printf("waitid(P_PGID): %d, si_pid is child %s, si_status %d\n", r, yesno(si.si_pid == g), si.si_status);
	return 0;
}

/* --------------------------------------------------------------- waitid */

static const char *code_name(int c)
{
	switch (c) {
	case CLD_EXITED: return "CLD_EXITED";
	case CLD_KILLED: return "CLD_KILLED";
	case CLD_DUMPED: return "CLD_DUMPED";
	case CLD_STOPPED: return "CLD_STOPPED";
	case CLD_TRAPPED: return "CLD_TRAPPED";
	case CLD_CONTINUED: return "CLD_CONTINUED";
	default: return "?";
	}
}

static void show_si(const char *what, int r, siginfo_t *si, pid_t c)
{
	printf("%s: ret %d, si_signo %s, si_code %s, si_status %d, si_pid is child %s, si_uid is ours %s\n",
	       what, r, si->si_signo == SIGCHLD ? "SIGCHLD" : "?", code_name(si->si_code),
	       si->si_status, yesno(si->si_pid == c), yesno(si->si_uid == getuid()));
}

static int mode_waitid(void)
{
	no_core();
	siginfo_t si;
	pid_t c = fork();
	if (c == 0) _exit(5);
	memset(&si, 0, sizeof si);
	int r = waitid(P_PID, c, &si, WEXITED | WNOWAIT);
	show_si("exit 5 WNOWAIT", r, &si, c);
	memset(&si, 0, sizeof si);
	r = waitid(P_ALL, 0, &si, WEXITED | WNOWAIT);
	show_si("again WNOWAIT P_ALL", r, &si, c);
	int st;
	pid_t w = waitpid(c, &st, WNOHANG);
	printf("zombie still waitable by waitpid: %s, status %d\n", yesno(w == c), WEXITSTATUS(st));
	errno = 0;
	r = waitid(P_PID, c, &si, WEXITED);
	printf("after reaping: %d %s\n", r, ename(errno));

	c = fork();
	if (c == 0) _exit(0);
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, c, &si, WEXITED);
	show_si("exit 0", r, &si, c);

	int p[2];
	pipe(p);
	c = fork();
	if (c == 0) { char x; close(p[1]); read(p[0], &x, 1); _exit(1); }
	close(p[0]);
	kill(c, SIGKILL);
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, c, &si, WEXITED | WNOWAIT);
	show_si("SIGKILL WNOWAIT", r, &si, c);
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, c, &si, WEXITED);
	show_si("SIGKILL", r, &si, c);
	close(p[1]);

	c = fork();
	if (c == 0) {
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		kill(getpid(), SIGTERM);
		_exit(99);
	}
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, c, &si, WEXITED);
	show_si("SIGTERM", r, &si, c);

	c = fork();
	if (c == 0) {
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		volatile int *np = (volatile int *)0;
		*np = 1;
		_exit(99);
	}
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, c, &si, WEXITED);
	show_si("SIGSEGV (no core possible)", r, &si, c);
	errno = 0;
	r = waitid(P_PID, c, &si, WEXITED);
	printf("after reaping: %d %s\n", r, ename(errno));
	return 0;
}

/* --------------------------------------------------------------- rusage */

static int mode_rusage(void)
{
	pid_t c = fork();
	if (c == 0) {
		volatile unsigned long x = 0;
		for (unsigned long i = 0; i < 200000; i++) x += i;
		_exit(0);
	}
	int st;
	struct rusage ru;
	memset(&ru, 0xff, sizeof ru);
	pid_t w = wait4(c, &st, 0, &ru);
	int nonneg = ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 &&
		     ru.ru_stime.tv_sec >= 0 && ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000 &&
		     ru.ru_maxrss >= 0 && ru.ru_minflt >= 0 && ru.ru_majflt >= 0 &&
		     ru.ru_nvcsw >= 0 && ru.ru_nivcsw >= 0;
	printf("wait4 got child: %s\n", yesno(w == c));
	printf("rusage non-negative: %s\n", yesno(nonneg));
	struct rusage self;
	getrusage(RUSAGE_CHILDREN, &self);
	printf("RUSAGE_CHILDREN non-negative: %s\n",
	       yesno(self.ru_utime.tv_sec >= 0 && self.ru_utime.tv_usec >= 0 && self.ru_stime.tv_sec >= 0 &&
		  self.ru_stime.tv_usec >= 0 && self.ru_maxrss >= 0));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "twice")) return mode_twice();
	if (!strcmp(m, "tree")) return mode_tree();
	if (!strcmp(m, "orphan")) return mode_orphan();
	if (!strcmp(m, "zombie")) return mode_zombie();
	if (!strcmp(m, "codes")) return mode_codes();
	if (!strcmp(m, "signals")) return mode_signals();
	if (!strcmp(m, "wnohang")) return mode_wnohang();
	if (!strcmp(m, "echild")) return mode_echild();
	if (!strcmp(m, "pgrp")) return mode_pgrp();
	if (!strcmp(m, "waitid")) return mode_waitid();
	if (!strcmp(m, "rusage")) return mode_rusage();
	fprintf(stderr, "unknown mode %s\n", m);
	return 2;
}
