/* wait_values.c - the three answers of the wait family, for the function graph's do_wait:
 * WNOHANG while the child is busy (0), waitid with WNOWAIT (0; the child's pid in
 * siginfo), then wait4 (the child's pid). */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int fds[2];
    char c;
    if (pipe(fds) != 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[1]);
        read(fds[0], &c, 1);        /* busy until the parent closes its end */
        _exit(5);
    }
    close(fds[0]);
    int status = -1;
    printf("WNOHANG: %d\n", (int)waitpid(pid, &status, WNOHANG));
    close(fds[1]);
    siginfo_t info = {0};
    int ret = waitid(P_PID, pid, &info, WEXITED | WNOWAIT);
    printf("waitid: %d, si_pid is the child: %d, si_status %d\n", ret, info.si_pid == pid,
           info.si_status);
    printf("wait4 is the child: %d", wait4(pid, &status, 0, NULL) == pid);
    printf(", status %d\n", WEXITSTATUS(status));
    return 0;
}
