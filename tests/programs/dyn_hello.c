/* dyn_hello.c - a plain program as `gcc prog.c` builds it (a dynamic PIE, or with
 * -no-pie an ET_EXEC): arguments, environment, stdio, fork/wait, and where the loader
 * put things (only whether they are in the right place, never the addresses). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf("arg %d: %s\n", i, argv[i]);
    printf("GK_TEST_VAR=%s\n", getenv("GK_TEST_VAR"));
    unsigned long base = getauxval(AT_BASE), entry = getauxval(AT_ENTRY);
    printf("interpreter mapped: %s\n", base ? "yes" : "no");
    printf("AT_ENTRY is main's program: %s\n",
           entry && (unsigned long)main - entry < 0x100000 ? "yes" : "no");
    printf("AT_PHNUM matches: %s\n", getauxval(AT_PHNUM) > 3 ? "yes" : "no");
    char *heap = malloc(1 << 20);
    memset(heap, 7, 1 << 20);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child sees %d\n", heap[12345]);
        exit(9);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("child exited %d\n", WEXITSTATUS(status));
    return 3;
}
