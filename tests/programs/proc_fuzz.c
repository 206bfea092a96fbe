/* Read every file and readlink every link of every task in /proc while tasks come and go:
 * children that fork and exit, zombies not yet reaped, a second thread. Any answer is
 * accepted except an unexpected errno; a kernel that crashes kills us instead.
 * argv[1]: rounds of the walk. Prints a summary that does not depend on timing. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long unexpected, files, links, dirs;

static int expected(int e) {
    /* What Linux answers for entries of tasks that exit or are not ours to read. */
    return e == ENOENT || e == ESRCH || e == EACCES || e == EPERM || e == EINVAL ||
           e == ENOTDIR || e == EISDIR || e == ENXIO || e == EIO || e == ELOOP || e == ENOTTY;
}

static void bad(const char *what, const char *path) {
    if (!expected(errno)) {
        unexpected++;
        printf("unexpected %s %s: %s\n", what, path, strerror(errno));
    }
}

static void keep_stale(const char *path);

static void walk(const char *path, int depth) {
    DIR *d = opendir(path);
    dirs++;
    if (!d) { bad("opendir", path); return; }
    struct dirent *e;
    char child[512], buf[4096];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        sched_yield();                              /* let the churn run between entries */
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(child, &st) < 0) { bad("lstat", child); continue; }
        if (depth == 0 && e->d_name[0] >= '1' && e->d_name[0] <= '9' && rand() % 3 == 0)
            keep_stale(child);
        if (S_ISLNK(st.st_mode)) {
            links++;
            if (readlink(child, buf, sizeof buf) < 0) bad("readlink", child);
            if (stat(child, &st) < 0) bad("stat", child);
        } else if (S_ISDIR(st.st_mode)) {
            if (depth < 4 && strcmp(e->d_name, "self") && strcmp(e->d_name, "thread-self"))
                walk(child, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            files++;
            int fd = open(child, O_RDONLY | O_NONBLOCK);
            if (fd < 0) { bad("open", child); continue; }
            /* a bounded read: pagemap has 8 bytes for every page of the address space */
            for (int n = 0; n < 64 && read(fd, buf, sizeof buf) > 0; n++) {}
            close(fd);
        }
    }
    closedir(d);
}

static void *thread_main(void *arg) {
    (void)arg;
    for (;;) pause();
    return NULL;
}

static void *short_thread(void *arg) { return arg; }

/* Directories of tasks seen in earlier rounds, kept open: read again after the task may
 * have exited (a stale directory must answer ENOENT, never crash). */
#define STALE 16
static int stale[STALE], nstale;

static void probe_stale(void) {
    static const char *names[] = {"cmdline", "comm", "cwd", "environ", "exe", "fd", "maps",
                                  "root", "stat", "statm", "status", "task", NULL};
    char buf[4096];
    for (int i = 0; i < nstale; i++) {
        for (const char **n = names; *n; n++) {
            struct stat st;
            if (fstatat(stale[i], *n, &st, AT_SYMLINK_NOFOLLOW) < 0) { bad("fstatat", *n); continue; }
            if (readlinkat(stale[i], *n, buf, sizeof buf) < 0 && errno != EINVAL) bad("readlinkat", *n);
            int fd = openat(stale[i], *n, O_RDONLY);
            if (fd < 0) { bad("openat", *n); continue; }
            while (read(fd, buf, sizeof buf) > 0) {}
            close(fd);
        }
        if (syscall(217, stale[i], buf, sizeof buf) < 0) bad("getdents64", "stale");
    }
}

static void keep_stale(const char *path) {
    if (nstale == STALE) { close(stale[0]); memmove(stale, stale + 1, sizeof stale[0] * --nstale); }
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) stale[nstale++] = fd;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pid_t zombie = fork();
    if (zombie == 0) _exit(1);                      /* reaped only at the end */
    pid_t parent = getpid();
    pid_t lonely = fork();
    if (lonely == 0) {                              /* a leader that exits before its thread */
        pthread_t lt;
        pthread_create(&lt, NULL, thread_main, NULL);
        syscall(SYS_exit, 0);
    }
    pid_t churn = fork();
    if (churn == 0) {                               /* children that come and go */
        while (getppid() == parent) {               /* ... until the walker is gone */
            pid_t c = fork();
            if (c == 0) {
                if (fork() == 0) _exit(0);          /* a grandchild, reparented */
                pthread_t st;                        /* and a thread that comes and goes */
                pthread_create(&st, NULL, short_thread, NULL);
                pthread_join(st, NULL);
                _exit(0);
            }
            waitpid(c, NULL, 0);
        }
        _exit(0);
    }
    for (int i = 0; i < rounds; i++) {
        walk("/proc", 0);
        walk("/proc/self", 0);
        probe_stale();
    }
    kill(lonely, SIGKILL);
    waitpid(lonely, NULL, 0);
    kill(churn, SIGKILL);
    waitpid(churn, NULL, 0);
    waitpid(zombie, NULL, 0);
    printf("walked %d rounds, %ld unexpected\n", rounds, unexpected);
    fprintf(stderr, "%ld dirs, %ld files, %ld links\n", dirs, files, links);
    return unexpected != 0;
}
