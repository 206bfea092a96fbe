/* files.c - basic file I/O in the directory argv[1]: create, write, lseek,
 * read, fstat, stat, ftruncate, unlink; prints results and sizes, and the
 * errno name of a stat after unlink. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errname(int e)
{
    switch (e) {
    case 0: return "0";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    default: return "other";
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: files DIR\n");
        return 2;
    }
    umask(022);
    char path[4096];
    snprintf(path, sizeof(path), "%s/data.bin", argv[1]);

    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    printf("open: %s\n", fd >= 0 ? "ok" : errname(errno));
    if (fd < 0)
        return 1;

    char buf[10000];
    for (int i = 0; i < (int)sizeof(buf); i++)
        buf[i] = (char)('a' + i % 26);
    printf("write: %zd\n", write(fd, buf, sizeof(buf)));
    printf("write2: %zd\n", write(fd, "tail\n", 5));
    printf("lseek cur: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    printf("lseek end: %ld\n", (long)lseek(fd, 0, SEEK_END));
    printf("lseek set 26: %ld\n", (long)lseek(fd, 26, SEEK_SET));

    char rd[64] = {0};
    printf("read: %zd\n", read(fd, rd, 10));
    printf("data: %.10s\n", rd);
    printf("lseek -5 end: %ld\n", (long)lseek(fd, -5, SEEK_END));
    memset(rd, 0, sizeof(rd));
    printf("read tail: %zd\n", read(fd, rd, 63));
    printf("data: %s", rd);
    printf("read at eof: %zd\n", read(fd, rd, 10));
    errno = 0;
    long off = (long)lseek(fd, -1, SEEK_SET);
    printf("lseek negative: %ld %s\n", off, errname(errno));

    /* Writing past the end leaves a hole that reads as zeros. */
    lseek(fd, 20000, SEEK_SET);
    write(fd, "X", 1);
    lseek(fd, 15000, SEEK_SET);
    char hole[4] = {1, 1, 1, 1};
    read(fd, hole, 4);
    printf("hole: %d %d %d %d\n", hole[0], hole[1], hole[2], hole[3]);

    struct stat st;
    int r = fstat(fd, &st);
    printf("fstat: %d size=%ld reg=%d mode=%o\n", r, (long)st.st_size,
           S_ISREG(st.st_mode), st.st_mode & 07777);
    printf("ftruncate: %d\n", ftruncate(fd, 1234));
    fstat(fd, &st);
    printf("fstat after truncate: size=%ld\n", (long)st.st_size);
    printf("close: %d\n", close(fd));
    errno = 0;
    r = close(fd);
    printf("close again: %d %s\n", r, errname(errno));

    memset(&st, 0, sizeof(st));
    r = stat(path, &st);
    printf("stat: %d size=%ld\n", r, (long)st.st_size);
    errno = 0;
    r = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
    printf("open excl: %d %s\n", r >= 0 ? 0 : -1, errname(errno));

    fd = open(path, O_WRONLY | O_APPEND);
    printf("append write: %zd\n", write(fd, "0123456789", 10));
    close(fd);
    stat(path, &st);
    printf("stat after append: size=%ld\n", (long)st.st_size);

    printf("unlink: %d\n", unlink(path));
    errno = 0;
    r = stat(path, &st);
    printf("stat after unlink: %d %s\n", r, errname(errno));
    errno = 0;
    r = open(argv[1], O_WRONLY);
    printf("open dir for write: %d %s\n", r >= 0 ? 0 : -1, errname(errno));
    errno = 0;
    snprintf(path, sizeof(path), "%s/nonexistent/x", argv[1]);
    r = open(path, O_RDONLY);
    printf("open missing parent: %d %s\n", r >= 0 ? 0 : -1, errname(errno));
    return 0;
}
