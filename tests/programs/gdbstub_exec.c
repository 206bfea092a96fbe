/* gdb stub tests: the child execs argv[1] (with argv[2] as its argument); the parent
   waits and exits with the child's exit code. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    pid_t pid = fork();
    if (pid == 0) {
        execl(argv[1], argv[1], argc > 2 ? argv[2] : (char *)0, (char *)0);
        return 127;
    }
    int status;
    waitpid(pid, &status, 0);
    printf("exec child status %d\n", WEXITSTATUS(status));
    return WEXITSTATUS(status);
}
