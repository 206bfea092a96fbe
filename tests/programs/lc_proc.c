/* lc_proc.c - /proc/<pid> for the process tree, and sessions/process groups.
 *
 * usage: lc_proc stat     /proc/self/stat and /proc/<child>/{stat,status}
 *                         agree with getpid/getppid/getpgrp/getsid
 *        lc_proc groups   setsid/setpgid/getpgid/getsid rules
 * Prints relations only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *yesno(int c) { return c ? "yes" : "no"; }

static const char *ename(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EINVAL: return "EINVAL";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	default: return "other";
	}
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

struct pstat {
	int ok;
	char comm[64];
	char state;
	long pid, ppid, pgrp, session;
};

static struct pstat read_stat(const char *path)
{
	struct pstat s;
	memset(&s, 0, sizeof s);
	char buf[1024];
	int fd = open(path, O_RDONLY);
	if (fd < 0) return s;
	int n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) return s;
	buf[n] = 0;
	char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
	if (!lp || !rp) return s;
	s.pid = atol(buf);
	snprintf(s.comm, sizeof s.comm, "%.*s", (int)(rp - lp - 1), lp + 1);
	if (sscanf(rp + 2, "%c %ld %ld %ld", &s.state, &s.ppid, &s.pgrp, &s.session) == 4) s.ok = 1;
	return s;
}

static long status_field(pid_t pid, const char *name, char *text, size_t len)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0) return -1;
	int n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) return -1;
	buf[n] = 0;
	size_t nl = strlen(name);
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncmp(line, name, nl) && line[nl] == ':') {
			char *v = line + nl + 1;
			while (*v == ' ' || *v == '\t') v++;
			if (text) {
				size_t k = strcspn(v, "\n");
				snprintf(text, len, "%.*s", (int)(k < len ? k : len - 1), v);
			}
			return atol(v);
		}
	}
	return -1;
}

static int mode_stat(const char *argv0)
{
	struct pstat s = read_stat("/proc/self/stat");
	const char *base = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;
	printf("self stat parsed: %s\n", yesno(s.ok));
	printf("self pid matches: %s\n", yesno(s.pid == getpid()));
	printf("self state: %c\n", s.state);
	printf("self comm is the exec'd name (first 15 bytes): %s\n", yesno(!strncmp(s.comm, base, 15)));
	printf("self ppid/pgrp/session match: %s %s %s\n", yesno(s.ppid == getppid()),
	       yesno(s.pgrp == getpgrp()), yesno(s.session == getsid(0)));
	char link[64];
	int n = readlink("/proc/self", link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	printf("/proc/self names our pid: %s\n", yesno(atol(link) == getpid()));
	char own[64];
	snprintf(own, sizeof own, "/proc/%d/stat", (int)getpid());
	struct pstat s2 = read_stat(own);
	printf("/proc/<getpid()>/stat is the same process: %s\n", yesno(s2.ok && s2.pid == getpid()));
	printf("status Pid/PPid match: %s %s\n", yesno(status_field(getpid(), "Pid", 0, 0) == getpid()),
	       yesno(status_field(getpid(), "PPid", 0, 0) == getppid()));

	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		char x;
		close(p[1]);
		read(p[0], &x, 1);
		_exit(0);
	}
	close(p[0]);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)c);
	struct pstat cs = read_stat(path);
	double end = mono() + 3;
	while (cs.state != 'S' && mono() < end) {
		msleep(1);
		cs = read_stat(path);
	}
	printf("child stat: state %c, ppid is us %s, same pgrp %s, same session %s, same comm %s\n",
	       cs.state, yesno(cs.ppid == getpid()), yesno(cs.pgrp == getpgrp()),
	       yesno(cs.session == getsid(0)), yesno(!strcmp(cs.comm, s.comm)));
	char state[64] = "";
	status_field(c, "State", state, sizeof state);
	printf("child status State: %s, PPid is us: %s\n", state, yesno(status_field(c, "PPid", 0, 0) == getpid()));
	/* the child's directory shows up in a /proc listing */
	close(p[1]);
	end = mono() + 3;
	while (read_stat(path).state != 'Z' && mono() < end)
		msleep(1);
	status_field(c, "State", state, sizeof state);
	printf("exited child status State: %s\n", state);
	int st;
	waitpid(c, &st, 0);
	printf("reaped child's /proc entry gone: %s\n", yesno(access(path, F_OK) == -1 && errno == ENOENT));
	return 0;
}

