/* The demo's main example, the classic course exercise: fork; the child prints and execs
 * another program (hello, next to this one); the parent waits and prints the status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char hello[4096];
	const char *slash = strrchr(argv[0], '/');
	int dirlen = slash ? (int)(slash - argv[0] + 1) : 0;

	snprintf(hello, sizeof(hello), "%.*shello", dirlen, argv[0]);
	printf("parent %d: calling fork()\n", getpid());
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		printf("child %d: fork() returned 0 here; now exec'ing %s\n", getpid(), hello);
		fflush(stdout);
		execl(hello, "hello", "7", (char *)NULL);
		perror("execl");
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	if (WIFEXITED(status))
		printf("parent %d: fork() returned %d; that child exited with status %d\n",
		       getpid(), pid, WEXITSTATUS(status));
	else
		printf("parent %d: child %d was killed by signal %d\n", getpid(), pid, WTERMSIG(status));
	return 0;
}
