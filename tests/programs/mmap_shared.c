/* MAP_SHARED file mappings: one set of pages for every mapping and process, coherent
 * with read/write, written back to the file; msync's checks; EACCES for writable shared
 * mappings of read-only descriptors (mmap and mprotect); MAP_SHARED_VALIDATE. */
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

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

static const char *name(int e) {
    switch (e) {
    case 0: return "ok"; case EINVAL: return "EINVAL"; case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES"; case EOPNOTSUPP: return "EOPNOTSUPP"; case EBADF: return "EBADF";
    case ENODEV: return "ENODEV"; case EBUSY: return "EBUSY"; case EOVERFLOW: return "EOVERFLOW";
    default: return strerror(e);
    }
}
#define CHECK(label, call) do { errno = 0; long _r = (long)(call); \
    printf("%-44s %s\n", label, _r == -1 ? name(errno) : "ok"); } while (0)
#define MCHECK(label, call) do { errno = 0; void *_p = (call); \
    printf("%-44s %s\n", label, _p == MAP_FAILED ? name(errno) : "ok"); \
    if (_p != MAP_FAILED) munmap(_p, 4096); } while (0)

static char path[64];
static sigjmp_buf jb;
static void on_bus(int sig) { siglongjmp(jb, sig); }

static void pread_show(int fd, off_t off, const char *what) {
    char buf[32] = {0};
    ssize_t n = pread(fd, buf, 16, off);
    printf("%-24s pread=%zd \"%.16s\"\n", what, n, buf);
}

