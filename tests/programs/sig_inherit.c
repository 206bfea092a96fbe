/* sig_inherit.c - the signal state a program starts with: which signals are ignored and
 * which blocked (exec keeps both), then raise(SIGHUP): an ignored one does nothing. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    sigset_t blocked;
    sigprocmask(SIG_BLOCK, NULL, &blocked);
    printf("ignored:");
    for (int s = 1; s < 65; s++)
        if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
            printf(" %d", s);
    printf("\nblocked:");
    for (int s = 1; s < 65; s++)
        if (sigismember(&blocked, s) == 1)
            printf(" %d", s);
    printf("\n");
    raise(SIGHUP);
    printf("survived SIGHUP\n");
    return 0;
}
