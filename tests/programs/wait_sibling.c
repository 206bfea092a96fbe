/* Every thread of a process waits for the children of every thread (Linux's do_wait
 * walks the whole thread group unless __WNOTHREAD): a sibling reaps a child another
 * thread forked, a blocked waiter is woken by another thread's child, and a child of
 * a thread that exited is still the group's to reap. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __WNOTHREAD
#define __WNOTHREAD 0x20000000
#endif

static pid_t child_pid;
static int release_pipe[2];     /* the child exits when this is written to */
static int done_pipe[2];        /* the forking thread stays alive until this is written */

static pid_t fork_child(int wait_for_release, int code) {
    pid_t c = fork();
    if (c == 0) {
        char b;
        if (wait_for_release)
            while (read(release_pipe[0], &b, 1) < 0 && errno == EINTR) {}
        _exit(code);
    }
    return c;
}

/* A thread that forks a child and stays alive until told (it keeps the child as its own). */
static void *forker_stays(void *arg) {
    child_pid = fork_child((int)(long)arg, 7);
    return NULL;
}

static void report(const char *what, pid_t r, int st) {
    if (r < 0)
        printf("%s: -1 %s\n", what, strerror(errno));
    else
        printf("%s: %s exited %d status %d\n", what, r == child_pid ? "the child" : "another",
               WIFEXITED(st), WEXITSTATUS(st));
}

/* Start a thread that forks a child and keeps living: the child is the thread's own. */
static pthread_t keeper;
static void *keeper_main(void *arg) {
    char b;
    forker_stays(arg);
    while (read(done_pipe[0], &b, 1) < 0 && errno == EINTR) {}
    return NULL;
}

static void start_keeper(int wait_for_release) {
    child_pid = 0;
    pthread_create(&keeper, NULL, keeper_main, (void *)(long)wait_for_release);
    while (__atomic_load_n(&child_pid, __ATOMIC_SEQ_CST) == 0)
        sched_yield();
}

static void stop_keeper(void) {
    char b = 0;
    write(done_pipe[1], &b, 1);
    pthread_join(keeper, NULL);
}

static int wait_mode;
static void *sibling_waiter(void *arg) {
    int st = 0;
    pid_t r;
    siginfo_t si;
    switch (wait_mode) {
    case 0:
        r = waitpid(-1, &st, 0);
        report("sibling waitpid(-1)", r, st);
        break;
    case 1:
        r = waitpid(child_pid, &st, 0);
        report("sibling waitpid(pid)", r, st);
        break;
    case 2:
        memset(&si, 0, sizeof si);
        r = waitid(P_ALL, 0, &si, WEXITED);
        if (r < 0)
            printf("sibling waitid(P_ALL): -1 %s\n", strerror(errno));
        else
            printf("sibling waitid(P_ALL): pid is the child %d code %d status %d\n",
                   si.si_pid == child_pid, si.si_code == CLD_EXITED, si.si_status);
        break;
    case 3:
        r = waitpid(-1, &st, __WNOTHREAD);
        report("sibling waitpid(-1, __WNOTHREAD)", r, st);
        memset(&si, 0, sizeof si);
        r = waitid(P_ALL, 0, &si, WEXITED | __WNOTHREAD);
        printf("sibling waitid(P_ALL, __WNOTHREAD): %d %s\n", r, r < 0 ? strerror(errno) : "");
        r = waitpid(child_pid, &st, WNOHANG | __WNOTHREAD);
        report("sibling waitpid(pid, WNOHANG|__WNOTHREAD)", r, st);
        break;
    }
    return NULL;
}

static void run_sibling(int mode) {
    pthread_t t;
    wait_mode = mode;
    pthread_create(&t, NULL, sibling_waiter, NULL);
    pthread_join(t, NULL);
}

/* Is thread tid asleep in wait4 or waitid? (/proc/self/task/TID/syscall) */
static int blocked_in_wait(pid_t tid) {
    char path[64], buf[128] = "";
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 1;          /* cannot tell: the test still checks the result */
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 1;
    return strncmp(buf, "61 ", 3) == 0 || strncmp(buf, "247 ", 4) == 0;
}

static volatile pid_t waiter_tid;
static void *blocking_waiter(void *arg) {
    int st = 0;
    waiter_tid = (pid_t)syscall(SYS_gettid);
    pid_t r = waitpid(-1, &st, 0);
    report("blocked sibling woken", r, st);
    return NULL;
}

static void *forker_exits(void *arg) {
    siginfo_t si;
    child_pid = fork_child((int)(long)arg, 9);
    if (!arg) {                 /* let the child become a zombie first, without reaping it */
        memset(&si, 0, sizeof si);
        waitid(P_PID, child_pid, &si, WEXITED | WNOWAIT);
    }
    return NULL;
}

int main(void) {
    int st = 0;
    char b = 0;
    pid_t r;
    setvbuf(stdout, NULL, _IONBF, 0);
    pipe(release_pipe);
    pipe(done_pipe);

    /* 1. A sibling thread reaps a child that another (live) thread forked. */
    for (int mode = 0; mode < 3; mode++) {
        start_keeper(0);
        run_sibling(mode);
        stop_keeper();
    }

    /* 2. __WNOTHREAD: only the caller's own children count. */
    start_keeper(0);
    run_sibling(3);
    r = waitpid(-1, &st, __WNOTHREAD);
    report("main waitpid(-1, __WNOTHREAD)", r, st);
    r = waitpid(-1, &st, 0);
    report("main waitpid(-1)", r, st);
    stop_keeper();

    /* 3. A wait blocked in one thread is woken when another thread's child exits,
     * also when the thread that forked it exited in the meantime. */
    for (int keeper_exits = 0; keeper_exits < 2; keeper_exits++) {
        pthread_t w;
        start_keeper(1);
        waiter_tid = 0;
        pthread_create(&w, NULL, blocking_waiter, NULL);
        while (waiter_tid == 0 || !blocked_in_wait(waiter_tid))
            sched_yield();
        if (keeper_exits)
            stop_keeper();
        write(release_pipe[1], &b, 1);
        pthread_join(w, NULL);
        if (!keeper_exits)
            stop_keeper();
    }

    /* 4. The thread that forked exits: its child (running, then a zombie) stays the group's. */
    for (int running = 1; running >= 0; running--) {
        pthread_t f;
        child_pid = 0;
        pthread_create(&f, NULL, forker_exits, (void *)(long)running);
        pthread_join(f, NULL);
        if (running)
            write(release_pipe[1], &b, 1);
        r = waitpid(-1, &st, 0);
        report(running ? "child of an exited thread" : "zombie of an exited thread", r, st);
    }

    /* 5. __WNOTHREAD still finds the caller's own child. */
    child_pid = fork_child(0, 5);
    r = waitpid(-1, &st, __WNOTHREAD);
    report("main's own child with __WNOTHREAD", r, st);

    r = waitpid(-1, &st, WNOHANG);
    report("nothing left", r, st);
    return 0;
}
