/* Only group leaders are children (copy_process): a child process's threads are not, so
 * waiting for __WCLONE children finds none, and __WALL only the process. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __WCLONE
#define __WCLONE 0x80000000
#endif
#ifndef __WALL
#define __WALL 0x40000000
#endif

static void *sleeper(void *arg) { for (;;) pause(); return arg; }

int main(void) {
    int ready[2];
    pipe(ready);
    pid_t child = fork();
    if (child == 0) {
        pthread_t t;
        pthread_create(&t, 0, sleeper, 0);
        pthread_create(&t, 0, sleeper, 0);
        write(ready[1], "x", 1);
        for (;;) pause();
    }
    char c;
    read(ready[0], &c, 1);                 /* the child's threads exist now */
    int status;
    errno = 0;
    pid_t got = waitpid(-1, &status, WNOHANG | __WCLONE);
    printf("__WCLONE: %d errno=%s\n", (int)got, got < 0 ? strerror(errno) : "-");
    got = waitpid(-1, &status, WNOHANG | __WALL);
    printf("__WALL while running: %d\n", (int)got);
    kill(child, SIGKILL);
    got = waitpid(-1, &status, __WALL);
    printf("__WALL reaps the child: %d signaled=%d sig=%d\n", got == child, WIFSIGNALED(status),
           WTERMSIG(status));
    errno = 0;
    got = waitpid(-1, &status, __WALL);
    printf("then: %d errno=%s\n", (int)got, strerror(errno));
    return 0;
}
