/* Three threads of a child touch memory without end: the OOM killer kills that process
 * (all its threads) and nobody else; the parent reports it and goes on. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *eat(void *arg)
{
    (void)arg;
    for (;;) {
        volatile char *p = malloc(1 << 20);
        if (!p)
            return NULL;
        for (long i = 0; i < (1 << 20); i += 4096)
            p[i] = 1;
    }
}

int main(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t[3];
        for (int i = 0; i < 3; i++)
            pthread_create(&t[i], NULL, eat, NULL);
        pause();
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("child killed by signal %d\n", WTERMSIG(status));
    else
        printf("child exited with %d\n", WEXITSTATUS(status));
    volatile char *mine = malloc(8 << 20);
    for (long i = 0; i < (8 << 20); i += 4096)
        mine[i] = 2;
    printf("parent goes on\n");
    return 0;
}
