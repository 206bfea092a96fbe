/* vdso_loop.c - time N clock_gettime(CLOCK_MONOTONIC) calls (N = argv[1], default one
 * million) and check that the clock never goes backwards and does move. libc answers
 * them through the vDSO when the kernel maps one, so a strace of this program shows no
 * clock_gettime at all. With "values" as argv[2] the first and last readings are
 * printed too (a --deterministic run gives the same ones every time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long ns(const struct timespec *t)
{
    return t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int values = argc > 2 && strcmp(argv[2], "values") == 0;
    struct timespec first, prev, now;
    long backwards = 0;

    clock_gettime(CLOCK_MONOTONIC, &first);
    prev = first;
    for (long i = 0; i < n; i++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (ns(&now) < ns(&prev))
            backwards++;
        prev = now;
    }
    printf("calls %ld backwards %ld moved %s\n", n, backwards,
           ns(&prev) > ns(&first) ? "yes" : "no");
    if (values) {
        printf("first %lld.%09ld\n", (long long)first.tv_sec, first.tv_nsec);
        printf("last %lld.%09ld\n", (long long)prev.tv_sec, prev.tv_nsec);
        clock_gettime(CLOCK_REALTIME, &now);
        printf("realtime %lld.%09ld\n", (long long)now.tv_sec, now.tv_nsec);
    }
    return backwards != 0;
}
