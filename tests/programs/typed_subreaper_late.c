/* typed_subreaper_late.c - PR_SET_CHILD_SUBREAPER set after the descendants exist: the
 * flag reaches processes forked before it (the middle of a chain, and the children of a
 * thread other than the leader), so an orphan of either still goes to us. Set from a
 * thread, cleared, then set again. Grandchildren report through pipes: the output order
 * is fixed. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t me;

/* An orphan-to-be: wait for a byte on go, report whether its parent is now us, exit 5. */
static void orphan(int go, int report)
{
    char c;
    read(go, &c, 1);
    c = getppid() == me ? 'Y' : 'N';
    write(report, &c, 1);
    _exit(5);
}

static void *set_flag(void *arg)
{
    *(int *)arg = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    return NULL;
}

static void reap_orphan(const char *name, int go, int report)
{
    char c = '?';
    int status;
    write(go, "g", 1);
    read(report, &c, 1);
    printf("%s: orphan's parent is us: %c\n", name, c);
    pid_t r = waitpid(-1, &status, 0);
    if (r > 0)
        printf("%s: reaped the orphan, exit %d\n", name, WEXITSTATUS(status));
    else
        printf("%s: waitpid: %s\n", name, strerror(errno));
}

/* us -> A -> B -> orphan, all forked before the flag is set (from a thread); then B
 * exits while A lives, then A. */
static void late_chain(const char *name, int set_from_thread)
{
    int ready[2], die[2], go[2], report[2];
    pipe(ready); pipe(die); pipe(go); pipe(report);
    pid_t a = fork();
    if (a == 0) {
        pid_t b = fork();
        if (b == 0) {
            if (fork() == 0)
                orphan(go[0], report[1]);
            char c;
            write(ready[1], "r", 1);
            read(die[0], &c, 1);
            _exit(0);
        }
        waitpid(b, NULL, 0);
        _exit(0);
    }
    char c;
    read(ready[0], &c, 1);
    int rc;
    if (set_from_thread) {
        pthread_t t;
        pthread_create(&t, NULL, set_flag, &rc);
        pthread_join(t, NULL);
    } else {
        set_flag(&rc);
    }
    printf("%s: set %d\n", name, rc);
    write(die[1], "d", 1);
    waitpid(a, NULL, 0);
    reap_orphan(name, go[1], report[0]);
    close(ready[0]); close(ready[1]); close(die[0]); close(die[1]);
    close(go[0]); close(go[1]); close(report[0]); close(report[1]);
}

static int tgo[2], treport[2], cready[2], tready[2], tdie[2];

/* A thread's own child C (forked before the flag is set) forks the orphan and exits:
 * the orphan goes to the thread, which reaps it. */
static void *thread_parent(void *arg)
{
    (void)arg;
    pid_t c = fork();
    if (c == 0) {
        if (fork() == 0)
            orphan(tgo[0], treport[1]);
        char b;
        write(cready[1], "r", 1);
        read(tdie[0], &b, 1);
        _exit(0);
    }
    char b;
    read(cready[0], &b, 1);
    write(tready[1], "t", 1);       /* tell main the tree exists */
    read(tdie[0], &b, 1);           /* main set the flag; C got its own die byte */
    waitpid(c, NULL, 0);
    reap_orphan("thread's child", tgo[1], treport[0]);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    me = getpid();
    late_chain("set from a thread", 1);

    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    late_chain("cleared, set again", 0);
    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);

    pipe(tgo); pipe(treport); pipe(cready); pipe(tready); pipe(tdie);
    pthread_t t;
    pthread_create(&t, NULL, thread_parent, NULL);
    char b;
    read(tready[0], &b, 1);
    printf("thread's child: set %d\n", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
    write(tdie[1], "dd", 2);        /* one for C, one for the thread */
    pthread_join(t, NULL);
    return 0;
}
