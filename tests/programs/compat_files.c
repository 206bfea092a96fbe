/* i386 file syscalls by number (gcc -m32 -static): the stat structs, two-register offsets,
 * getdents, vectors, fcntl64 locks, select, statfs64, old mmap, sendfile, utime. Each line
 * prints what the call returned and the fields that do not depend on the machine, so the
 * output is the same natively and under glasskernel (tests/test_compat_syscalls.py). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* the kernel's i386 structs, declared here as the kernel does (asm/stat.h, asm/statfs.h) */
struct k_stat64 {
    unsigned long long st_dev; unsigned char pad0[4]; unsigned long __st_ino;
    unsigned int st_mode, st_nlink; unsigned long st_uid, st_gid;
    unsigned long long st_rdev; unsigned char pad3[4]; long long st_size;
    unsigned long st_blksize; unsigned long long st_blocks;
    unsigned long k_atime, k_atime_nsec, k_mtime, k_mtime_nsec, k_ctime, k_ctime_nsec;
    unsigned long long st_ino;
};
struct k_stat {
    unsigned long st_dev, st_ino; unsigned short st_mode, st_nlink, st_uid, st_gid;
    unsigned long st_rdev, st_size, st_blksize, st_blocks;
    unsigned long k_atime, k_atime_nsec, k_mtime, k_mtime_nsec, k_ctime, k_ctime_nsec;
    unsigned long unused4, unused5;
};
struct k_dirent { unsigned long d_ino, d_off; unsigned short d_reclen; char d_name[]; };
struct k_flock64 { short l_type, l_whence; long long l_start, l_len; int l_pid; } __attribute__((packed));
struct k_flock { short l_type, l_whence; long l_start, l_len; int l_pid; };
struct k_timeval { long tv_sec, tv_usec; };
struct sel_arg { unsigned long n; void *inp, *outp, *exp; struct k_timeval *tvp; };
struct mmap_arg { unsigned long addr, len, prot, flags, fd, offset; };

static long sc(long nr, long a, long b, long c, long d, long e, long f, ...)
{
    long r = syscall(nr, a, b, c, d, e, f);
    return r < 0 ? -errno : r;
}
#define SC(...) sc(__VA_ARGS__, 0, 0, 0, 0, 0, 0)

static const char *dir = "/tmp/gk_compat_files";

static void stats(void)
{
    char big[96 + 16];
    struct k_stat64 *st = (struct k_stat64 *)big;
    memset(big, 0xa5, sizeof big);
    printf("stat64 %ld", SC(SYS_stat64, (long)"f", (long)st));
    printf(" size %lld mode %o nlink %u blksize>0 %d ino-same %d guard %d\n", st->st_size,
           st->st_mode, st->st_nlink, st->st_blksize > 0,
           st->__st_ino == (unsigned long)st->st_ino, (unsigned char)big[96] == 0xa5);
    printf("lstat64 %ld", SC(SYS_lstat64, (long)"l", (long)st));
    printf(" link %d size %lld\n", (st->st_mode & 0170000) == 0120000, st->st_size);
    int fd = open("f", O_RDONLY);
    printf("fstat64 %ld", SC(SYS_fstat64, fd, (long)st));
    printf(" size %lld\n", st->st_size);
    printf("fstatat64 nofollow %ld", SC(SYS_fstatat64, AT_FDCWD, (long)"l", (long)st,
                                         AT_SYMLINK_NOFOLLOW));
    printf(" size %lld\n", st->st_size);
    printf("fstatat64 sync flag %ld\n", SC(SYS_fstatat64, AT_FDCWD, (long)"l", (long)st, 0x4000));
    printf("fstatat64 bad flag %ld\n", SC(SYS_fstatat64, AT_FDCWD, (long)"l", (long)st, 0x10000));
    printf("stat64 efault %ld\n", SC(SYS_stat64, (long)"f", 16));
    close(fd);

    struct k_stat cst;
    long r = SC(106, (long)"f", (long)&cst);                  /* stat */
    printf("stat %ld size %lu mode %o\n", r, r ? 0 : cst.st_size, r ? 0 : cst.st_mode);
    printf("stat big %ld\n", SC(106, (long)"big", (long)&cst));
    printf("stat64 big %ld", SC(SYS_stat64, (long)"big", (long)st));
    printf(" size %lld\n", st->st_size);
}

