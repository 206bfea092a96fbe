/* compat_sig_frame.c - the i386 signal frames (build with gcc -m32 -static): what an
 * SA_SIGINFO handler finds in its rt_sigframe (the registers at a ud2, segments, trapno,
 * the mask, the FP state in the FSAVE-header + fxsave layout) and what rt_sigreturn takes
 * back from it, changes included; the same for the old sigframe of a plain handler
 * (sigcontext after the signal number, the mask's high word in extramask); where
 * esp points at the handler's entry; and handlers installed by raw rt_sigaction,
 * sigaction and signal calls without SA_RESTORER, which return through the vDSO.
 * Addresses are printed relative to what the program knows, never as numbers. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __i386__
#error "an i386 program: build with -m32"
#endif

struct probe_out { uint32_t eax, ebx, ecx, edx, esi, edi, ebp; };
struct probe_out after;
uint32_t after_fs0, after_gs0, after_flags, probe_sp, mx_in = 0x3f80, mx_default = 0x1f80, after_mxcsr, after_xmm0;
uint16_t after_cw, after_fs;
double after_st0, after_st1;
extern char probe_ud2[];

/* Load known values in every register, the x87 stack (1.0 over pi), xmm0 and MXCSR,
 * then ud2; the SIGILL handler moves eip past it. Whatever the registers hold after
 * the return is stored in `after`. */
__asm__(".text\n.globl probe\nprobe:\n"
        "pushl %ebp\npushl %ebx\npushl %esi\npushl %edi\n"
        "fninit\nfldpi\nfld1\n"
        "movl $0x12345678, %eax\nmovd %eax, %xmm0\nldmxcsr mx_in\n"
        "movl $0x11110001, %eax\nmovl $0x22220002, %ebx\nmovl $0x33330003, %ecx\n"
        "movl $0x44440004, %edx\nmovl $0x55550005, %esi\nmovl $0x66660006, %edi\n"
        "movl $0x77770007, %ebp\nmovl %esp, probe_sp\n"
        "pushl $0xcc5\npopfl\n"                  /* OF DF SF ZF PF CF */
        ".globl probe_ud2\nprobe_ud2:\nud2\n"
        "movl %eax, after\nmovl %ebx, after+4\nmovl %ecx, after+8\nmovl %edx, after+12\n"
        "movl %esi, after+16\nmovl %edi, after+20\nmovl %ebp, after+24\n"
        "pushfl\npopl after_flags\ncld\n"
        "movw %fs, after_fs\nmovl %fs:0, %eax\nmovl %eax, after_fs0\n"
        "movl %gs:0, %eax\nmovl %eax, after_gs0\n"
        "fnstcw after_cw\nfstpl after_st0\nfstpl after_st1\n"
        "movd %xmm0, after_xmm0\nstmxcsr after_mxcsr\nldmxcsr mx_default\n"
        "popl %edi\npopl %esi\npopl %ebx\npopl %ebp\nret\n");
void probe(void);

static uint16_t handler_cw;
static uint32_t handler_mxcsr, handler_tag, handler_flags;

static void handler_fpu(void)
{
    __asm__ volatile("pushfl\n\tpopl %0" : "=m"(handler_flags));
    uint32_t env[7];
    __asm__ volatile("fnstcw %0" : "=m"(handler_cw));
    __asm__ volatile("stmxcsr %0" : "=m"(handler_mxcsr));
    __asm__ volatile("fnstenv %0" : "=m"(env));
    handler_tag = env[2] & 0xffff;
}

static void print_bytes(const char *what, const void *p, int n)
{
    const unsigned char *b = p;
    printf("  %s:", what);
    for (int i = 0; i < n; i++)
        printf(" %02x", b[i]);
    printf("\n");
}

/* The x87 value 2.0 in the 80-bit format, written over ST0 in the frame's header. */
static const unsigned char two[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0x40};

