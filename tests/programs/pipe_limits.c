/* fs.pipe-user-pages-soft for an unprivileged user: past it new pipes get 2 pages, and
 * F_SETPIPE_SZ may not grow a pipe (EPERM); nor past fs.pipe-max-size. Closing the pipes
 * gives the pages back. Run as root: the test drops to uid 65534 first. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define NPIPES 1100

static int fds[NPIPES][2];

static void show(const char *path)
{
    char buf[64] = "";
    FILE *f = fopen(path, "r");
    if (f && fgets(buf, sizeof buf, f))
        printf("%s: %s", path, buf);
    if (f)
        fclose(f);
}

int main(void)
{
    show("/proc/sys/fs/pipe-max-size");
    show("/proc/sys/fs/pipe-user-pages-soft");
    show("/proc/sys/fs/pipe-user-pages-hard");
    int p[2];
    struct rlimit lim = {4 * NPIPES, 4 * NPIPES};
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0 || setuid(65534) != 0) {
        printf("cannot drop privileges: %s\n", strerror(errno));
        return 0;
    }
    int first_small = -1, n;
    for (n = 0; n < NPIPES; n++) {
        if (pipe(fds[n]) != 0) {
            printf("pipe %d: %s\n", n, strerror(errno));
            break;
        }
        int size = fcntl(fds[n][0], F_GETPIPE_SZ);
        if (size != 65536 && first_small < 0) {
            first_small = n;
            printf("pipe %d: size %d (earlier ones 65536)\n", n, size);
        }
    }
    int last = n - 1;
    int r = fcntl(fds[last][1], F_SETPIPE_SZ, 65536);
    printf("grow a small pipe to 64 KiB: %s\n", r < 0 ? strerror(errno) : "ok");
    r = fcntl(fds[last][1], F_SETPIPE_SZ, 4096);
    printf("shrink it to 4 KiB: %d\n", r);
    r = fcntl(fds[0][1], F_SETPIPE_SZ, 2 << 20);
    printf("grow a pipe past pipe-max-size: %s\n", r < 0 ? strerror(errno) : "ok");
    r = fcntl(fds[0][1], F_SETPIPE_SZ, 4096);
    printf("shrink the first pipe to 4 KiB: %d\n", r);
    char page[4096];
    memset(page, 'p', sizeof page);
    fcntl(fds[0][1], F_SETFL, O_NONBLOCK);
    int total = 0;
    while ((r = write(fds[0][1], page, sizeof page)) > 0)
        total += r;
    printf("a 4 KiB pipe holds %d bytes, then %s\n", total, strerror(errno));
    r = fcntl(fds[0][1], F_SETPIPE_SZ, 65536);
    printf("grow it back to 64 KiB while over the soft limit: %s\n", r < 0 ? strerror(errno) : "ok");
    for (int i = 0; i < n; i++) {
        close(fds[i][0]);
        close(fds[i][1]);
    }
    pipe(p);
    printf("after closing them all, a new pipe: %d\n", fcntl(p[0], F_GETPIPE_SZ));
    return 0;
}
