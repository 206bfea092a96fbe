/* clone_settid.c - CLONE_PARENT_SETTID and CLONE_CHILD_SETTID with a pointer that faults:
 * Linux ignores the fault (the child exists, the clone succeeds); and a clone that fails
 * part-way (CLONE_SETTLS with a kernel address: EPERM) leaves the thread count as it was. */
#define _GNU_SOURCE
#include <errno.h>
#define FUTEX_WAIT 0
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BAD_PTR ((void *)8)

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

/* A fork-like raw clone: the child exits with code; report what the parent saw. */
static void fork_like(const char *name, unsigned long flags, void *ptid, void *ctid, int code)
{
    long r = syscall(SYS_clone, flags | SIGCHLD, 0, ptid, ctid, 0);
    if (r == 0)
        _exit(code);
    if (r < 0) {
        printf("%s: clone failed: %s\n", name, strerror(errno));
        return;
    }
    int status;
    waitpid(r, &status, 0);
    printf("%s: clone ok, child exit %d\n", name, WEXITSTATUS(status));
}

static volatile pid_t ctid = -1;

static int thread_fn(void *arg)
{
    (void)arg;
    return 0;
}

/* Wait until the thread is gone: its tid word cleared, then released (Threads back to 1). */
static int wait_thread_gone(void)
{
    pid_t v;
    while ((v = ctid) != 0)
        syscall(SYS_futex, &ctid, FUTEX_WAIT, v, NULL, NULL, 0);
    int n = threads();
    for (int i = 0; i < 100000 && n != 1; i++) {
        sched_yield();
        n = threads();
    }
    return n;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t ptid = 0;
    fork_like("parent_settid bad pointer", CLONE_PARENT_SETTID, BAD_PTR, NULL, 7);
    fork_like("child_settid bad pointer", CLONE_CHILD_SETTID, NULL, BAD_PTR, 8);
    long r = syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, 0, &ptid, 0, 0);
    if (r == 0)
        _exit(0);
    waitpid(r, NULL, 0);
    printf("parent_settid good pointer: written %d\n", ptid == r);

    static char stack[65536];
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
    printf("threads before: %d\n", threads());
    r = clone(thread_fn, stack + sizeof stack, flags | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
              NULL, BAD_PTR, NULL, &ctid);
    printf("thread with bad parent_tid: %s\n", r > 0 ? "created" : strerror(errno));
    if (r > 0)
        printf("threads after it is gone: %d\n", wait_thread_gone());
    errno = 0;
    r = clone(thread_fn, stack + sizeof stack, flags | CLONE_SETTLS, NULL, NULL,
              (void *)0xffff800000000000UL, NULL);
    printf("thread with a kernel tls: %ld %s\n", r, strerror(errno));
    printf("threads after the failed clone: %d\n", threads());
    return 0;
}
