/* mremap inside one large mapping: a growth that cannot happen in place fails without
 * changing anything, and a shrink only unmaps the tail (no single-VMA check). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static void show(const char *what, void *r) {
    printf("%-24s %s\n", what, r == MAP_FAILED ? strerror(errno) : "ok");
}

int main(void) {
    /* 64 MiB with 64 MiB free above it: the top of the mmap area may hold [vvar] and
     * [vdso] right above a fresh mapping (Linux 6.1), or a gap (newer kernels align it). */
    char *a = mmap(NULL, 128 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    munmap(a + (64 << 20), 64 << 20);
    char *m = a + (32 << 20);
    show("grow inside", mremap(m, 4096, 8192, 0));
    show("same size inside", mremap(m, 4096, 2048, 0));
    show("shrink after a failure", mremap(m, 8192, 4096, 0));
    show("shrink across a hole", mremap(m, 3 * 4096, 4096, 0));
    show("grow across the hole", mremap(m, 3 * 4096, 4 * 4096, 0));
    show("grow at the end", mremap(a + (64 << 20) - 4096, 4096, 8192, 0));
    show("move", mremap(a, 4096, 1 << 20, MREMAP_MAYMOVE));
    show("unmapped", mremap(m + 4096, 4096, 8192, MREMAP_MAYMOVE));
    return 0;
}
