/* weird_syscalls.c - bad input to the kernel must give errno values, never
 * crash the kernel: unknown syscall numbers, bad pointers, bad fds, bad
 * flags.  Prints each result as "name: ret errno" using raw syscall(2), so
 * both libcs print the same numbers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *name, long r)
{
    printf("%s: %ld errno=%d\n", name, r < 0 ? -1L : r, r < 0 ? errno : 0);
    errno = 0;
}

int main(void)
{
    show("unknown syscall 9999", syscall(9999, 1, 2, 3));
    show("unknown syscall 500", syscall(500));
    show("write bad buffer", syscall(SYS_write, 1, (void *)1, 10));
    show("write bad fd", syscall(SYS_write, 12345, "x", 1));
    show("write negative fd", syscall(SYS_write, -1, "x", 1));
    show("read into bad buffer", syscall(SYS_read, 0, (void *)0x10, 0));
    show("open NULL path", syscall(SYS_open, (void *)0, O_RDONLY));
    show("open bad path ptr", syscall(SYS_open, (void *)0x1000, O_RDONLY));
    show("open empty path", syscall(SYS_open, "", O_RDONLY));
    show("close bad fd", syscall(SYS_close, 9999));
    show("mmap bad flags", syscall(SYS_mmap, 0, 4096, PROT_READ, 0, -1, 0));
    show("mmap zero length", syscall(SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    show("mmap unaligned offset", syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, 0, 123));
    show("munmap unaligned", syscall(SYS_munmap, 0x1001, 4096));
    show("mprotect unaligned", syscall(SYS_mprotect, 0x1001, 4096, PROT_READ));
    show("fstat bad buffer", syscall(SYS_fstat, 1, (void *)8));
    show("uname bad buffer", syscall(SYS_uname, (void *)8));
    show("clock_gettime bad clock", syscall(SYS_clock_gettime, 12345, (void *)0));
    show("getcwd bad buffer", syscall(SYS_getcwd, (void *)8, 100));
    show("getcwd size 1", syscall(SYS_getcwd, (char[1]){0}, 1));
    show("kill bad signal", syscall(SYS_kill, getpid(), 1000));
    show("rt_sigaction SIGKILL", syscall(SYS_rt_sigaction, 9, (void *)8, 0, 8));
    show("wait4 no children", syscall(SYS_wait4, -1, 0, 0, 0));
    show("dup2 bad fd", syscall(SYS_dup2, 9999, 3));
    show("lseek bad whence", syscall(SYS_lseek, 1, 0, 77));
    show("execve missing", syscall(SYS_execve, "/nonexistent/prog", (char *[]){0}, (char *[]){0}));
    show("execve bad argv", syscall(SYS_execve, "/bin/busybox", (void *)8, (char *[]){0}));
    show("arch_prctl bad code", syscall(SYS_arch_prctl, 0x9999, 0));
    printf("still alive\n");
    return 0;
}
