/* RLIMIT_CPU: SIGXCPU at the soft limit and then every second of CPU time (the soft
 * limit moves up by one each time), SIGKILL at the hard limit; a child that keeps
 * SIGXCPU's default action dies of it. Compares behaviour, not timings. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t xcpu;
static volatile unsigned long spin;

static void on_xcpu(int sig)
{
    (void)sig;
    struct rlimit lim;
    getrlimit(RLIMIT_CPU, &lim);
    char line[64];
    int n = snprintf(line, sizeof line, "SIGXCPU %d, soft limit now %lu\n", (int)++xcpu,
                     (unsigned long)lim.rlim_cur);
    write(1, line, n);
}

static void burn(void)
{
    for (;;)
        spin++;
}

static void child(int handle, rlim_t soft, rlim_t hard)
{
    struct rlimit lim = {soft, hard};
    if (handle)
        signal(SIGXCPU, on_xcpu);
    setrlimit(RLIMIT_CPU, &lim);
    burn();
}

static void run(const char *what, int handle, rlim_t soft, rlim_t hard)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        child(handle, soft, hard);
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("%s: killed by %s\n", what, strsignal(WTERMSIG(status)));
    else
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
}

int main(void)
{
    run("handled, soft 1 s, hard 3 s", 1, 1, 3);
    run("default action, soft 1 s", 0, 1, RLIM_INFINITY);
    /* Inherited across fork: the limit set before the fork applies to the child. */
    struct rlimit lim = {1, 2};
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        setrlimit(RLIMIT_CPU, &lim);
        if (fork() == 0) {
            signal(SIGXCPU, on_xcpu);
            burn();
        }
        int status;
        wait(&status);
        printf("grandchild: killed by %s\n", WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "nothing");
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    return 0;
}
