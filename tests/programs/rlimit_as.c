/* RLIMIT_AS and the overcommit heuristic: which mmap/brk/mremap requests get ENOMEM. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define MiB (1UL << 20)
#define TiB (1UL << 40)

static void try_mmap(const char *what, size_t len, int prot, int flags)
{
    void *p = mmap(NULL, len, prot, flags, -1, 0);
    if (p == MAP_FAILED) {
        printf("%s: %s\n", what, strerror(errno));
        return;
    }
    printf("%s: ok\n", what);
    munmap(p, len);
}

int main(void)
{
    const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
    /* Overcommit heuristic: one private writable request larger than RAM + swap fails. */
    try_mmap("1 TiB rw private", TiB, PROT_READ | PROT_WRITE, anon);
    try_mmap("1 TiB rw private noreserve", TiB, PROT_READ | PROT_WRITE, anon | MAP_NORESERVE);
    try_mmap("1 TiB read-only private", TiB, PROT_READ, anon);
    try_mmap("1 TiB rw shared", TiB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
    void *brk0 = sbrk(0);
    errno = 0;
    void *r = sbrk((intptr_t)TiB);
    printf("sbrk 1 TiB: %s\n", r == (void *)-1 ? strerror(errno) : "ok");
    printf("break unchanged: %s\n", sbrk(0) == brk0 ? "yes" : "no");

    struct rlimit lim = {256 * MiB, 256 * MiB};
    if (setrlimit(RLIMIT_AS, &lim) != 0) {
        perror("setrlimit");
        return 1;
    }
    getrlimit(RLIMIT_AS, &lim);
    printf("RLIMIT_AS %lu MiB\n", (unsigned long)(lim.rlim_cur / MiB));
    try_mmap("512 MiB under 256 MiB limit", 512 * MiB, PROT_READ | PROT_WRITE, anon);
    try_mmap("512 MiB read-only under limit", 512 * MiB, PROT_READ, anon);
    try_mmap("512 MiB noreserve under limit", 512 * MiB, PROT_READ, anon | MAP_NORESERVE);
    try_mmap("64 MiB under 256 MiB limit", 64 * MiB, PROT_READ | PROT_WRITE, anon);

    errno = 0;
    r = sbrk(300 * MiB);
    printf("sbrk 300 MiB: %s\n", r == (void *)-1 ? strerror(errno) : "ok");
    r = sbrk(1 * MiB);
    printf("sbrk 1 MiB: %s\n", r == (void *)-1 ? strerror(errno) : "ok");

    char *p = mmap(NULL, MiB, PROT_READ | PROT_WRITE, anon, -1, 0);
    void *q = mremap(p, MiB, 400 * MiB, MREMAP_MAYMOVE);
    printf("mremap to 400 MiB: %s\n", q == MAP_FAILED ? strerror(errno) : "ok");
    q = mremap(p, MiB, 8 * MiB, MREMAP_MAYMOVE);
    printf("mremap to 8 MiB: %s\n", q == MAP_FAILED ? strerror(errno) : "ok");

    void *big = malloc(400 * MiB);
    printf("malloc 400 MiB: %s\n", big ? "ok" : "NULL");
    void *small = malloc(16 * MiB);
    printf("malloc 16 MiB: %s\n", small ? "ok" : "NULL");
    if (small)
        memset(small, 1, 16 * MiB);
    return 0;
}
