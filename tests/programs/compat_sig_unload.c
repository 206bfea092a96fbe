/* compat_sig_unload.c - an i386 program asleep while a 64-bit shell reads its
 * /proc/PID/syscall (which decodes its saved registers) and then signals it (build with
 * -m32): the handler still runs with the program's own %gs, the TLS selector. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

#ifndef __i386__
#error "an i386 program: build with -m32"
#endif

static volatile unsigned short handler_gs;

static void handler(int sig)
{
    unsigned short gs;
    (void)sig;
    __asm__ volatile("movw %%gs, %0" : "=r"(gs));
    handler_gs = gs;
}

int main(void)
{
    char cmd[160];
    int status;
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGUSR1, handler);
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        /* once the parent sleeps in pause: read its syscall file, then signal it */
        snprintf(cmd, sizeof cmd, "while ! grep -q '^29 ' /proc/%d/syscall; do :; done; "
                 "kill -USR1 %d", parent, parent);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    pause();
    errno = 0;
    printf("handler's gs %#x, errno %d after it\n", handler_gs, errno);
    waitpid(pid, &status, 0);
    printf("child status %#x\n", status);
    return 0;
}