static void largefile(void)
{
    /* open(2) of i386 leaves O_LARGEFILE to the caller: without it a file past 2 GiB
     * cannot be opened, and writes and truncation stop at 2 GiB - 1 */
    printf("open big without O_LARGEFILE %ld\n", SC(SYS_open, (long)"big", O_RDONLY));
    printf("openat big without O_LARGEFILE %ld\n", SC(SYS_openat, AT_FDCWD, (long)"big", O_RDONLY));
    long fd = SC(SYS_open, (long)"big", O_RDONLY | O_LARGEFILE);
    printf("open big with O_LARGEFILE ok %d\n", fd >= 0);
    close(fd);
    fd = SC(SYS_open, (long)"small", O_RDWR | O_CREAT, 0644);
    printf("F_GETFL %lo\n", SC(SYS_fcntl64, fd, F_GETFL));
    printf("ftruncate64 past 2G %ld\n", SC(SYS_ftruncate64, fd, 0x80000000, 0));
    printf("ftruncate64 to 2G-1 %ld\n", SC(SYS_ftruncate64, fd, 0x7fffffff, 0));
    printf("pwrite64 at 2G-1 %ld\n", SC(SYS_pwrite64, fd, (long)"ab", 2, 0x7ffffffe, 0));
    printf("pwrite64 at 2G %ld\n", SC(SYS_pwrite64, fd, (long)"ab", 2, 0x80000000, 0));
    close(fd);
    fd = SC(SYS_creat, (long)"small2", 0644);
    printf("creat F_GETFL %lo\n", SC(SYS_fcntl64, fd, F_GETFL));
    close(fd);
    unlink("small");
    unlink("small2");
}

static void offsets(void)
{
    int fd = open("big", O_RDWR | O_LARGEFILE);
    long long res = 0;
    printf("llseek end %ld", SC(SYS__llseek, fd, 0, 0, (long)&res, SEEK_END));
    printf(" %lld\n", res);
    printf("llseek bad whence %ld\n", SC(SYS__llseek, fd, 0, 0, (long)&res, 9));
    printf("pwrite64 4G+16 %ld\n", SC(SYS_pwrite64, fd, (long)"xyz", 3, 16, 1));
    char buf[4] = {0};
    printf("pread64 %ld %s\n", SC(SYS_pread64, fd, (long)buf, 3, 16, 1), buf);
    printf("pread64 negative %ld\n", SC(SYS_pread64, fd, (long)buf, 3, 0, 0x80000000));
    printf("lseek -1 from end %ld\n", SC(SYS_lseek, fd, -1, SEEK_END));
    printf("lseek before start %ld\n", SC(SYS_lseek, fd, -1, SEEK_SET));
    printf("ftruncate64 %ld\n", SC(SYS_ftruncate64, fd, 5, 0));
    printf("truncate64 %ld\n", SC(SYS_truncate64, (long)"big", 0, 2));
    printf("fallocate %ld\n", SC(SYS_fallocate, fd, 0, 0, 0, 4096, 0));
    printf("fadvise64_64 %ld\n", SC(SYS_fadvise64_64, fd, 0, 0, 0, 0, 99));
    close(fd);
}

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void dents(void)
{
    char buf[1024];
    int fd = open("d", O_RDONLY | O_DIRECTORY);
    long n = SC(SYS_getdents, fd, (long)buf, sizeof buf);
    char *names[16];
    int k = 0;
    for (long off = 0; off < n && k < 16;) {
        struct k_dirent *d = (struct k_dirent *)(buf + off);
        char *s = malloc(300);
        snprintf(s, 300, "%s:%d", d->d_name, buf[off + d->d_reclen - 1]);
        names[k++] = s;
        off += d->d_reclen;
    }
    qsort(names, k, sizeof *names, cmp);
    printf("getdents %ld entries", n > 0 ? (long)k : n);
    for (int i = 0; i < k; i++)
        printf(" %s", names[i]);
    printf("\ngetdents again %ld\n", SC(SYS_getdents, fd, (long)buf, sizeof buf));
    close(fd);
    fd = open("d", O_RDONLY | O_DIRECTORY);
    printf("getdents too small %ld\n", SC(SYS_getdents, fd, (long)buf, 8));
    close(fd);
}