int main(void) {
    long pg = sysconf(_SC_PAGESIZE);
    snprintf(path, sizeof path, "/tmp/gk_mmap_shared_%d", getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fd, 2 * pg);
    char *a = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (a == MAP_FAILED) { perror("mmap"); return 1; }

    /* stores through the mapping are the file's bytes at once */
    strcpy(a, "via mapping");
    pread_show(fd, 0, "store then pread");
    pwrite(fd, "via pwrite", 10, pg);
    printf("pwrite then load: \"%s\"\n", a + pg);

    /* a second open and a second mapping of the same file see the same pages */
    int fd2 = open(path, O_RDWR);
    char *b = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
    strcpy(b + 100, "second mapping");
    printf("first sees second: \"%s\"\n", a + 100);
    char *p = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd2, 0);
    printf("private sees shared: \"%s\"\n", p);
    munmap(p, pg);

    /* fork: the child's stores, also to a page it touches first, reach the parent */
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(a + 200, "from child");
        strcpy(a + pg + 200, "child page 2");
        pwrite(fd, "child pwrite", 12, 300);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("parent sees: \"%s\" \"%s\" \"%s\"\n", a + 200, a + pg + 200, a + 300);

    /* LTP's pattern: results in a shared page the forked test writes */
    pid = fork();
    if (pid == 0) {
        int rfd = open(path, O_RDWR);
        unsigned *res = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, pg);
        res[512] = 7; res[513] = 3;
        _exit(0);
    }
    waitpid(pid, &st, 0);
    printf("results: passed=%u failed=%u\n", ((unsigned *)(a + pg))[512], ((unsigned *)(a + pg))[513]);

    /* msync and its checks */
    CHECK("msync MS_SYNC", msync(a, 2 * pg, MS_SYNC));
    CHECK("msync MS_ASYNC", msync(a, pg, MS_ASYNC));
    CHECK("msync MS_INVALIDATE", msync(a, pg, MS_INVALIDATE));
    CHECK("msync len 0", msync(a, 0, MS_SYNC));
    CHECK("msync ASYNC|SYNC", msync(a, pg, MS_ASYNC | MS_SYNC));
    CHECK("msync bad flag", msync(a, pg, 8));
    CHECK("msync unaligned", msync(a + 1, pg, MS_SYNC));
    CHECK("msync past the mapping", msync(a, 64 * pg, MS_SYNC));
    CHECK("msync past the mapping, ASYNC", msync(a, 64 * pg, MS_ASYNC));
    CHECK("msync huge length", msync(a, (size_t)-1, MS_SYNC));
    char *anon = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("msync anonymous", msync(anon, pg, MS_SYNC));
    CHECK("msync MS_INVALIDATE|MS_SYNC", msync(anon, pg, MS_INVALIDATE | MS_SYNC));

    /* growing the file: new bytes read as zeros, not what a store left past EOF */
    ftruncate(fd, pg + 10);
    a[pg + 20] = 'X';                               /* past EOF within the last page */
    ftruncate(fd, 2 * pg);
    printf("byte past old EOF after growth: %d\n", a[pg + 20]);

    /* truncate by path and O_TRUNC: what the mapping held past the new end is gone */
    a[pg + 50] = 'Q';
    truncate(path, pg + 10);
    printf("past the end after truncate(path): %d\n", a[pg + 50]);
    truncate(path, 2 * pg);
    printf("after regrowth: %d\n", a[pg + 50]);
    a[5] = 'T';
    close(open(path, O_RDWR | O_TRUNC));
    ftruncate(fd, 2 * pg);
    printf("after O_TRUNC and regrowth: %d\n", a[5]);
    strcpy(a, "via mapping");                      /* back to what the checks below expect */
    strcpy(a + 100, "second mapping");
    strcpy(a + pg + 200, "child page 2");

    /* a page wholly past EOF is SIGBUS */
    char *c = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    signal(SIGBUS, on_bus);
    int sig = sigsetjmp(jb, 1);
    if (sig == 0) {
        volatile char v = c[2 * pg];
        (void)v;
        printf("no signal past EOF\n");
    } else {
        printf("page past EOF: signal %d\n", sig);
    }
    munmap(c, 3 * pg);

    /* after munmap and close, the file holds what the mappings wrote */
    munmap(a, 2 * pg);
    munmap(b, pg);
    close(fd);
    close(fd2);
    fd = open(path, O_RDONLY);
    pread_show(fd, 0, "reopened");
    pread_show(fd, 100, "reopened");
    pread_show(fd, pg + 200, "reopened");

    /* a private mapping made after a write sees the write */
    int wfd = open(path, O_RDWR);
    char *q = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, wfd, 0);
    printf("private before: \"%s\"\n", q);
    munmap(q, pg);
    pwrite(wfd, "rewritten", 9, 0);
    q = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, wfd, 0);
    printf("private after: \"%s\"\n", q);
    munmap(q, pg);
    close(wfd);

    /* permissions: read-only descriptors */
    MCHECK("shared RW of O_RDONLY", mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    MCHECK("private RW of O_RDONLY", mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
    char *r = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
    CHECK("mprotect W on shared of O_RDONLY", mprotect(r, pg, PROT_READ | PROT_WRITE));
    CHECK("mprotect R on shared of O_RDONLY", mprotect(r, pg, PROT_READ));
    munmap(r, pg);
    r = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK("mprotect W on private of O_RDONLY", mprotect(r, pg, PROT_READ | PROT_WRITE));
    munmap(r, pg);
    int wo = open(path, O_WRONLY);
    MCHECK("shared of O_WRONLY", mmap(NULL, pg, PROT_WRITE, MAP_SHARED, wo, 0));
    close(wo);

    /* MAP_SHARED_VALIDATE and MAP_SYNC */
    int rw = open(path, O_RDWR);
    MCHECK("SHARED_VALIDATE", mmap(NULL, pg, PROT_READ, MAP_SHARED_VALIDATE, rw, 0));
    MCHECK("SHARED_VALIDATE|MAP_SYNC", mmap(NULL, pg, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, rw, 0));
    MCHECK("SHARED_VALIDATE|unknown flag", mmap(NULL, pg, PROT_READ, MAP_SHARED_VALIDATE | 0x800000, rw, 0));
    /* MAP_SHARED|MAP_SYNC: 6.1 ignores MAP_SYNC, later kernels refuse it; not compared. */
    MCHECK("anonymous SHARED_VALIDATE", mmap(NULL, pg, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0));
    MCHECK("anonymous SHARED|GROWSDOWN", mmap(NULL, pg, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0));
    MCHECK("offset past MAX_LFS_FILESIZE", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, rw, (off_t)0x7ffffffffffff000LL));
    MCHECK("negative offset", mmap(NULL, pg, PROT_READ, MAP_SHARED, rw, (off_t)-4096));
    int dir = open("/tmp", O_RDONLY);
    MCHECK("a directory", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, dir, 0));
    int pfd[2];
    pipe(pfd);
    MCHECK("a pipe", mmap(NULL, pg, PROT_READ, MAP_SHARED, pfd[0], 0));
    int opath = open(path, O_PATH);
    MCHECK("an O_PATH descriptor", mmap(NULL, pg, PROT_READ, MAP_SHARED, opath, 0));

    /* shared /dev/zero is shared memory */
    int z = open("/dev/zero", O_RDWR);
    int *zp = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
    if (fork() == 0) { zp[0] = 42; _exit(0); }
    wait(&st);
    printf("/dev/zero shared: %d\n", zp[0]);

    /* LTP's checkpoints: a child sleeps on a futex in a shared file page until woken */
    int cfd = open(path, O_RDWR);
    unsigned *fx = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
    fx[0] = 0;
    pid = fork();
    if (pid == 0) {
        long r = syscall(SYS_futex, fx, FUTEX_WAIT, 0, NULL, NULL, 0);
        _exit(r == 0 ? 7 : 1);
    }
    while (syscall(SYS_futex, fx, FUTEX_WAKE, 1, NULL, NULL, 0) != 1)
        usleep(1000);                               /* until the child sleeps there */
    waitpid(pid, &st, 0);
    printf("futex checkpoint: child status %d\n", WEXITSTATUS(st));

    unlink(path);
    return 0;
}
