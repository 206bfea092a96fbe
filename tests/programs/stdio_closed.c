/* stdio_closed.c - which of the descriptors 0-2 a program was started with, and the
 * number its first open gets (the lowest free one). Reports to the descriptor in argv[1]
 * (whichever one the test left open), then lists /proc/self/fd. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int out = argc > 1 ? atoi(argv[1]) : 1;
    for (int fd = 0; fd < 3; fd++) {
        int r = fcntl(fd, F_GETFD);
        dprintf(out, "fd %d: %s\n", fd, r < 0 ? strerror(errno) : "open");
    }
    char c;
    errno = 0;
    ssize_t n = read(0, &c, 1);
    dprintf(out, "read(0): %zd %s\n", n, n < 0 ? strerror(errno) : "");
    int f = open("/dev/null", O_RDONLY);
    dprintf(out, "first open: fd %d\n", f);
    close(f);
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int fds[64], count = 0;
    while (d && (e = readdir(d)) != NULL && count < 64)
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
            fds[count++] = atoi(e->d_name);
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++)
            if (fds[j] < fds[i]) { int t = fds[i]; fds[i] = fds[j]; fds[j] = t; }
    dprintf(out, "/proc/self/fd:");
    for (int i = 0; i < count; i++)
        dprintf(out, " %d", fds[i]);
    dprintf(out, "\n");
    return 0;
}
