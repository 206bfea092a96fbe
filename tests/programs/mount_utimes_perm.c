/* utime(2)/utimensat(2) permission checks (fs/utimes.c, setattr_prepare): setting the
 * time to now needs ownership, CAP_FOWNER or write permission (EACCES); explicit times
 * need ownership or CAP_FOWNER (EPERM). Needs root (it becomes nobody). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#define TRY(label, expr) do { errno = 0; long r_ = (long)(expr); \
    printf("%-24s %ld %s\n", label, r_, r_ < 0 ? strerrorname_np(errno) : "ok"); } while (0)

int main(void)
{
    struct utimbuf t = {1000, 2000};
    struct timespec now2[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    struct timespec set2[2] = {{5, 0}, {0, UTIME_OMIT}};
    close(open("ro", O_CREAT | O_WRONLY, 0644));
    close(open("rw", O_CREAT | O_WRONLY, 0666));
    chmod("rw", 0666);
    if (seteuid(65534) != 0)
        return 1;
    TRY("utime NULL no write", utime("ro", NULL));
    TRY("utime times no write", utime("ro", &t));
    TRY("utimensat NOW no write", utimensat(AT_FDCWD, "ro", now2, 0));
    TRY("utimensat set no write", utimensat(AT_FDCWD, "ro", set2, 0));
    TRY("utime NULL writable", utime("rw", NULL));
    TRY("utime times writable", utime("rw", &t));
    TRY("utimensat NOW writable", utimensat(AT_FDCWD, "rw", now2, 0));
    seteuid(0);
    TRY("utime times as root", utime("ro", &t));
    unlink("ro");
    unlink("rw");
    return 0;
}
