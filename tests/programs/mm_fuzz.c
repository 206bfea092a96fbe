/* Random memory-management calls with random (often bad) arguments: mmap of files,
 * memfds and anonymous memory, munmap, mprotect, msync, mremap, madvise, ftruncate under
 * mappings, and touches of random addresses (SIGSEGV/SIGBUS are caught). The kernel must
 * answer each with a result or an errno; an internal error kills us. argv[1]: seed,
 * argv[2]: iterations, argv[3] (any): print each call's result. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf jb;
static void on_fault(int sig) { siglongjmp(jb, sig); }

static unsigned long rnd(void) { return ((unsigned long)rand() << 31) ^ (unsigned long)rand(); }

/* Everything happens inside an arena reserved at the start, so that the program never
 * unmaps or overwrites its own code, stack or heap; addresses outside it are only ones
 * no call can damage (unaligned, kernel, non-canonical). */
#define ARENA (64UL << 20)
static char *arena;

static unsigned long pick_len(void) {
    static const unsigned long lens[] = {0, 1, 4095, 4096, 8192, 3 * 4096 + 7, 1 << 20};
    return lens[rand() % 7];
}

static char *pick_addr(char *maps[8]) {
    static const unsigned long bad[] = {1, 0xffffffff81000000UL, 0x800000000000UL, 4097};
    char *base = maps[rand() % 8];
    switch (rand() % 4) {
    case 0: return (char *)bad[rand() % 4];
    case 1: return arena + (rnd() % (ARENA / 4096 - 512)) * 4096;
    default: return base ? base + (rand() % 4) * 4096 - 4096 : arena + ARENA / 2;
    }
}

static int in_arena(char *p, unsigned long len) {
    return p >= arena && p + len <= arena + ARENA;
}

static unsigned long pick_flags(void) {
    static const unsigned long f[] = {MAP_SHARED, MAP_PRIVATE, 3, 0, MAP_SHARED | MAP_FIXED,
                                      MAP_PRIVATE | MAP_ANONYMOUS, MAP_SHARED | MAP_ANONYMOUS,
                                      3 | 0x80000, MAP_SHARED | MAP_GROWSDOWN,
                                      MAP_PRIVATE | MAP_FIXED_NOREPLACE, 0xffffffff};
    return f[rand() % 11];
}

int main(int argc, char **argv) {
    srand(argc > 1 ? atoi(argv[1]) : 1);
    int iters = argc > 2 ? atoi(argv[2]) : 500;
    int verbose = argc > 3;
    char path[64];
    snprintf(path, sizeof path, "/tmp/gk_mm_fuzz_%d", getpid());
    int fds[4];
    fds[0] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fds[0], 3 * 4096);
    fds[1] = open(path, O_RDONLY);
    fds[2] = syscall(SYS_memfd_create, "fuzz", 2);
    ftruncate(fds[2], 4096);
    fds[3] = open("/dev/zero", O_RDWR);
    char *maps[8] = {0};
    arena = mmap(NULL, ARENA, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    signal(SIGSEGV, on_fault);
    signal(SIGBUS, on_fault);
    long ok = 0, failed = 0, faults = 0;
    for (int i = 0; i < iters; i++) {
        char *addr = pick_addr(maps);
        unsigned long len = pick_len();
        long r = 0;
        int op = rand() % 10;
        errno = 0;
        switch (op) {
        case 0: case 1: {
            int fd = rand() % 5 == 4 ? -1 : fds[rand() % 4];
            unsigned long fl = pick_flags();
            if (fd < 0) fl |= MAP_ANONYMOUS;
            if (!in_arena(addr, len)) { fl &= ~(unsigned long)MAP_FIXED; addr = arena; }
            fl |= MAP_FIXED;                         /* never outside the arena */
            fl &= ~(unsigned long)MAP_FIXED_NOREPLACE;
            void *p = mmap(addr, len, rand() % 8, fl, fd,
                           rand() % 4 ? 0 : (off_t)((rnd() % 8) * 4096));
            r = p == MAP_FAILED ? -1 : 0;
            if (p != MAP_FAILED) maps[rand() % 8] = p;
            break;
        }
        case 2: r = in_arena(addr, len) ? munmap(addr, len) : munmap(addr, 0); break;
        case 3: r = in_arena(addr, len) ? mprotect(addr, len, rand() % 8) : mprotect(addr, 0, 9); break;
        case 4: r = msync(addr, len, rand() % 8); break;
        case 5:                                     /* moves stay in place (no MREMAP_MAYMOVE) */
            r = in_arena(addr, 2 * len) ? (long)mremap(addr, len, rand() % 2 ? len / 2 : 2 * len, 0) : 0;
            break;
        case 6: r = in_arena(addr, len) ? madvise(addr, len, rand() % 25) : madvise(addr, len, 4); break;
        case 7: r = ftruncate(fds[rand() % 3], (rnd() % 5) * 2048); break;
        case 8: r = in_arena(addr, 8192) ? pread(fds[rand() % 3], addr, len % 8192, 0) : 0; break;
        default:
            if (!in_arena(addr, 4096)) break;
            if (sigsetjmp(jb, 1)) { faults++; break; }
            if (rand() % 2) ((volatile char *)addr)[rand() % 4096] = 1;
            else r = ((volatile char *)addr)[rand() % 4096];
            r = 0;
        }
        if (r == -1) failed++; else ok++;
        if (verbose) printf("%d %d %ld %d\n", i, op, r == -1 ? -1L : 0L, r == -1 ? errno : 0);
    }
    unlink(path);
    printf("done\n");
    fprintf(stderr, "%ld ok, %ld failed, %ld faults\n", ok, failed, faults);
    return 0;
}
