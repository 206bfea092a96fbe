/* dnotify: fcntl(F_NOTIFY) on a scratch directory with F_SETSIG delivers the signal
 * with si_fd (and si_code POLL_MSG) for create, modify, attrib, rename and delete; a
 * one-shot request fires once; ENOTDIR for a file; close ends the request. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile int got, got_fd, got_code;
static volatile long got_band;

static void handler(int sig, siginfo_t *si, void *ctx)
{
	(void)sig; (void)ctx;
	got++;
	got_fd = si->si_fd;
	got_code = si->si_code;
	got_band = si->si_band;
}

static void report(const char *what, int fd)
{
	printf("%s: %d signal(s)", what, got);
	if (got)
		printf(" si_fd %s code %d band %#lx", got_fd == fd ? "ok" : "WRONG", got_code, got_band);
	printf("\n");
	got = 0;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMIN + 1, &sa, NULL);
	if (mkdir("dn", 0755)) { perror("mkdir"); return 1; }
	int fd = open("dn", O_RDONLY | O_DIRECTORY);
	fcntl(fd, F_SETSIG, SIGRTMIN + 1);
	int r = fcntl(fd, F_NOTIFY, DN_CREATE | DN_MODIFY | DN_ATTRIB | DN_RENAME | DN_DELETE | DN_MULTISHOT);
	printf("F_NOTIFY: %d\n", r);
	printf("owner is me: %d\n", fcntl(fd, F_GETOWN) == getpid());
	int f = open("dn/x", O_CREAT | O_WRONLY, 0644);
	report("create", fd);
	write(f, "x", 1);
	report("write", fd);
	close(f);
	report("close", fd);
	chmod("dn/x", 0600);
	report("chmod", fd);
	rename("dn/x", "dn/y");
	report("rename", fd);
	unlink("dn/y");
	report("unlink", fd);

	int f2 = open("dn/z", O_CREAT | O_WRONLY, 0644);
	close(f2);
	report("create without a request", fd);
	f2 = open("dn/z", O_RDONLY);
	r = fcntl(f2, F_NOTIFY, DN_MODIFY);
	printf("file: %d %s\n", r, strerror(errno));
	close(f2);

	/* one-shot: the second change gets no signal */
	fcntl(fd, F_NOTIFY, 0);
	chmod("dn/z", 0644);
	report("request cleared", fd);
	fcntl(fd, F_NOTIFY, DN_ATTRIB);
	chmod("dn/z", 0600);
	report("oneshot first", fd);
	chmod("dn/z", 0644);
	report("oneshot second", fd);

	/* plain SIGIO (no F_SETSIG) is ignored here; check a close ends the request */
	fcntl(fd, F_NOTIFY, DN_ATTRIB | DN_MULTISHOT);
	int fd2 = dup(fd);
	close(fd);
	chmod("dn/z", 0600);
	report("after close of the fd", fd);
	close(fd2);
	unlink("dn/z");
	rmdir("dn");
	return 0;
}
