#define _GNU_SOURCE
/* statfs/fstatfs: the fields that do not depend on the host's disks (procfs, pipefs),
 * the file system type of /dev, and the errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, int ret, const struct statfs *st)
{
    if (ret < 0) {
        printf("%-24s errno %d\n", what, errno);
        return;
    }
    /* (mount flags other than ST_VALID depend on how the host mounted the file system) */
    printf("%-24s type %#lx bsize %ld blocks %lu files %lu namelen %ld frsize %ld valid %d\n",
           what, (long)st->f_type, (long)st->f_bsize, (unsigned long)st->f_blocks,
           (unsigned long)st->f_files, (long)st->f_namelen, (long)st->f_frsize,
           !!(st->f_flags & 0x20));
}

int main(void)
{
    struct statfs st;
    int pfd[2];

    if (pipe(pfd) < 0)
        return 1;
    show("statfs /proc", statfs("/proc", &st), &st);
    show("statfs /proc/self/stat", statfs("/proc/self/stat", &st), &st);
    show("fstatfs pipe", fstatfs(pfd[0], &st), &st);
    int ret = statfs("/dev", &st);
    printf("statfs /dev: %d, tmpfs %d\n", ret, ret == 0 && st.f_type == 0x01021994);
    ret = statfs("/", &st);
    printf("statfs /: %d, bsize > 0 %d, namelen %ld, valid %d\n", ret, st.f_bsize > 0,
           (long)st.f_namelen, !!(st.f_flags & 0x20));
    int fd = open("/", O_PATH);
    ret = fstatfs(fd, &st);
    printf("fstatfs O_PATH /: %d\n", ret);
    show("statfs missing", statfs("/no/such/path", &st), &st);
    show("statfs through a file", statfs("/proc/self/stat/x", &st), &st);
    show("statfs empty path", statfs("", &st), &st);
    show("statfs bad buffer", syscall(SYS_statfs, "/proc", (void *)16), &st);
    show("fstatfs closed fd", fstatfs(99, &st), &st);
    return 0;
}
