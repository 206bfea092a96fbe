/* vdso32_clocks.c - run glasskernel's i386 vDSO image natively, outside glasskernel: an
 * i386 program (gcc -m32 -static -I <vdso dir>) loads vdso32.so (argv[1]) behind four
 * pages of its own [vvar], writes struct vdso_data there (vvar.h, the header the image
 * was built with) and calls the exported clock functions, printing what they return.
 *
 * The data page sets mult = 0 (or cycle_last = ~0), so the host's TSC adds nothing and
 * every result is a function of the page alone; tests/test_vdso32.py computes the
 * expected lines. With clock_mode NONE every call must go to the real syscall through
 * __kernel_vsyscall; the host CPU may lack SYSENTER in compat mode (AMD), so, as Linux
 * does on a CPU with no fast entry, the 4-byte "movl %esp,%ebp; sysenter" is patched to
 * NOPs and the int $0x80 after it makes the call. Those lines compare with the syscalls
 * made directly. */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "vvar.h"

struct ts32 { int32_t sec, nsec; };
struct ts64 { int64_t sec, nsec; };
struct tv32 { int32_t sec, usec; };
struct tz { int minuteswest, dsttime; };

static int (*vgettime)(int, struct ts32 *);
static int (*vgettime64)(int, struct ts64 *);
static int (*vgetres)(int, struct ts32 *);
static int (*vgettimeofday)(struct tv32 *, struct tz *);
static int32_t (*vtime)(int32_t *);
static volatile struct vdso_data *vd;          /* [CS_HRES_COARSE], [CS_RAW] */

/* The address of `name`@`version` in the image loaded at base (a libc's lookup). */
static void *lookup(char *base, const char *name, const char *version)
{
    Elf32_Ehdr *eh = (void *)base;
    Elf32_Shdr *sh = (void *)(base + eh->e_shoff);
    Elf32_Sym *sym = NULL;
    Elf32_Half *versym = NULL;
    char *str = NULL;
    Elf32_Verdef *vdef = NULL;
    unsigned n = 0;

    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type == SHT_DYNSYM) {
            sym = (void *)(base + sh[i].sh_offset);
            n = sh[i].sh_size / sizeof(*sym);
            str = base + sh[sh[i].sh_link].sh_offset;
        }
        if (sh[i].sh_type == SHT_GNU_versym)
            versym = (void *)(base + sh[i].sh_offset);
        if (sh[i].sh_type == SHT_GNU_verdef)
            vdef = (void *)(base + sh[i].sh_offset);
    }
    for (unsigned i = 1; sym && versym && vdef && i < n; i++) {
        if (strcmp(str + sym[i].st_name, name))
            continue;
        for (Elf32_Verdef *d = vdef;; d = (void *)((char *)d + d->vd_next)) {
            Elf32_Verdaux *aux = (void *)((char *)d + d->vd_aux);
            if (d->vd_ndx == (versym[i] & 0x7fff))
                return strcmp(str + aux->vda_name, version) ? NULL : base + sym[i].st_value;
            if (!d->vd_next)
                break;
        }
    }
    printf("missing %s@%s\n", name, version);
    return NULL;
}

