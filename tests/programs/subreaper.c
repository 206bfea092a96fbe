/* subreaper.c - prctl(PR_SET_CHILD_SUBREAPER): an orphan goes to the nearest ancestor that
 * is a subreaper, which can wait for it; without one it leaves us. A child does not inherit
 * the flag. A thread's child goes to another thread of the same process when the thread
 * exits. Grandchildren report through a pipe, so the output order is fixed. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t me;
static int go[2], report[2];

static int get_subreaper(void)
{
    int v = -1;
    prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
    return v;
}

/* The orphan: wait for the go byte (its parent is gone by then), report whether its
 * parent is now us, exit 5. */
static void orphan(void)
{
    char c;
    read(go[0], &c, 1);
    c = getppid() == me ? 'Y' : 'N';
    write(report[1], &c, 1);
    _exit(5);
}

/* main -> A -> B -> orphan: B exits first (A, not a subreaper, still lives), then A. */
static void orphan_chain(const char *name)
{
    pipe(go);
    pipe(report);
    pid_t a = fork();
    if (a == 0) {
        pid_t b = fork();
        if (b == 0) {
            if (fork() == 0)
                orphan();
            _exit(0);
        }
        waitpid(b, NULL, 0);
        _exit(get_subreaper());
    }
    int status;
    waitpid(a, &status, 0);
    printf("%s: middle child's own flag %d\n", name, WEXITSTATUS(status));
    write(go[1], "g", 1);
    char c = '?';
    read(report[0], &c, 1);
    printf("%s: orphan's parent is us: %c\n", name, c);
    pid_t r = waitpid(-1, &status, 0);
    if (r > 0)
        printf("%s: reaped the orphan, exit %d\n", name, WEXITSTATUS(status));
    else
        printf("%s: waitpid: %s\n", name, strerror(errno));
    close(go[0]); close(go[1]); close(report[0]); close(report[1]);
}

static int threads(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

static void *forking_thread(void *arg)
{
    pid_t c = fork();
    if (c == 0)
        orphan();
    *(pid_t *)arg = c;
    return NULL;
}

static volatile int got_chld, got_usr1;
static void on_chld(int s) { (void)s; got_chld++; }
static void on_usr1(int s) { (void)s; got_usr1++; }

/* A child whose exit signal is SIGUSR1 (a "clone" child) orphaned to us: reparenting
 * makes its exit signal SIGCHLD, so a plain waitpid finds it and SIGCHLD announces it. */
static void clone_child_orphan(void)
{
    pipe(go);
    pipe(report);
    signal(SIGCHLD, on_chld);
    signal(SIGUSR1, on_usr1);
    pid_t a = fork();
    if (a == 0) {
        if (syscall(SYS_clone, SIGUSR1, 0, 0, 0, 0) == 0)
            orphan();
        _exit(0);
    }
    waitpid(a, NULL, 0);
    got_chld = 0;
    write(go[1], "g", 1);
    char c = '?';
    read(report[0], &c, 1);
    int status;
    pid_t r = waitpid(-1, &status, 0);
    printf("clone child: parent is us %c, plain waitpid found it %d, SIGCHLD %d, SIGUSR1 %d\n",
           c, r > 0, got_chld > 0, got_usr1);
    signal(SIGCHLD, SIG_DFL);
    close(go[0]); close(go[1]); close(report[0]); close(report[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    me = getpid();
    printf("flag at start: %d\n", get_subreaper());
    printf("set: %d\n", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
    printf("flag after set: %d\n", get_subreaper());
    orphan_chain("subreaper");

    clone_child_orphan();

    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    printf("flag after clear: %d\n", get_subreaper());
    orphan_chain("no subreaper");

    /* A thread forks, then exits: its child stays with this process. */
    pipe(go);
    pipe(report);
    pthread_t t;
    pid_t child = 0;
    pthread_create(&t, NULL, forking_thread, &child);
    pthread_join(t, NULL);
    for (int i = 0; i < 100000 && threads() != 1; i++)
        sched_yield();
    write(go[1], "g", 1);
    char c = '?';
    read(report[0], &c, 1);
    printf("thread's child: parent is us: %c\n", c);
    int status;
    pid_t r = waitpid(child, &status, 0);
    printf("thread's child: reaped %d, exit %d\n", r == child, r == child ? WEXITSTATUS(status) : -1);
    return 0;
}
