/* memfd_create, mmap and msync for the strace-format log. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static char page[4096];

int main(void) {
    int fd = syscall(SYS_memfd_create, "gk", 1 /* MFD_CLOEXEC */);
    write(fd, page, sizeof page);
    void *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    msync(p, 4096, MS_SYNC | MS_INVALIDATE);
    msync(p, 4096, MS_SYNC | MS_ASYNC);
    return 0;
}
