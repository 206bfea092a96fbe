/* execve in a multithreaded process (fs/exec.c de_thread): the other threads die first,
 * the process is left with one thread, and an exec from a thread that is not the leader
 * keeps the process's pid (the exec'ing thread takes the leader's place). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static char *self_path;
static int blocker_pipe[2];
static volatile unsigned long spins;

static void *spinner(void *arg) { for (;;) spins++; return arg; }   /* never enters the kernel */

static void *blocker(void *arg) {                     /* asleep in read() */
    char c;
    read(blocker_pipe[0], &c, 1);
    return arg;
}

static void exec_after(const char *who) {
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    execl(self_path, self_path, "after", who, pid, (char *)0);
    perror("execl");
    _exit(127);
}

static void *execer(void *arg) { exec_after("thread"); return arg; }

/* Exec once the leader has exited (pthread_exit): wait until it is a zombie. */
static void *late_execer(void *arg) {
    char path[64], stat[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)getpid());
    for (;;) {
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(stat, 1, sizeof stat - 1, f) : 0;
        if (f)
            fclose(f);
        stat[n] = 0;
        char *end = strrchr(stat, ')');
        if (!end || end[2] == 'Z')
            break;
        usleep(1000);
    }
    exec_after("leader-gone");
    return arg;
}

static void start_threads(void) {
    pthread_t t;
    if (pipe(blocker_pipe) || pthread_create(&t, 0, spinner, 0) || pthread_create(&t, 0, blocker, 0)) {
        perror("setup");
        _exit(126);
    }
}

/* The new image: one thread, the same pid, the thread id is the pid. */
static int after(const char *who, const char *oldpid) {
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    int threads = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "Threads:", 8))
            threads = atoi(line + 8);
    printf("%s: after exec Threads=%d pid kept=%d tid==pid=%d\n", who, threads,
           getpid() == atoi(oldpid), (int)syscall(SYS_gettid) == getpid());
    fflush(stdout);
    return 3;
}

static void run(const char *who, int from_thread) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        if (from_thread != 2)
            start_threads();                           /* leader-gone: only the zombie leader is left */
        if (from_thread) {
            pthread_t t;
            pthread_create(&t, 0, from_thread == 2 ? late_execer : execer, 0);
            if (from_thread == 2)
                pthread_exit(0);                       /* the leader goes first */
            for (;;) pause();                          /* the leader just waits */
        }
        exec_after(who);
    }
    /* A pidfd names the process, whichever thread ends up its leader: signal 0 to the
     * zombie (exited, not yet reaped) still finds it. */
    int pidfd = syscall(SYS_pidfd_open, child, 0);
    siginfo_t si;
    waitid(P_PID, child, &si, WEXITED | WNOWAIT);
    printf("%s: pidfd_send_signal to the zombie=%ld\n", who,
           (long)syscall(SYS_pidfd_send_signal, pidfd, 0, 0, 0));
    close(pidfd);
    int status;
    pid_t got = waitpid(-1, &status, 0);
    printf("%s: waitpid got the child's pid=%d exited=%d code=%d\n", who, got == child,
           WIFEXITED(status), WEXITSTATUS(status));
}

int main(int argc, char **argv) {
    setvbuf(stdout, 0, _IONBF, 0);
    if (argc == 4 && !strcmp(argv[1], "after"))
        return after(argv[2], argv[3]);
    self_path = argv[0];
    run("main", 0);
    run("thread", 1);
    run("leader-gone", 2);
    return 0;
}
