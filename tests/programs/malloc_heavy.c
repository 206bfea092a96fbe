/* malloc_heavy.c - many allocations of mixed sizes, including blocks over
 * 128 KiB that malloc serves with mmap; realloc growth; frees; then a
 * checksum over all live data.  Exercises brk, mmap, munmap and mremap. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSLOTS 2000

static uint32_t rng_state = 12345;

static uint32_t rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static size_t pick_size(void)
{
    uint32_t r = rnd() % 100;
    if (r < 70)
        return 1 + rnd() % 512;
    if (r < 97)
        return 512 + rnd() % 16384;
    return 131072 + rnd() % (512 * 1024);            /* > 128 KiB: mmap */
}

static void fill(unsigned char *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7);
}

int main(void)
{
    static unsigned char *ptr[NSLOTS];
    static size_t len[NSLOTS];
    uint64_t allocs = 0, frees = 0, reallocs = 0, bytes = 0;

    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < NSLOTS; i++) {
            uint32_t op = rnd() % 10;
            if (ptr[i] == NULL) {
                len[i] = pick_size();
                ptr[i] = malloc(len[i]);
                if (!ptr[i]) { printf("malloc failed\n"); return 1; }
                fill(ptr[i], len[i], (uint32_t)i);
                allocs++;
                bytes += len[i];
            } else if (op < 3) {
                free(ptr[i]);
                ptr[i] = NULL;
                frees++;
            } else if (op < 6 && len[i] < 300000) {
                /* grow: the old contents must survive the move */
                size_t newlen = len[i] * 2 + rnd() % 4096;
                unsigned char *q = realloc(ptr[i], newlen);
                if (!q) { printf("realloc failed\n"); return 1; }
                for (size_t k = 0; k < len[i]; k++)
                    if (q[k] != (unsigned char)((uint32_t)i + k * 7)) {
                        printf("realloc lost data in slot %d at %zu\n", i, k);
                        return 1;
                    }
                fill(q + len[i], newlen - len[i], (uint32_t)(i + len[i] * 7));
                ptr[i] = q;
                len[i] = newlen;
                reallocs++;
                bytes += newlen;
            }
        }
    }

    /* one very large block to force a big mmap, and calloc zeroing */
    unsigned char *big = malloc(8u << 20);
    memset(big, 0xab, 8u << 20);
    unsigned char *z = calloc(1, 1u << 20);
    int zero_ok = 1;
    for (size_t i = 0; i < (1u << 20); i++)
        if (z[i]) zero_ok = 0;

    uint64_t sum = 0;
    size_t live = 0;
    for (int i = 0; i < NSLOTS; i++) {
        if (!ptr[i]) continue;
        live++;
        for (size_t k = 0; k < len[i]; k++)
            sum = sum * 31 + ptr[i][k];
        free(ptr[i]);
    }
    sum += big[12345] + big[(8u << 20) - 1];
    free(big);
    free(z);
    printf("allocs=%llu frees=%llu reallocs=%llu bytes=%llu live=%zu\n",
           (unsigned long long)allocs, (unsigned long long)frees,
           (unsigned long long)reallocs, (unsigned long long)bytes, live);
    printf("calloc zeroed: %s\n", zero_ok ? "yes" : "no");
    printf("checksum=%016llx\n", (unsigned long long)sum);
    return 0;
}