static void vectors(void)
{
    int fd = open("v", O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct iovec iov[2] = {{"hello ", 6}, {"world", 5}};
    printf("writev %ld\n", SC(SYS_writev, fd, (long)iov, 2));
    char a[6], b[5];
    struct iovec in[2] = {{a, 6}, {b, 5}};
    printf("preadv %ld %.6s%.5s\n", SC(SYS_preadv, fd, (long)in, 2, 0, 0), a, b);
    lseek(fd, 6, SEEK_SET);
    printf("readv %ld %.5s\n", SC(SYS_readv, fd, (long)in + 8, 1), b);
    in[0].iov_len = 0x80000000u;
    printf("readv negative len %ld\n", SC(SYS_readv, fd, (long)in, 1));
    close(fd);
}

static void locks(void)
{
    int fd = open("f", O_RDWR);
    struct k_flock fl = {F_WRLCK, SEEK_SET, 2, 3, 0};
    printf("fcntl64 F_SETLK %ld\n", SC(SYS_fcntl64, fd, F_SETLK, (long)&fl));
    struct k_flock64 fl64 = {F_WRLCK, SEEK_SET, 0x100000000LL, 10, 0};
    printf("fcntl64 F_SETLK64 %ld\n", SC(SYS_fcntl64, fd, 13, (long)&fl64));
    pid_t parent = getpid();
    if (fork() == 0) {
        int cfd = open("f", O_RDWR);
        struct k_flock64 q = {F_RDLCK, SEEK_SET, 0, 100, 0};
        long r = SC(SYS_fcntl64, cfd, 12, (long)&q);          /* F_GETLK64 */
        printf("child F_GETLK64 %ld type %d start %lld len %lld pid-is-parent %d\n", r, q.l_type,
               q.l_start, q.l_len, q.l_pid == parent);
        struct k_flock q32 = {F_RDLCK, SEEK_SET, 0x7ffffff0, 0, 0};
        r = SC(SYS_fcntl64, cfd, F_GETLK, (long)&q32);
        printf("child F_GETLK past 2G %ld\n", r);
        /* (fcntl(55) with F_GETLK64 is EINVAL in Linux 6.1's compat_sys_fcntl; later kernels
         * accept it, so it is left to the unit test) */
        fflush(stdout);
        _exit(0);
    }
    wait(NULL);
    close(fd);
}

static void selects(void)
{
    int p[2];
    pipe(p);
    write(p[1], "x", 1);
    uint32_t set[2] = {1u << p[0], 0xa5a5a5a5};
    struct k_timeval tv[2] = {{2, 0}, {0x5a5a5a5a, 0x5a5a5a5a}};
    long r = SC(SYS__newselect, p[0] + 1, (long)set, 0, 0, (long)tv);
    printf("_newselect %ld set %x guard %x tv-sane %d tv-guard %d\n", r, set[0], set[1],
           tv[0].tv_sec <= 2 && tv[0].tv_sec >= 0, tv[1].tv_sec == 0x5a5a5a5a);
    struct sel_arg arg = {p[0] + 1, set, 0, 0, 0};
    printf("old select %ld\n", SC(SYS_select, (long)&arg));
    tv[0].tv_sec = -1;
    printf("_newselect bad timeval %ld\n", SC(SYS__newselect, p[0] + 1, (long)set, 0, 0, (long)tv));
    close(p[0]);
    close(p[1]);
}

static void misc_files(void)
{
    char sfs[84 + 4];
    printf("statfs64 %ld\n", SC(SYS_statfs64, (long)".", 84, (long)sfs));
    uint32_t sfs32[17];
    memset(sfs32, 0x5a, sizeof sfs32);
    long r32 = SC(SYS_statfs, (long)".", (long)sfs32);
    printf("statfs %ld namelen %u guard %x\n", r32, r32 ? 0 : sfs32[9], sfs32[16]);
    char old[32];
    r32 = SC(18, (long)"/", (long)old);                       /* oldstat of the root */
    printf("oldstat / %ld mode %o\n", r32, r32 ? 0 : *(unsigned short *)(old + 4));
    printf("statfs64 bad size %ld\n", SC(SYS_statfs64, (long)".", 88, (long)sfs));
    int fd = open("f", O_RDONLY);
    printf("fstatfs64 %ld\n", SC(SYS_fstatfs64, fd, 84, (long)sfs));
    struct mmap_arg ma = {0, 4096, 1, 2 /* MAP_PRIVATE */, fd, 0};
    unsigned long addr = SC(SYS_mmap, (long)&ma);
    printf("old mmap ok %d first %.4s\n", addr < -4095UL, addr < -4095UL ? (char *)addr : "");
    ma.offset = 100;
    printf("old mmap unaligned %ld\n", SC(SYS_mmap, (long)&ma));
    int out = open("o", O_RDWR | O_CREAT | O_TRUNC, 0644);
    long off = 4;
    long r = SC(SYS_sendfile, out, fd, (long)&off, 100);
    printf("sendfile %ld off %ld\n", r, off);
    long long off64 = 2;
    r = SC(SYS_sendfile64, out, fd, (long)&off64, 3);
    printf("sendfile64 %ld off %lld\n", r, off64);
    close(out);
    close(fd);
    long times[2] = {1000000000, 1200000000};
    printf("utime %ld", SC(SYS_utime, (long)"f", (long)times));
    struct k_stat64 st;
    SC(SYS_stat64, (long)"f", (long)&st);
    printf(" mtime %lu atime %lu\n", st.k_mtime, st.k_atime);
    struct k_timeval tvs[2] = {{1000000001, 5}, {1100000000, 999999}};
    printf("utimes %ld", SC(SYS_utimes, (long)"f", (long)tvs));
    SC(SYS_stat64, (long)"f", (long)&st);
    printf(" mtime %lu.%06lu\n", st.k_mtime, st.k_mtime_nsec / 1000);
    tvs[1].tv_usec = 1000000;
    printf("futimesat bad usec %ld\n", SC(SYS_futimesat, AT_FDCWD, (long)"f", (long)tvs));
    long ts[4] = {0, (1 << 30) - 2 /* UTIME_OMIT */, 1300000000, 7};
    printf("utimensat %ld", SC(SYS_utimensat, AT_FDCWD, (long)"f", (long)ts, 0));
    SC(SYS_stat64, (long)"f", (long)&st);
    printf(" mtime %lu.%09lu atime %lu\n", st.k_mtime, st.k_mtime_nsec, st.k_atime);
}

static void cleanup(void)
{
    static const char *files[] = {"f", "l", "big", "v", "o", "small", "small2", "d/a", "d/ln",
                                  "d/sub", "d"};
    if (chdir(dir) != 0)
        return;
    for (unsigned i = 0; i < sizeof files / sizeof *files; i++)
        if (unlink(files[i]) != 0)
            rmdir(files[i]);
    chdir("/");
    rmdir(dir);
}

int main(void)
{
    cleanup();
    mkdir(dir, 0755);
    chdir(dir);
    int fd = open("f", O_RDWR | O_CREAT, 0644);
    write(fd, "0123456789", 10);
    close(fd);
    symlink("f", "l");
    fd = open("big", O_RDWR | O_CREAT | O_LARGEFILE, 0644);
    printf("ftruncate64 3G %ld\n", SC(SYS_ftruncate64, fd, 0xC0000000, 0));
    close(fd);
    mkdir("d", 0755);
    close(open("d/a", O_CREAT | O_WRONLY, 0644));
    mkdir("d/sub", 0755);
    symlink("a", "d/ln");
    setvbuf(stdout, NULL, _IONBF, 0);
    stats();
    largefile();
    offsets();
    dents();
    vectors();
    locks();
    selects();
    misc_files();
    cleanup();
    return 0;
}
