/* pidfds: clone3(CLONE_PIDFD) returns one (a bad args.pidfd pointer fails the clone with
 * EFAULT and makes no child), it is close-on-exec and named anon_inode:[pidfd], poll says
 * POLLIN once the child has exited, pidfd_send_signal signals it (with the checks of flags,
 * descriptor kind and siginfo), pidfd_open checks its arguments. LTP clone301, clone302. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLONE_PIDFD_FLAG 0x00001000
struct clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static void show(const char *what, long ret)
{
	if (ret < 0)
		printf("%-40s -1 %s\n", what, strerror(errno));
	else
		printf("%-40s %ld\n", what, ret);
}

static long send_sig(int pidfd, int sig, siginfo_t *info, unsigned flags)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, info, flags);
}

int main(void)
{
	struct clone_args args;
	int pidfd = -1, status;

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_PIDFD_FLAG;
	args.pidfd = 8;                          /* not a user address */
	args.exit_signal = SIGCHLD;
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r == 0)
		_exit(0);
	show("clone3 with a bad pidfd pointer", r);
	show("so no child to wait for", waitpid(-1, &status, WNOHANG));

	args.pidfd = (uintptr_t)&pidfd;
	pid_t pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		pause();
		_exit(1);
	}
	printf("clone3 with CLONE_PIDFD: child %d, pidfd set %d\n", pid > 0, pidfd >= 0);
	printf("close-on-exec: %d\n", (fcntl(pidfd, F_GETFD) & FD_CLOEXEC) != 0);
	char path[64], link[64] = "";
	snprintf(path, sizeof(path), "/proc/self/fd/%d", pidfd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	printf("fd link: %s\n", link);
	struct pollfd pfd = {pidfd, POLLIN, 0};
	show("poll while it runs", poll(&pfd, 1, 0));

	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGUSR1;
	info.si_code = SI_QUEUE;
	/* 0x80: unknown to 6.1 and to later kernels (which accept 1, 2 and 4) */
	show("send_signal flags 0x80", send_sig(pidfd, SIGTERM, NULL, 0x80));
	show("send_signal on stdin", send_sig(0, SIGTERM, NULL, 0));
	show("send_signal si_signo differs", send_sig(pidfd, SIGTERM, &info, 0));
	info.si_code = SI_USER;
	show("send_signal si_code SI_USER to another", send_sig(pidfd, SIGUSR1, &info, 0));
	show("send_signal 0", send_sig(pidfd, 0, NULL, 0));
	show("send_signal SIGTERM", send_sig(pidfd, SIGTERM, NULL, 0));
	show("poll until it exits", poll(&pfd, 1, -1));
	printf("revents POLLIN: %d\n", (pfd.revents & POLLIN) != 0);
	waitpid(pid, &status, 0);
	printf("child killed by SIGTERM: %d\n", WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	show("send_signal after the reap", send_sig(pidfd, 0, NULL, 0));

	show("pidfd_open(0)", syscall(SYS_pidfd_open, 0, 0));
	show("pidfd_open(-1)", syscall(SYS_pidfd_open, -1, 0));
	show("pidfd_open(self, flags 1)", syscall(SYS_pidfd_open, getpid(), 1));
	show("pidfd_open(reaped child)", syscall(SYS_pidfd_open, pid, 0));
	int self = syscall(SYS_pidfd_open, getpid(), 0);
	printf("pidfd_open(self) ok: %d\n", self >= 0);
	info.si_signo = SIGUSR2;
	signal(SIGUSR2, SIG_IGN);
	show("send to self with si_code SI_USER", send_sig(self, SIGUSR2, &info, 0));
	return 0;
}
