/* mm_errors.c - memory calls' answers: mincore (resident after a touch, EINVAL for an
 * unaligned start, ENOMEM over a hole, EFAULT for a bad vector), mprotect(PROT_WRITE) of
 * a shared map of /dev/zero opened read-only (EACCES), msync(MS_INVALIDATE) of a locked
 * area (EBUSY). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void say(const char *what, int r)
{
    printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "");
}

int main(void)
{
    long pg = 4096;
    char *a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    a[0] = 1;
    a[2 * pg] = 1;
    unsigned char vec[4];
    say("mincore", mincore(a, 4 * pg, vec));
    printf("resident: %d %d %d %d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
    say("mincore unaligned", mincore(a + 1, pg, vec));
    munmap(a + pg, pg);
    say("mincore over a hole", mincore(a, 4 * pg, vec));
    say("mincore bad vector", mincore(a, pg, (unsigned char *)8));
    int zero = open("/dev/zero", O_RDONLY);
    char *z = mmap(NULL, pg, PROT_READ, MAP_SHARED, zero, 0);
    say("mprotect write on read-only /dev/zero", mprotect(z, pg, PROT_WRITE));
    char *l = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    say("msync invalidate locked", msync(l, pg, MS_INVALIDATE));
    say("msync sync locked", msync(l, pg, MS_SYNC));
    return 0;
}
