/* An i386 child asleep in pause() killed by SIGQUIT: its core is written on the way out
 * of the syscall (orig_eax still pause's number, eax its -ERESTARTNOHAND). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
	char path[64], buf[256], want[16];
	pid_t pid;
	int status;

	setrlimit(RLIMIT_CORE, &r);
	pid = fork();
	if (pid == 0)
		for (;;)
			pause();
	snprintf(path, sizeof path, "/proc/%d/syscall", pid);
	snprintf(want, sizeof want, "%d ", SYS_pause);
	for (;;) {              /* wait for the state: asleep in pause() */
		int fd = open(path, O_RDONLY), n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		if (!strncmp(buf, want, strlen(want)))
			break;
		usleep(1000);
	}
	kill(pid, SIGQUIT);
	waitpid(pid, &status, 0);
	printf("status %#x\n", status);
	return 0;
}
