/* tls_errno.c - a __thread counter (needs the FS base set up by
 * arch_prctl(ARCH_SET_FS)) and errno, which also lives in TLS. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARCH_GET_FS 0x1003   /* <asm/prctl.h>, absent from musl */

static __thread int counter;
static __thread long initialised = 0x1234567;
static __thread char tbuf[64] = "tls-initial-data";

int main(void)
{
    for (int i = 0; i < 1000; i++)
        counter++;
    initialised += counter;
    printf("counter=%d\n", counter);
    printf("initialised=0x%lx\n", initialised);
    printf("tbuf=%s\n", tbuf);
    /* x86-64 uses TLS variant II: the TLS block sits just below the thread
     * pointer (the FS base), whose first word points to itself. */
    unsigned long fs = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
    unsigned long addr = (unsigned long)&counter;
    printf("tls below fs base: %d\n", addr < fs && fs - addr < 65536);
    printf("fs self pointer: %d\n", *(unsigned long *)fs == fs);

    errno = 0;
    int fd = open("/nonexistent-glasskernel-dir/file", O_RDONLY);
    int e = errno;
    printf("open=%d errno=%d is_enoent=%d\n", fd, e, e == ENOENT);
    printf("strerror=%s\n", strerror(e));
    return 0;
}
