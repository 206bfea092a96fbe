#define _GNU_SOURCE
/* locks_common.h - helpers shared by the locks_*.c differential tests (included by each). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static __attribute__((unused)) const char *ename(int e)
{
    switch (e) {
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EDEADLK: return "EDEADLK";
    case EINTR: return "EINTR";
    case EOVERFLOW: return "EOVERFLOW";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    default: return "E?";
    }
}

#define SHOW(what, call) do { int r_ = (call); \
    if (r_ < 0) printf("%s = -1 %s\n", what, ename(errno)); \
    else printf("%s = %d\n", what, r_); } while (0)

static __attribute__((unused)) int lk(int fd, int cmd, short type, short whence, off_t start, off_t len)
{
    struct flock l = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len };
    return fcntl(fd, cmd, &l);
}

/* F_GETLK (or F_OFD_GETLK) for a write lock over [start, start+len): what blocks it. */
static __attribute__((unused)) void getlk(const char *what, int fd, int cmd, off_t start, off_t len, pid_t expect)
{
    struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    if (fcntl(fd, cmd, &l) < 0) {
        printf("%s: -1 %s\n", what, ename(errno));
        return;
    }
    if (l.l_type == F_UNLCK) {
        printf("%s: unlocked\n", what);
        return;
    }
    printf("%s: %s start=%lld len=%lld pid=%s\n", what, l.l_type == F_WRLCK ? "W" : "R",
           (long long)l.l_start, (long long)l.l_len,
           l.l_pid == expect ? "expected" : l.l_pid == -1 ? "-1" : "other");
}

/* Wait until /proc/locks shows a waiter ("->") on the inode of fd: a state, not a time. */
static __attribute__((unused)) void wait_for_waiter(int fd)
{
    struct stat st;
    char line[256], tag[64];
    fstat(fd, &st);
    snprintf(tag, sizeof tag, ":%lu ", (unsigned long)st.st_ino);
    for (;;) {
        FILE *f = fopen("/proc/locks", "r");
        int found = 0;
        while (f && fgets(line, sizeof line, f))
            if (strstr(line, "->") && strstr(line, tag))
                found = 1;
        if (f)
            fclose(f);
        if (found)
            return;
        sched_yield();
    }
}

/* /proc/locks lines of fd's inode, without the columns that differ between machines
   (the id, the pid, the device) but saying whether the pid is ``who``. */
static int cmp_lines(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* The file's lines of /proc/locks, sorted: Linux lists locks from per-CPU lists, so their
 * order depends on where each holder ran. */
static __attribute__((unused)) void show_proc_locks(int fd, pid_t who)
{
    struct stat st;
    char line[256], tag[64], out[32][256];
    int n = 0;
    fstat(fd, &st);
    snprintf(tag, sizeof tag, ":%lu ", (unsigned long)st.st_ino);
    FILE *f = fopen("/proc/locks", "r");
    while (f && fgets(line, sizeof line, f) && n < 32) {
        char *p = strstr(line, tag);
        if (!p)
            continue;
        char *body = strchr(line, ' ') + 1;        /* after "N: " */
        char kind[32] = "", adv[32] = "", type[16] = "";
        int arrow = strncmp(body + strspn(body, " "), "->", 2) == 0;
        char *q = body + strspn(body, " ") + (arrow ? 3 : 0);
        long pid;
        sscanf(q, "%31s %31s %15s %ld", kind, adv, type, &pid);
        snprintf(out[n++], sizeof out[0], "  proc/locks:%s %s %s %s pid=%s range=%s",
                 arrow ? " ->" : "", kind, adv, type,
                 pid == who ? "expected" : pid == -1 ? "-1" : "other", p + strlen(tag));
    }
    if (f)
        fclose(f);
    qsort(out, n, sizeof out[0], cmp_lines);
    for (int i = 0; i < n; i++)
        fputs(out[i], stdout);
}
