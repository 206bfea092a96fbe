/* gdb stub tests: a child changes a global and exits 3; the parent waits and exits 7.
   argv[1] "vfork" uses vfork (the child only stores and _exits). */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int global;

__attribute__((noinline)) void child_work(void)
{
    global = 42;
}

int main(int argc, char **argv)
{
    int use_vfork = argc > 1 && strcmp(argv[1], "vfork") == 0;
    printf("start\n");
    fflush(stdout);
    pid_t pid = use_vfork ? vfork() : fork();
    if (pid == 0) {
        child_work();
        if (use_vfork)
            _exit(3);
        printf("child global %d\n", global);
        return 3;
    }
    int status;
    waitpid(pid, &status, 0);
    printf("parent: child status %d\n", WEXITSTATUS(status));
    return 7;
}
