/* Descriptor operations on a memfd: attributes (fchmod, fchown, futimens, truncate through
 * /proc/self/fd), fstatfs (tmpfs), fallocate (allocate, keep size, punch hole),
 * SEEK_DATA/SEEK_HOLE by page, FIONREAD, vectored I/O. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_GROW 4
#define F_SEAL_WRITE 8
#endif

#define T(x) do { errno = 0; long r = (long)(x); \
    printf("%-44s %ld %s\n", #x, r, r < 0 ? strerror(errno) : ""); } while (0)

int main(void) {
    int fd = syscall(SYS_memfd_create, "ops", 3);
    char buf[64] = {0}, path[64];
    struct stat st;
    struct statfs sf;
    T(write(fd, "abcdef", 6));
    T(fchmod(fd, 0640));
    T(fchown(fd, 12, 34));
    struct timespec ts[2] = {{1000, 5}, {2000, 7}};
    T(futimens(fd, ts));
    fstat(fd, &st);
    printf("mode %o uid %u gid %u atime %ld mtime %ld nlink %lu\n", st.st_mode, st.st_uid,
           st.st_gid, (long)st.st_atime, (long)st.st_mtime, (unsigned long)st.st_nlink);
    T(fstatfs(fd, &sf));
    printf("f_type %lx bsize %ld\n", (long)sf.f_type, (long)sf.f_bsize);
    T(fallocate(fd, 0, 0, 8192));
    T(lseek(fd, 0, SEEK_DATA));
    T(lseek(fd, 0, SEEK_HOLE));
    T(lseek(fd, 5000, SEEK_DATA));
    T(lseek(fd, 9000, SEEK_HOLE));
    T(fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 4096));
    fstat(fd, &st);
    printf("size %ld blocks %ld\n", (long)st.st_size, (long)st.st_blocks);
    T(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1, 2));
    T(pread(fd, buf, 6, 0));
    printf("after punch: %c %d %d %c\n", buf[0], buf[1], buf[2], buf[3]);
    T(fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 10));
    int avail = -1;
    lseek(fd, 8000, SEEK_SET);
    T(ioctl(fd, FIONREAD, &avail));
    printf("FIONREAD %d\n", avail);
    struct iovec iov[2] = {{buf, 2}, {buf + 2, 3}};
    T(preadv(fd, iov, 2, 2));
    T(pwritev(fd, iov, 2, 100));
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    T(truncate(path, 3));
    T(stat(path, &st));
    printf("size via path %ld\n", (long)st.st_size);
    T(chmod(path, 0600));
    T(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
    T(fallocate(fd, 0, 0, 8192));
    T(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 8192));
    T(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    T(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1));
    T(truncate(path, 1));
    return 0;
}
