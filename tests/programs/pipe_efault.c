/* A read (or readv) from a pipe into a bad buffer fails with EFAULT and leaves the bytes in the
 * pipe (pipe_read does not consume what it could not copy): the next read gets them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void)
{
    int p[2];
    char buf[16] = {0};
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long r;
    if (pipe(p) != 0 || ro == MAP_FAILED)
        return 2;
    write(p[1], "hello", 5);
    r = read(p[0], (void *)8, 5);
    printf("read into an unmapped page: %ld %s\n", r, r < 0 ? strerror(errno) : "");
    r = read(p[0], ro, 5);
    printf("read into a read-only page: %ld %s\n", r, r < 0 ? strerror(errno) : "");
    {
        struct iovec iov[2] = {{buf, 2}, {(void *)8, 3}};   /* the second buffer is bad */
        r = readv(p[0], iov, 2);
        printf("readv with a bad second buffer: %ld %s\n", r, r < 0 ? strerror(errno) : "");
    }
    memset(buf, 0, sizeof buf);
    r = read(p[0], buf, sizeof buf);
    printf("read into a buffer: %ld \"%s\"\n", r, buf);
    return 0;
}