static void rt_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
    unsigned char *fx = fp + 112;
    uint32_t *fpw = (uint32_t *)fp;
    handler_fpu();
    printf("rt handler: sig=%d si_signo=%d si_code=%d si_addr at ud2 %d\n", sig, si->si_signo,
           si->si_code, si->si_addr == probe_ud2);
    printf("  esp at entry +4 16-aligned %d, frame below fpstate %d, fxsave 64-aligned %d\n",
           (int)(((uintptr_t)&sig) % 16 == 0), (uintptr_t)ucv < (uintptr_t)fp,
           (int)(((uintptr_t)fx) % 64 == 0));
    printf("  eax %#x ebx %#x ecx %#x edx %#x esi %#x edi %#x ebp %#x\n", g[REG_EAX],
           g[REG_EBX], g[REG_ECX], g[REG_EDX], g[REG_ESI], g[REG_EDI], g[REG_EBP]);
    printf("  esp ok %d uesp ok %d eip at ud2 %d trapno %d err %d eflags&0xcd5 %#x\n",
           g[REG_ESP] == probe_sp, g[REG_UESP] == probe_sp, g[REG_EIP] == (greg_t)probe_ud2,
           g[REG_TRAPNO], g[REG_ERR], g[REG_EFL] & 0xcd5);
    printf("  cs %#x ss %#x ds %#x es %#x fs %#x gs %#x\n", g[REG_CS] & 0xffff,
           g[REG_SS] & 0xffff, g[REG_DS] & 0xffff, g[REG_ES] & 0xffff, g[REG_FS] & 0xffff,
           g[REG_GS] & 0xffff);
    printf("  oldmask %#lx cr2 %#lx uc_link %p ss_flags %#x ss_size %u sigmask word0 %#lx word1 %#lx\n",
           uc->uc_mcontext.oldmask, uc->uc_mcontext.cr2, (void *)uc->uc_link,
           uc->uc_stack.ss_flags, (unsigned)uc->uc_stack.ss_size, uc->uc_sigmask.__val[0],
           uc->uc_sigmask.__val[1]);
    printf("  fsave header: cw %#x sw top %d tag %#x status==sw %d magic %#x cssel %#x datasel %#x\n",
           fpw[0], (fpw[1] >> 11) & 7, fpw[2], *(uint16_t *)(fp + 108) == (fpw[1] & 0xffff),
           *(uint16_t *)(fp + 110), fpw[4], fpw[6]);
    print_bytes("st0", fp + 28, 10);
    print_bytes("st1", fp + 38, 10);
    printf("  fxsave: mxcsr %#x xmm0 %#x sw_reserved magic1 %#x\n", *(uint32_t *)(fx + 24),
           *(uint32_t *)(fx + 160), *(uint32_t *)(fx + 464));
    printf("  handler's FPU: cw %#x mxcsr %#x tag %#x; its DF %d\n", handler_cw, handler_mxcsr,
           handler_tag, !!(handler_flags & 0x400));
    /* Changes rt_sigreturn must take back. */
    g[REG_EIP] += 2;
    g[REG_EAX] = 0xaaaa0001; g[REG_EBX] = 0xbbbb0002; g[REG_ECX] = 0xcccc0003;
    g[REG_EDX] = 0xdddd0004; g[REG_ESI] = 0xeeee0005; g[REG_EDI] = 0xffff0006;
    g[REG_EBP] = 0x99990007;
    g[REG_EFL] ^= 0x1 | 0x40000;    /* CF, and AC: both are the frame's to set */
    memcpy(fp + 28, two, 10);
    fpw[0] = 0xffff027f;
    *(uint32_t *)(fx + 24) = 0x5f80;
    *(uint32_t *)(fx + 160) = 0x9abcdef0;
    sigaddset(&uc->uc_sigmask, SIGUSR1);
    g[REG_FS] = g[REG_GS];          /* sigreturn loads fs with the TLS selector */
}

static int blocked(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    return sigismember(&cur, sig);
}

static void print_after(const char *what)
{
    printf("%s: eax %#x ebx %#x ecx %#x edx %#x esi %#x edi %#x ebp %#x\n", what, after.eax,
           after.ebx, after.ecx, after.edx, after.esi, after.edi, after.ebp);
}

