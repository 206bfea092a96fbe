/* A thread-group leader that exits (SYS_exit) before its thread: it stays a zombie that
 * its parent cannot reap while the thread lives, /proc/<pid> stays and shows state Z, and
 * the parent gets the group's status once the last thread exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t leader;
static int report[2], go[2];

static void *thread_main(void *arg) {
    (void)arg;
    char c;
    read(go[0], &c, 1);                         /* the parent saw the leader as a zombie */
    const char *names[] = {"cmdline", "comm", "cwd", "exe", "fd", "maps", "root", "stat",
                           "statm", "status", "task", NULL};
    char p[128], buf[4096];
    for (const char **n = names; *n; n++) {
        snprintf(p, sizeof p, "/proc/%d/%s", leader, *n);
        struct stat st;
        int r = lstat(p, &st);
        printf("%-8s lstat %s", *n, r < 0 ? strerror(errno) : "ok");
        if (r == 0 && S_ISLNK(st.st_mode)) {
            printf(" readlink %s", readlink(p, buf, sizeof buf) < 0 ? strerror(errno) : "ok");
        } else if (r == 0 && S_ISREG(st.st_mode)) {
            int fd = open(p, O_RDONLY);
            int k = fd < 0 ? -1 : (int)read(fd, buf, sizeof buf - 1);
            if (k > 0 && !strcmp(*n, "stat"))
                printf(" state %c", strrchr(buf, ')')[2]);
            else
                printf(" read>0 %d", k > 0);
            close(fd);
        }
        printf("\n");
    }
    fflush(stdout);
    syscall(SYS_exit_group, 5);
    return NULL;
}

int main(void) {
    pipe(report);
    pipe(go);
    pid_t child = fork();
    if (child == 0) {
        leader = getpid();
        pthread_t t;
        pthread_create(&t, NULL, thread_main, NULL);
        syscall(SYS_exit, 0);                  /* the leader alone */
    }
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", child);
    for (;;) {                                  /* wait for the state, not for a time */
        int fd = open(path, O_RDONLY);
        int n = read(fd, buf, sizeof buf - 1);
        close(fd);
        buf[n > 0 ? n : 0] = 0;
        char *rp = strrchr(buf, ')');
        if (rp && rp[2] == 'Z') break;
        usleep(1000);
    }
    printf("leader is a zombie; WNOHANG: %d\n", waitpid(child, NULL, WNOHANG));
    fflush(stdout);
    write(go[1], "x", 1);
    int status;
    int reaped = waitpid(child, &status, 0) == child;
    printf("reaped %d, exit status %d\n", reaped, WEXITSTATUS(status));
    return 0;
}
