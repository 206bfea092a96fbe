/* /proc/<pid> of a zombie and of a task released while its directory is open: every file
 * and link gives Linux's answer (an errno or the zombie's values), never a crash. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int e) {
    static char b[32];
    switch (e) {
    case ENOENT: return "ENOENT"; case ESRCH: return "ESRCH"; case EACCES: return "EACCES";
    case EPERM: return "EPERM"; case EINVAL: return "EINVAL"; case ENOTDIR: return "ENOTDIR";
    }
    snprintf(b, sizeof b, "errno %d", e);
    return b;
}

/* What a reader of dirfd/name sees, reduced to what native and guest share. */
static void probe(int dirfd, const char *name) {
    struct stat st;
    char buf[8192];
    printf("%-8s", name);
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        /* A released process's directory: 6.1 says ENOENT, later kernels ESRCH. */
        printf(" lstat %s\n", errno == ESRCH ? "ENOENT" : en(errno));
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlinkat(dirfd, name, buf, sizeof buf - 1);
        printf(" readlink %s", n < 0 ? en(errno) : "ok");
        printf(" stat %s", fstatat(dirfd, name, &st, 0) < 0 ? en(errno) : "ok");
    } else if (S_ISDIR(st.st_mode)) {
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY);
        if (fd < 0) { printf(" open %s\n", en(errno)); return; }
        DIR *d = fdopendir(fd);
        int count = 0;
        errno = 0;
        while (readdir(d)) count++;
        printf(" entries>2 %d %s", count > 2, errno ? en(errno) : "");
        closedir(d);
    } else {
        int fd = openat(dirfd, name, O_RDONLY);
        if (fd < 0 && errno == ESRCH && !strcmp(name, "environ")) {
            /* A zombie's environ: 6.1 opens it and reads nothing, later kernels ESRCH. */
            printf(" bytes>0 0\n");
            return;
        }
        if (fd < 0) { printf(" open %s\n", en(errno)); return; }
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n < 0) printf(" read %s", en(errno));
        else {
            buf[n] = 0;
            if (!strcmp(name, "stat")) {
                char *rp = strrchr(buf, ')');
                printf(" state %c", rp ? rp[2] : '?');
            } else if (!strcmp(name, "status")) {
                char *s = strstr(buf, "State:");
                printf(" %.*s", s ? (int)strcspn(s, "\n") : 0, s ? s : "");
            } else if (!strcmp(name, "comm")) {
                printf(" %s", buf);
            } else {
                printf(" bytes>0 %d", n > 0);
            }
        }
        close(fd);
    }
    printf("\n");
}

static const char *names[] = {"cmdline", "comm", "cwd", "environ", "exe", "fd", "maps", "root",
                              "stat", "statm", "status", "task", NULL};

int main(void) {
    pid_t z = fork();
    if (z == 0) _exit(3);
    siginfo_t si;
    waitid(P_PID, z, &si, WEXITED | WNOWAIT);       /* a zombie, not reaped */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", z);
    int dirfd = open(path, O_RDONLY | O_DIRECTORY);
    printf("zombie:\n");
    for (const char **n = names; *n; n++) probe(dirfd, *n);
    char tpath[80];
    snprintf(tpath, sizeof tpath, "/proc/%d/task/%d", z, z);
    int tfd = open(tpath, O_RDONLY | O_DIRECTORY);
    printf("zombie thread dir: %s\n", tfd < 0 ? en(errno) : "ok");

    int status;
    waitpid(z, &status, 0);                          /* released: the open dir is stale */
    printf("released:\n");
    for (const char **n = names; *n; n++) probe(dirfd, *n);
    char buf[4096];
    int n = syscall(217, dirfd, buf, sizeof buf);    /* getdents64 */
    printf("getdents64 %s\n", n < 0 ? (errno == ESRCH ? "ENOENT" : en(errno)) : "ok");
    if (tfd >= 0) {
        printf("released thread dir:\n");
        for (const char **m = names; *m; m++) if (strcmp(*m, "task")) probe(tfd, *m);
    }
    return 0;
}
