/* signal_self.c - raise(argv[1]) with the default action in place: the task
 * must die of that signal (exit status 128+N from glasskernel). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int sig = argc > 1 ? atoi(argv[1]) : SIGTERM;
    printf("raising %d\n", sig);
    fflush(stdout);
    raise(sig);
    printf("survived signal %d\n", sig);
    return 0;
}
