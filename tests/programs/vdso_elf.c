/* vdso_elf.c - find the vDSO through getauxval(AT_SYSINFO_EHDR), parse it as the ELF
 * shared object it is (program headers, dynamic section, DT_HASH symbol table, symbol
 * versions) the way a libc does, resolve the symbols glibc and musl look for, and call
 * them next to the real syscalls. Also checks that /proc/self/maps names the areas.
 * Everything printed is the same on any Linux with a vDSO. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static uintptr_t base;                 /* load bias: image address - first PT_LOAD vaddr */
static const Elf64_Sym *symtab;
static const char *strtab;
static const Elf64_Word *hashtab;
static const Elf64_Half *versym;
static const Elf64_Verdef *verdef;

static const char *yes(int c) { return c ? "yes" : "no"; }

static int parse(const Elf64_Ehdr *eh)
{
    const Elf64_Phdr *ph = (const void *)((const char *)eh + eh->e_phoff);
    const Elf64_Dyn *dyn = NULL;
    int loads = 0;

    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_type != ET_DYN || eh->e_machine != EM_X86_64)
        return -1;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && !loads++)
            base = (uintptr_t)eh + ph[i].p_offset - ph[i].p_vaddr;
        if (ph[i].p_type == PT_DYNAMIC)
            dyn = (const void *)((const char *)eh + ph[i].p_offset);
    }
    if (!loads || !dyn)
        return -1;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        const void *p = (const void *)(base + dyn->d_un.d_ptr);
        switch (dyn->d_tag) {
        case DT_SYMTAB: symtab = p; break;
        case DT_STRTAB: strtab = p; break;
        case DT_HASH: hashtab = p; break;
        case DT_VERSYM: versym = p; break;
        case DT_VERDEF: verdef = p; break;
        }
    }
    return symtab && strtab && hashtab && versym && verdef ? 0 : -1;
}

/* The version name of symbol i (its verdef entry's first aux). */
static const char *version_of(unsigned i)
{
    unsigned idx = versym[i] & 0x7fff;
    const Elf64_Verdef *d = verdef;

    for (;;) {
        if (d->vd_ndx == idx) {
            const Elf64_Verdaux *aux = (const void *)((const char *)d + d->vd_aux);
            return strtab + aux->vda_name;
        }
        if (!d->vd_next)
            return "?";
        d = (const void *)((const char *)d + d->vd_next);
    }
}

static void *lookup(const char *name, int print)
{
    unsigned nchain = hashtab[1];

    for (unsigned i = 1; i < nchain; i++) {
        const Elf64_Sym *s = &symtab[i];
        if (strcmp(strtab + s->st_name, name) || s->st_shndx == SHN_UNDEF)
            continue;
        if (print)
            printf("%-22s %s %s %s\n", name, version_of(i),
                   ELF64_ST_TYPE(s->st_info) == STT_FUNC ? "FUNC" : "?",
                   ELF64_ST_BIND(s->st_info) == STB_WEAK ? "WEAK" : "GLOBAL");
        return (void *)(base + s->st_value);
    }
    if (print)
        printf("%-22s missing\n", name);
    return NULL;
}

static long long ns(const struct timespec *t) { return t->tv_sec * 1000000000LL + t->tv_nsec; }

static void check_maps(uintptr_t ehdr)
{
    char line[512];
    unsigned long s, e, vdso_s = 0, vvar_e = 0;
    FILE *f = fopen("/proc/self/maps", "r");

    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%lx-%lx", &s, &e) != 2)
            continue;
        if (strstr(line, "[vdso]"))
            vdso_s = s;
        if (strstr(line, "[vvar]"))
            vvar_e = e;
    }
    if (f)
        fclose(f);
    printf("maps [vdso] at AT_SYSINFO_EHDR: %s\n", yes(vdso_s && vdso_s == ehdr));
    printf("maps [vvar] below [vdso]: %s\n", yes(vvar_e && vvar_e <= vdso_s));
}

int main(void)
{
    static const char *names[] = {
        "__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time", "__vdso_getcpu",
        "__vdso_clock_getres", "clock_gettime", "gettimeofday", "time", "getcpu",
        "clock_getres",
    };
    uintptr_t ehdr = getauxval(AT_SYSINFO_EHDR);
    int (*cgt)(clockid_t, struct timespec *);
    int (*gtod)(struct timeval *, struct timezone *);
    time_t (*vtime)(time_t *);
    long (*vgetcpu)(unsigned *, unsigned *, void *);
    int (*getres)(clockid_t, struct timespec *);
    struct timespec a, b, c;
    struct timeval tv1, tv2, tv3;
    unsigned cpu = 99, node = 99;

    printf("AT_SYSINFO_EHDR present: %s\n", yes(ehdr != 0));
    if (!ehdr || parse((const Elf64_Ehdr *)ehdr)) {
        printf("not a valid ELF shared object\n");
        return 1;
    }
    printf("valid ELF: yes\n");
    for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
        lookup(names[i], 1);
    cgt = lookup("__vdso_clock_gettime", 0);
    gtod = lookup("__vdso_gettimeofday", 0);
    vtime = lookup("__vdso_time", 0);
    vgetcpu = lookup("__vdso_getcpu", 0);
    getres = lookup("__vdso_clock_getres", 0);
    if (!cgt || !gtod || !vtime || !vgetcpu || !getres)
        return 1;

    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a);
    cgt(CLOCK_MONOTONIC, &b);
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &c);
    printf("vdso CLOCK_MONOTONIC between two syscalls: %s\n",
           yes(ns(&a) <= ns(&b) && ns(&b) <= ns(&c)));
    syscall(SYS_gettimeofday, &tv1, NULL);
    gtod(&tv2, NULL);
    syscall(SYS_gettimeofday, &tv3, NULL);
    printf("vdso gettimeofday between two syscalls: %s\n",
           yes(timercmp(&tv1, &tv2, <=) && timercmp(&tv2, &tv3, <=)));
    {
        time_t t1 = syscall(SYS_time, NULL), t2 = vtime(NULL), t3 = syscall(SYS_time, NULL);
        printf("vdso time between two syscalls: %s\n", yes(t1 <= t2 && t2 <= t3));
    }
    {
        long rc = vgetcpu(&cpu, &node, NULL);
        printf("vdso getcpu: %ld, cpu and node set %s\n", rc, yes(cpu < 4096 && node < 1024));
    }
    syscall(SYS_clock_getres, CLOCK_MONOTONIC, &a);
    b.tv_sec = b.tv_nsec = -1;
    {
        int rc = getres(CLOCK_MONOTONIC, &b);
        printf("vdso clock_getres(CLOCK_MONOTONIC): %d, same as the syscall: %s\n",
               rc, yes(ns(&a) == ns(&b)));
    }
    /* Bad ids go to the real syscall, whose -errno the vDSO returns as it is. */
    printf("vdso clock_gettime(100): %d\n", cgt(100, &b));
    printf("vdso clock_getres(-1): %d\n", getres(-1, &b));
    check_maps(ehdr);
    return 0;
}
