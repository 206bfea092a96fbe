/* pipe_max_size.c - F_SETPIPE_SZ past /proc/sys/fs/pipe-max-size: only CAP_SYS_RESOURCE
 * may (CAP_SYS_ADMIN is not enough); up to it anyone may. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    long max = 0;
    FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
    if (!f || fscanf(f, "%ld", &max) != 1)
        return 1;
    fclose(f);
    int p[2];
    pipe(p);
    int r = fcntl(p[1], F_SETPIPE_SZ, max);
    printf("to pipe-max-size: %s\n", r == max ? "ok" : strerror(errno));
    r = fcntl(p[1], F_SETPIPE_SZ, max * 2);
    printf("past it: %s\n", r == max * 2 ? "ok" : strerror(errno));
    return 0;
}
