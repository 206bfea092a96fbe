/* getrandom.c - getrandom(2) and /dev/urandom sanity; prints "ok" lines. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static int failures;

static void check(int cond, const char *what)
{
    printf("%s %s\n", cond ? "ok" : "FAIL", what);
    failures += !cond;
}

int main(void)
{
    unsigned char a[32], b[32], big[4096];
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    check(getrandom(a, sizeof(a), 0) == 32, "getrandom 32 bytes");
    check(getrandom(b, sizeof(b), GRND_NONBLOCK) == 32, "getrandom GRND_NONBLOCK");
    check(memcmp(a, b, 32) != 0, "two draws differ");
    check(getrandom(big, sizeof(big), 0) == (ssize_t)sizeof(big), "getrandom 4096 bytes");
    int zeros = 0;
    for (size_t i = 0; i < sizeof(big); i++)
        zeros += big[i] == 0;
    check(zeros < 100, "bytes look random");
    errno = 0;
    check(getrandom(a, 8, 0x1000) == -1 && errno == EINVAL, "bad flags give EINVAL");

    int fd = open("/dev/urandom", O_RDONLY);
    check(fd >= 0, "open /dev/urandom");
    memset(a, 0, sizeof(a));
    check(read(fd, a, 16) == 16, "read /dev/urandom");
    int nz = 0;
    for (int i = 0; i < 16; i++)
        nz += a[i] != 0;
    check(nz > 4, "urandom bytes nonzero");
    close(fd);
    return failures ? 1 : 0;
}
