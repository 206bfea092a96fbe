/* RLIMIT_AS bounds stack growth too (acct_stack_growth): with a 64 MiB RLIMIT_STACK, a
 * 32 MiB deep recursion works, and dies of SIGSEGV under a 16 MiB RLIMIT_AS. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int recurse(int depth)
{
    volatile char frame[1024];
    memset((char *)frame, depth, sizeof frame);
    return depth ? recurse(depth - 1) + frame[7] : 0;
}

static void run(const char *what, rlim_t as)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit stack = {64 << 20, RLIM_INFINITY}, lim = {as, as};
        setrlimit(RLIMIT_STACK, &stack);
        setrlimit(RLIMIT_AS, &lim);
        recurse(32 * 1024);
        printf("%s: the recursion completed\n", what);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("%s: killed by %s\n", what, strsignal(WTERMSIG(status)));
}

int main(void)
{
    run("no RLIMIT_AS", RLIM_INFINITY);
    run("RLIMIT_AS 16 MiB", 16 << 20);
    return 0;
}