static int load(const char *path)
{
    static const unsigned char sysenter[] = {0x89, 0xe5, 0x0f, 0x34};
    FILE *f = fopen(path, "rb");
    size_t vvar = VVAR_PAGES * 4096;
    char *area = mmap(NULL, vvar + 65536, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *base = area + vvar;
    unsigned char *vsyscall;

    if (!f || area == MAP_FAILED || fread(base, 1, 65536, f) == 0)
        return -1;
    vd = (void *)(area + VVAR_DATA_OFFSET);
    vsyscall = lookup(base, "__kernel_vsyscall", "LINUX_2.5");
    if (!vsyscall || memcmp(vsyscall + 3, sysenter, sizeof(sysenter)))
        return -1;
    memset(vsyscall + 3, 0x90, sizeof(sysenter));
    vgettime = lookup(base, "__vdso_clock_gettime", "LINUX_2.6");
    vgettime64 = lookup(base, "__vdso_clock_gettime64", "LINUX_2.6");
    vgetres = lookup(base, "__vdso_clock_getres", "LINUX_2.6");
    vgettimeofday = lookup(base, "__vdso_gettimeofday", "LINUX_2.6");
    vtime = lookup(base, "__vdso_time", "LINUX_2.6");
    return vgettime && vgettime64 && vgetres && vgettimeofday && vtime ? 0 : -1;
}

/* Clock `id`'s base in both vdso_data, nsec shifted left by `shift` (as the kernel's
 * time_vsyscall.py writes them: every clock's base in both). */
static void set_base(int id, uint64_t sec, uint64_t nsec, int shift)
{
    for (int cs = 0; cs < CS_BASES; cs++) {
        vd[cs].basetime[id].sec = sec;
        vd[cs].basetime[id].nsec = nsec << shift;
    }
}

/* A page the tests know (test_vdso32.py computes the answers from the same numbers);
 * REALTIME's seconds are `real_sec`. */
static void fill_page(uint64_t real_sec, int shift)
{
    for (int cs = 0; cs < CS_BASES; cs++) {
        vd[cs].clock_mode = VDSO_CLOCKMODE_TSC;
        vd[cs].mask = ~0ULL;
        /* No TSC contribution: mult 0, or the counter behind cycle_last. */
        vd[cs].mult = shift ? 3 : 0;
        vd[cs].cycle_last = shift ? ~0ULL : 0;
        vd[cs].shift = shift;
        vd[cs].tz_minuteswest = -60;
        vd[cs].tz_dsttime = 1;
        vd[cs].hrtimer_res = 1;
        vd[cs].tick_nsec = 4000000;
        vd[cs].tick_base = 12345;
    }
    set_base(0, real_sec, 123456789, shift);          /* CLOCK_REALTIME */
    set_base(5, real_sec, 123456789, shift);          /* CLOCK_REALTIME_COARSE */
    set_base(1, 1000000, 987654321, shift);           /* CLOCK_MONOTONIC */
    set_base(6, 1000000, 987654321, shift);           /* CLOCK_MONOTONIC_COARSE */
    set_base(4, 999999, 1, shift);                    /* CLOCK_MONOTONIC_RAW */
    set_base(7, 1000005, 5, shift);                   /* CLOCK_BOOTTIME */
    set_base(11, real_sec + 37, 999999999, shift);    /* CLOCK_TAI */
}

static void page_answers(const char *what)
{
    static const int clocks[] = {0, 1, 4, 5, 6, 7, 11};
    struct ts32 t32, res;
    struct ts64 t64;
    struct tv32 tv;
    struct tz tz;
    int32_t t, rt;
    int r;

    for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
        int c = clocks[i];
        int r32 = vgettime(c, &t32);
        int r64 = vgettime64(c, &t64);
        int rr = vgetres(c, &res);
        printf("%s clock %d: %d %d.%09d | %d %lld.%09lld | res %d %d.%09d\n", what, c,
               r32, (int)t32.sec, (int)t32.nsec, r64, (long long)t64.sec, (long long)t64.nsec,
               rr, (int)res.sec, (int)res.nsec);
    }
    r = vgettimeofday(&tv, &tz);
    printf("%s gettimeofday: %d %d.%06d tz %d %d\n", what, r, (int)tv.sec, (int)tv.usec,
           tz.minuteswest, tz.dsttime);
    rt = vtime(&t);
    printf("%s time: %d %d\n", what, (int)rt, (int)t);
}

/* clock_mode NONE: the functions must give what the syscalls give. */
static void fallbacks(void)
{
    struct ts32 a, b;
    struct ts64 c, d;
    struct tv32 tv;
    int32_t t0, t1;

    int r;

    vd[0].clock_mode = vd[1].clock_mode = VDSO_CLOCKMODE_NONE;
    r = vgetres(1, &a);
    printf("fallback getres(MONOTONIC): %d same %d\n", r,
           (int)syscall(SYS_clock_getres, 1, &b) == 0 && !memcmp(&a, &b, sizeof(a)));
    printf("fallback bad clock: %d %d %d\n", vgettime(99, &a), vgettime64(99, &c), vgetres(99, &a));
    syscall(SYS_clock_gettime, 1, &b);
    r = vgettime(1, &a);
    printf("fallback gettime(MONOTONIC): %d ordered %d\n", r,
           a.sec > b.sec || (a.sec == b.sec && a.nsec >= b.nsec));
    syscall(SYS_clock_gettime64, 1, &d);
    r = vgettime64(1, &c);
    printf("fallback gettime64(MONOTONIC): %d ordered %d\n", r,
           c.sec > d.sec || (c.sec == d.sec && c.nsec >= d.nsec));
    t0 = (int32_t)syscall(SYS_time, NULL);
    r = vgettimeofday(&tv, NULL);
    t1 = vtime(NULL);
    printf("fallback gettimeofday %d time ordered %d\n", r, t0 <= tv.sec && tv.sec <= t1);
}

int main(int argc, char **argv)
{
    if (argc < 2 || load(argv[1])) {
        puts("cannot load the image");
        return 1;
    }
    fill_page(1767225600, 0);
    page_answers("page");
    fill_page(1767225600, 8);
    page_answers("shifted");
    /* After 2038: the 32-bit calls keep the low 32 bits of the seconds, as Linux's do. */
    fill_page(0x100000005ULL, 0);
    page_answers("y2038");
    fallbacks();
    return 0;
}