static void rt_frame(void)
{
    struct sigaction sa;
    sigset_t m;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = rt_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, NULL);
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    sigaddset(&m, SIGRTMIN + 8);
    sigprocmask(SIG_SETMASK, &m, NULL);
    probe();
    print_after("after rt_sigreturn");
    printf("  eflags&0x40cd5 %#x; fs %#x, fs:0 == gs:0 %d\n", after_flags & 0x40cd5, after_fs,
           after_fs0 == after_gs0);
    printf("  x87 cw %#x st0 %g st1 %.5f xmm0 %#x mxcsr %#x; USR1 blocked %d USR2 %d RTMIN+8 %d\n",
           after_cw, after_st0, after_st1, after_xmm0, after_mxcsr, blocked(SIGUSR1),
           blocked(SIGUSR2), blocked(SIGRTMIN + 8));
    sigemptyset(&m);
    sigprocmask(SIG_SETMASK, &m, NULL);
}

static void *old_restorer;
static uintptr_t vdso;

static int in_vdso(void *p)
{
    return vdso && (uintptr_t)p >= vdso && (uintptr_t)p < vdso + 0x4000;
}


/* A plain handler: its sigcontext follows the signal number on the stack. */
static void __attribute__((noinline)) plain_handler(int sig)
{
    struct sigcontext *sc = (struct sigcontext *)(&sig + 1);
    uint32_t *extramask;
    __asm__("" : "+r"(sc));       /* the frame, not the argument: keep the stores */
    extramask = (uint32_t *)((char *)sc + sizeof *sc + 624);
    void *ret = __builtin_return_address(0);
    printf("plain handler: sig=%d esp at entry +4 16-aligned %d returns to %s\n", sig,
           (int)(((uintptr_t)&sig) % 16 == 0), !old_restorer ? (in_vdso(ret) ? "the vdso" : "?")
           : ret == old_restorer ? "sa_restorer" : "??");
    printf("  eax %#lx ebx %#lx ebp %#lx eip at ud2 %d esp ok %d trapno %lu cs %#x ss %#x\n",
           sc->eax, sc->ebx, sc->ebp, sc->eip == (uintptr_t)probe_ud2, sc->esp == probe_sp,
           sc->trapno, sc->cs, sc->ss);
    printf("  oldmask %#lx extramask %#x fpstate above the frame %d retcode %02x %02x %02x\n",
           sc->oldmask, *extramask, (uintptr_t)sc->fpstate > (uintptr_t)sc,
           ((unsigned char *)(extramask + 1))[0], ((unsigned char *)(extramask + 1))[1],
           ((unsigned char *)(extramask + 1))[6]);
    sc->eip += 2;
    sc->eax = 0x0101;
    sc->esi = 0x0505;
    *extramask |= 1u << (SIGRTMIN + 9 - 33);
}

static void plain_frame(void)
{
    struct sigaction sa;
    uint32_t old[5];
    sigset_t m;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = plain_handler;
    sigaction(SIGILL, &sa, NULL);
    syscall(SYS_rt_sigaction, SIGILL, NULL, &old, 8);   /* the kernel's own view */
    old_restorer = (void *)(uintptr_t)old[2];
    sigemptyset(&m);
    sigaddset(&m, SIGRTMIN + 8);
    sigprocmask(SIG_SETMASK, &m, NULL);
    probe();
    print_after("after sigreturn");
    printf("  eflags&0x40cd5 %#x\n", after_flags & 0x40cd5);
    printf("  st0 %g xmm0 %#x mxcsr %#x; RTMIN+8 blocked %d RTMIN+9 %d\n", after_st0, after_xmm0,
           after_mxcsr, blocked(SIGRTMIN + 8), blocked(SIGRTMIN + 9));
    sigemptyset(&m);
    sigprocmask(SIG_SETMASK, &m, NULL);
}

/* ----- handlers installed by the raw calls, without SA_RESTORER: the vDSO returns ----- */

struct k_sigaction32 { uint32_t handler, flags, restorer, mask[2]; };
struct old_sigaction32 { uint32_t handler, mask, flags, restorer; };
static volatile int raw_calls;

