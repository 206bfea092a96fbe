/* compat_sig_fork.c - an i386 program's children catch a signal and return from the
 * handler with their TLS intact (build with -m32). Run it as `sh -c 'prog | cat'` with a
 * 64-bit cat: each line the parent writes wakes cat just before the fork, so cat runs
 * before the child's first instructions and the CPU is in 64-bit mode then. The child
 * must still start with its parent's %gs (the TLS selector), which its sigreturn keeps. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

#ifndef __i386__
#error "an i386 program: build with -m32"
#endif

static void handler(int sig)
{
    (void)sig;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int i = 0; i < 3; i++) {
        printf("parent: fork %d\n", i);
        pid_t pid = fork();
        if (pid == 0) {
            unsigned short gs;
            __asm__ volatile("movw %%gs, %0" : "=r"(gs));
            signal(SIGUSR1, handler);
            raise(SIGUSR1);
            errno = 0;
            printf("child %d: gs %#x, errno %d after the handler\n", i, gs, errno);
            _exit(0);
        }
        int status;
        waitpid(pid, &status, 0);
        printf("child %d status %#x\n", i, status);
    }
    return 0;
}