static int mode_groups(void)
{
	int st;
	/* a child makes its own session: it leads its session and group */
	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		pid_t s = setsid();
		int ok = s == getpid() && getsid(0) == getpid() && getpgrp() == getpid();
		errno = 0;
		int again = setsid();
		int eperm = again == -1 && errno == EPERM;
		/* a session leader cannot change its group */
		errno = 0;
		int r = setpgid(0, 0);
		char out[200];
		int n = snprintf(out, sizeof out,
				 "setsid in child: leads session and group: %s; setsid again: %s; setpgid(0,0) as session leader: %s %s\n",
				 yesno(ok), yesno(eperm), r == 0 ? "0" : "-1", ename(errno));
		write(p[1], out, n);
		_exit(0);
	}
	close(p[1]);
	char buf[300];
	int n = read(p[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	fputs(buf, stdout);
	close(p[0]);
	waitpid(c, &st, 0);

	/* a group leader cannot setsid */
	c = fork();
	if (c == 0) {
		setpgid(0, 0);
		errno = 0;
		int r = setsid();
		_exit(r == -1 && errno == EPERM ? 1 : 2);
	}
	waitpid(c, &st, 0);
	printf("setsid by a group leader fails with EPERM: %s\n", yesno(WEXITSTATUS(st) == 1));

	/* setpgid rules */
	pipe(p);
	c = fork();
	if (c == 0) {
		char x;
		close(p[1]);
		read(p[0], &x, 1);
		_exit(0);
	}
	close(p[0]);
	errno = 0;
	int r = setpgid(c, c);
	printf("setpgid(child, child): %d, child's pgid is its pid: %s\n", r, yesno(getpgid(c) == c));
	errno = 0;
	r = setpgid(c, getpgrp());
	printf("setpgid(child, our group): %d, back in our group: %s\n", r, yesno(getpgid(c) == getpgrp()));
	errno = 0;
	r = setpgid(c, 2147483600);
	printf("setpgid to a group that does not exist: %d %s\n", r, ename(errno));
	errno = 0;
	r = setpgid(c, -1);
	printf("setpgid negative pgid: %d %s\n", r, ename(errno));
	errno = 0;
	r = setpgid(getppid(), getppid());
	printf("setpgid of our parent: %d %s\n", r, ename(errno));
	errno = 0;
	r = getpgid(2147483600);
	printf("getpgid of no such process: %d %s\n", r, ename(errno));
	errno = 0;
	r = getsid(2147483600);
	printf("getsid of no such process: %d %s\n", r, ename(errno));
	printf("getsid(child) is ours: %s\n", yesno(getsid(c) == getsid(0)));
	printf("getpgid(0) == getpgrp(): %s\n", yesno(getpgid(0) == getpgrp()));
	close(p[1]);
	waitpid(c, &st, 0);

	/* setpgid after the child exec'd is EACCES; after it died, ESRCH */
	errno = 0;
	r = setpgid(c, c);
	printf("setpgid of a reaped child: %d %s\n", r, ename(errno));

	/* kill(0, sig) reaches our whole group; kill(-pgid) another group */
	pipe(p);
	pid_t g = fork();
	if (g == 0) {
		char x;
		setpgid(0, 0);
		close(p[1]);
		read(p[0], &x, 1);
		_exit(0);
	}
	setpgid(g, g);
	close(p[0]);
	r = kill(-g, SIGTERM);
	waitpid(g, &st, 0);
	printf("kill(-pgid, SIGTERM): %d, child died of SIGTERM: %s\n", r,
	       yesno(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM));
	close(p[1]);
	errno = 0;
	r = kill(-g, 0);
	printf("kill(-pgid) of an empty group: %d %s\n", r, ename(errno));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "stat")) return mode_stat(argv[0]);
	if (!strcmp(m, "groups")) return mode_groups();
	fprintf(stderr, "unknown mode %s\n", m);
	return 2;
}