static void raw_rt_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    raw_calls++;
    printf("raw rt handler: sig=%d code=%d pid ok %d returns into the vdso %d\n", sig,
           si->si_code, si->si_pid == getpid(), in_vdso(__builtin_return_address(0)));
}

static void raw_plain_handler(int sig)
{
    raw_calls++;
    printf("raw plain handler: sig=%d returns into the vdso %d\n", sig,
           in_vdso(__builtin_return_address(0)));
}

static void raw_calls_without_restorer(void)
{
    struct k_sigaction32 ka = {(uintptr_t)raw_rt_handler, SA_SIGINFO, 0, {0, 0}}, oka;
    struct old_sigaction32 oa = {(uintptr_t)raw_plain_handler, 0, 0, 0}, ooa;
    long r;
    r = syscall(SYS_rt_sigaction, SIGUSR1, &ka, &oka, 8);
    printf("rt_sigaction: %ld\n", r);
    kill(getpid(), SIGUSR1);
    r = syscall(SYS_rt_sigaction, SIGUSR1, NULL, &oka, 8);
    printf("  read back: handler ok %d flags %#x restorer %#x\n", oka.handler == ka.handler,
           oka.flags, oka.restorer);
    r = syscall(SYS_sigaction, SIGUSR2, &oa, &ooa);
    printf("sigaction: %ld\n", r);
    kill(getpid(), SIGUSR2);
    syscall(SYS_sigaction, SIGUSR2, NULL, &ooa);
    printf("  read back: handler ok %d flags %#x mask %#x\n", ooa.handler == oa.handler,
           ooa.flags, ooa.mask);
    r = syscall(SYS_signal, SIGHUP, raw_plain_handler);
    printf("signal: old handler %ld\n", r);
    kill(getpid(), SIGHUP);
    r = syscall(SYS_signal, SIGHUP, SIG_DFL);
    printf("signal again: old handler %ld (SA_RESETHAND reset it)\n", r);
    printf("raw handler calls: %d\n", raw_calls);
}

/* ----- frames sigreturn refuses: the task gets SIGSEGV ----- */

static int bad_what;

static void spoil_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)sig; (void)si;
    uc->uc_mcontext.gregs[REG_EIP] += 2;
    if (bad_what == 1)
        *(uint32_t *)((char *)uc->uc_mcontext.fpregs + 112 + 24) = 0xffff0000;   /* MXCSR */
    else
        uc->uc_mcontext.gregs[REG_CS] = 0x0b;                                   /* not a user cs */
}

static void child_status(const char *what, pid_t pid)
{
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("%s: killed by signal %d\n", what, WTERMSIG(status));
    else
        printf("%s: exit %d\n", what, WEXITSTATUS(status));
}

static void bad_frames(void)
{
    struct sigaction sa;
    pid_t pid = fork();
    if (pid == 0) {                  /* rt_sigreturn with esp nowhere near a frame */
        __asm__ volatile("movl $0x10, %esp\n\tmovl $173, %eax\n\tint $0x80");
        _exit(0);
    }
    child_status("rt_sigreturn from a bad stack", pid);
    pid = fork();
    if (pid == 0) {
        __asm__ volatile("movl $0x10, %esp\n\tmovl $119, %eax\n\tint $0x80");
        _exit(0);
    }
    child_status("sigreturn from a bad stack", pid);
    for (bad_what = 1; bad_what <= 2; bad_what++) {
        pid = fork();
        if (pid == 0) {
            memset(&sa, 0, sizeof sa);
            sa.sa_sigaction = spoil_handler;
            sa.sa_flags = SA_SIGINFO;
            sigaction(SIGILL, &sa, NULL);
            __asm__ volatile("ud2");
            printf("  survived\n");
            _exit(0);
        }
        child_status(bad_what == 1 ? "a frame with reserved MXCSR bits" : "a frame with cs 0x0b", pid);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    vdso = getauxval(AT_SYSINFO_EHDR);
    rt_frame();
    plain_frame();
    raw_calls_without_restorer();
    if (argc < 2 || strcmp(argv[1], "noforks"))     /* strace without -f: one process */
        bad_frames();
    return 0;
}
