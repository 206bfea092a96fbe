/* memfd_create: a tmpfs file in memory with read/write, ftruncate, shared mappings shared
 * with a child, seals, and its /proc/self/fd name. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 1
#define F_SEAL_SHRINK 2
#define F_SEAL_GROW 4
#define F_SEAL_WRITE 8
#endif

static int mfd(const char *name, unsigned flags) { return syscall(SYS_memfd_create, name, flags); }
static const char *res(long r) {
    if (r != -1) return "ok";
    switch (errno) {
    case EPERM: return "EPERM"; case EINVAL: return "EINVAL"; case EBUSY: return "EBUSY";
    case EFAULT: return "EFAULT"; case EACCES: return "EACCES";
    }
    return strerror(errno);
}
#define SHOW(label, call) do { errno = 0; long _r = (long)(call); printf("%-36s %s\n", label, res(_r)); } while (0)

int main(void) {
    int fd = mfd("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    char buf[256], link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("fd link: %s\n", buf);
    printf("cloexec: %d\n", fcntl(fd, F_GETFD) & FD_CLOEXEC);
    printf("write: %zd\n", write(fd, "hello memfd", 11));
    lseek(fd, 0, SEEK_SET);
    memset(buf, 0, sizeof buf);
    printf("read: %zd \"%s\"\n", read(fd, buf, sizeof buf), buf);
    struct stat st;
    fstat(fd, &st);
    printf("stat: mode %o nlink %lu size %ld\n", st.st_mode, (unsigned long)st.st_nlink, (long)st.st_size);

    ftruncate(fd, 8192);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("mapped: \"%s\"\n", m);
    strcpy(m + 4096, "stored");
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 6, 4096);
    printf("pread after store: \"%s\"\n", buf);
    if (fork() == 0) { strcpy(m + 100, "child"); _exit(0); }
    wait(NULL);
    printf("parent sees: \"%s\"\n", m + 100);
    int fd2 = open(link, O_RDWR);
    memset(buf, 0, sizeof buf);
    pread(fd2, buf, 5, 100);
    printf("reopened via /proc: \"%s\"\n", buf);
    close(fd2);

    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    while (fgets(line, sizeof line, maps))
        if (strstr(line, "memfd:")) printf("maps: %s", strchr(line, '/'));
    fclose(maps);

    ftruncate(fd, 100);
    printf("after shrink: size %ld, tail byte %d\n", (long)lseek(fd, 0, SEEK_END), m[99]);
    int busy = mfd("busy", MFD_ALLOW_SEALING);
    ftruncate(busy, 4096);
    char *bm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, busy, 0);
    SHOW("seal write with a writable mapping", fcntl(busy, F_ADD_SEALS, F_SEAL_WRITE));
    if (fork() == 0) _exit(0);                  /* the child's copy of the mapping goes too */
    wait(NULL);
    munmap(bm, 4096);
    SHOW("seal write after munmap", fcntl(busy, F_ADD_SEALS, F_SEAL_WRITE));
    munmap(m, 8192);

    printf("seals: %d\n", fcntl(fd, F_GET_SEALS));
    SHOW("seal shrink", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
    SHOW("ftruncate smaller", ftruncate(fd, 10));
    SHOW("ftruncate larger", ftruncate(fd, 200));
    SHOW("seal grow", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
    SHOW("write past the end", pwrite(fd, "x", 1, 4000));
    SHOW("write inside", pwrite(fd, "y", 1, 5));
    SHOW("seal write", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    SHOW("write after seal", pwrite(fd, "z", 1, 5));
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("%-36s %s\n", "shared writable mmap", p == MAP_FAILED ? res(-1) : "ok");
    p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    printf("%-36s %s\n", "shared read-only mmap", p == MAP_FAILED ? res(-1) : "ok");
    SHOW("seal seal", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
    SHOW("seal after F_SEAL_SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
    printf("seals: %d\n", fcntl(fd, F_GET_SEALS));
    SHOW("bad seal", fcntl(fd, F_ADD_SEALS, 0x100));

    int plain = mfd("plain", 0);
    printf("no sealing: seals %d\n", fcntl(plain, F_GET_SEALS));
    SHOW("add seal without ALLOW_SEALING", fcntl(plain, F_ADD_SEALS, F_SEAL_GROW));
    printf("cloexec: %d\n", fcntl(plain, F_GETFD) & FD_CLOEXEC);
    SHOW("F_GET_SEALS on a pipe", ({ int pf[2]; pipe(pf); fcntl(pf[0], F_GET_SEALS); }));
    char longname[300];
    memset(longname, 'n', 249); longname[249] = 0;
    SHOW("name of 249 bytes", mfd(longname, 0));
    memset(longname, 'n', 250); longname[250] = 0;
    SHOW("name of 250 bytes", mfd(longname, 0));
    SHOW("unknown flag", mfd("x", 0x100));
    SHOW("bad name pointer", mfd((const char *)8, 0));
    return 0;
}
