/* compat_sig_badargs.c - the i386 signal calls with bad arguments (build with -m32):
 * unmapped and kernel-half pointers, bad signal numbers, sizes, flags and times. Each
 * call's result is printed; none may do more than fail (nothing is delivered here). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __i386__
#error "an i386 program: build with -m32"
#endif

static const long ptrs[] = {0, 1, 0xfff, 0xffffe000, 0xfffffff0};
static const long sigs[] = {0, 1, 9, 19, 64, 65, -1};

static void show(const char *what, long a, long b, long r)
{
    printf("%s(%#lx, %#lx) = %ld\n", what, a, b, r < 0 ? -errno : r);
}

int main(void)
{
    static uint32_t sa[5] = {1, 0, 0, 0, 0}, set[2], ts[4];
    unsigned i, j;
    setvbuf(stdout, NULL, _IONBF, 0);
    for (i = 0; i < sizeof ptrs / sizeof *ptrs; i++) {
        long p = ptrs[i];
        if (p == 0)
            continue;
        show("rt_sigaction act", p, 0, syscall(SYS_rt_sigaction, SIGUSR1, p, 0, 8));
        show("rt_sigaction oact", p, 0, syscall(SYS_rt_sigaction, SIGUSR1, 0, p, 8));
        show("sigaction act", p, 0, syscall(SYS_sigaction, SIGUSR1, p, 0));
        show("sigaction oact", p, 0, syscall(SYS_sigaction, SIGUSR1, 0, p));
        show("sigprocmask", p, 0, syscall(SYS_sigprocmask, SIG_BLOCK, p, p));
        show("sigpending", p, 0, syscall(SYS_sigpending, p));
        show("rt_sigprocmask", p, 0, syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, p, 8));
        show("rt_sigpending", p, 0, syscall(SYS_rt_sigpending, p, 8));
        show("rt_sigsuspend", p, 0, syscall(SYS_rt_sigsuspend, p, 8));
        show("rt_sigtimedwait set", p, 0, syscall(SYS_rt_sigtimedwait, p, 0, ts, 8));
        show("rt_sigtimedwait info", p, 0, syscall(SYS_rt_sigtimedwait, set, p, ts, 8));
        show("rt_sigtimedwait ts", p, 0, syscall(SYS_rt_sigtimedwait, set, 0, p, 8));
        show("rt_sigtimedwait_time64 ts", p, 0, syscall(421, set, 0, p, 8));
        show("rt_sigqueueinfo", p, 0, syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, p));
        show("rt_tgsigqueueinfo", p, 0, syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(), SIGUSR1, p));
        show("sigaltstack new", p, 0, syscall(SYS_sigaltstack, p, 0));
        show("sigaltstack old", p, 0, syscall(SYS_sigaltstack, 0, p));
        show("signalfd", p, 0, syscall(SYS_signalfd, -1, p, 8));
        show("signalfd4", p, 0, syscall(SYS_signalfd4, -1, p, 8, 0));
        show("waitid", p, 0, syscall(SYS_waitid, P_ALL, 0, p, WEXITED | WNOHANG, p));
    }
    for (i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        long s = sigs[i];
        show("rt_sigaction sig", s, 0, syscall(SYS_rt_sigaction, s, sa, 0, 8));
        show("sigaction sig", s, 0, syscall(SYS_sigaction, s, sa, 0));
        show("signal sig", s, 0, syscall(SYS_signal, s, 1));
        show("rt_sigqueueinfo sig", s, 0, syscall(SYS_rt_sigqueueinfo, getpid(), s, 0));
    }
    for (j = 0; j < 3; j++) {
        long sizes[] = {0, 4, 16};
        show("rt_sigaction size", sizes[j], 0, syscall(SYS_rt_sigaction, SIGUSR1, 0, 0, sizes[j]));
        show("rt_sigprocmask size", sizes[j], 0, syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, 0, sizes[j]));
        show("rt_sigpending size", sizes[j], 0, syscall(SYS_rt_sigpending, set, sizes[j]));
        show("rt_sigsuspend size", sizes[j], 0, syscall(SYS_rt_sigsuspend, set, sizes[j]));
        show("signalfd4 size", sizes[j], 0, syscall(SYS_signalfd4, -1, set, sizes[j], 0));
    }
    show("rt_sigprocmask how", 99, 0, syscall(SYS_rt_sigprocmask, 99, set, 0, 8));
    show("signalfd4 flags", 0x10, 0, syscall(SYS_signalfd4, -1, set, 8, 0x10));
    show("signalfd not a signalfd", 1, 0, syscall(SYS_signalfd, 1, set, 8));
    ts[0] = -1; ts[1] = 0;
    show("rt_sigtimedwait negative", 0, 0, syscall(SYS_rt_sigtimedwait, set, 0, ts, 8));
    ts[0] = 0; ts[1] = 0; ts[2] = 0; ts[3] = 0x80000000u;   /* tv_sec < 0 in time64 */
    show("rt_sigtimedwait_time64 negative", 0, 0, syscall(421, set, 0, ts, 8));
    set[0] = 5;                      /* ss_flags 5 */
    uint32_t ss[3] = {0x1000, 5, 0x10000};
    show("sigaltstack flags", 5, 0, syscall(SYS_sigaltstack, ss, 0));
    ss[1] = 0; ss[2] = 100;
    show("sigaltstack size", 100, 0, syscall(SYS_sigaltstack, ss, 0));
    show("waitid which", 7, 0, syscall(SYS_waitid, 7, 0, 0, WEXITED, 0));
    show("waitid options", 0, 0, syscall(SYS_waitid, P_ALL, 0, 0, 0, 0));
    return 0;
}
