/* vdso_remap.c - the vDSO's areas are ordinary to mremap and munmap, as CRIU needs:
 * move [vvar] and [vdso] together to a new place (maps shows them there, the vDSO's
 * code still runs and finds its data), copy [vdso] on write after mprotect (a debugger's
 * breakpoint), refuse to grow [vdso] (EFAULT), split [vvar] (EINVAL) or make [vvar]
 * writable (EACCES), then unmap them (maps shows neither). libc keeps the vDSO's
 * addresses from its start-up, so after the move the program makes no libc time calls. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

struct area { unsigned long s, e; char name[64]; };
static struct area areas[8];          /* [vvar]..., then [vdso], in address order */
static int nareas;
static unsigned long vdso_s, vvar_s, vvar_e;

static void scan(void)
{
    char line[512], name[64];
    unsigned long s, e;
    FILE *f = fopen("/proc/self/maps", "r");

    nareas = 0;
    vdso_s = vvar_s = vvar_e = 0;
    while (f && fgets(line, sizeof line, f)) {
        name[0] = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %63s", &s, &e, name) < 2)
            continue;
        if (strncmp(name, "[vvar", 5) && strcmp(name, "[vdso]"))
            continue;
        if (nareas < 8) {
            areas[nareas].s = s;
            areas[nareas].e = e;
            snprintf(areas[nareas++].name, sizeof areas->name, "%s", name);
        }
        if (!strcmp(name, "[vdso]"))
            vdso_s = s;
        if (!strcmp(name, "[vvar]"))
            vvar_s = s, vvar_e = e;
    }
    if (f)
        fclose(f);
}

/* __vdso_time's offset from the image start, from the ELF's dynamic symbol table. */
static unsigned long time_offset(const Elf64_Ehdr *eh)
{
    const Elf64_Shdr *sh = (const void *)((const char *)eh + eh->e_shoff);

    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM)
            continue;
        const Elf64_Sym *sym = (const void *)((const char *)eh + sh[i].sh_offset);
        const char *str = (const char *)eh + sh[sh[i].sh_link].sh_offset;
        for (unsigned j = 0; j < sh[i].sh_size / sizeof *sym; j++)
            if (!strcmp(str + sym[j].st_name, "__vdso_time"))
                return sym[j].st_value;
    }
    return 0;
}

int main(void)
{
    unsigned long ehdr = getauxval(AT_SYSINFO_EHDR), off, first, span, vdso_size;
    char *to;
    int moved = 1;

    scan();
    printf("[vdso] at AT_SYSINFO_EHDR: %s\n", vdso_s == ehdr ? "yes" : "no");
    if (!nareas || !vdso_s)
        return 1;
    off = time_offset((const Elf64_Ehdr *)ehdr);
    first = areas[0].s;
    span = areas[nareas - 1].e - first;
    vdso_size = areas[nareas - 1].e - vdso_s;
    {   /* A debugger's breakpoint: [vdso] made writable and written gets a private
         * copy (VM_MAYWRITE, copy-on-write); a child forked before keeps the original. */
        volatile unsigned char *pad = (unsigned char *)ehdr + EI_PAD + 2;
        int p2c[2], c2p[2];
        char go = 0, seen = 0;
        if (pipe(p2c) || pipe(c2p))
            return 1;
        if (fork() == 0) {
            if (read(p2c[0], &go, 1) != 1)
                _exit(1);
            seen = *pad;
            _exit(write(c2p[1], &seen, 1) == 1 ? 0 : 1);
        }
        errno = 0;
        printf("mprotect [vdso] writable: %s\n", mprotect((void *)vdso_s, vdso_size,
               PROT_READ | PROT_WRITE | PROT_EXEC) ? strerror(errno) : "allowed");
        *pad = 0xcc;
        if (write(p2c[1], &go, 1) != 1 || read(c2p[0], &seen, 1) != 1)
            return 1;
        wait(NULL);
        printf("written byte: ours %#x, the child's %#x\n", *pad, (unsigned char)seen);
        *pad = 0;
        mprotect((void *)vdso_s, vdso_size, PROT_READ | PROT_EXEC);
    }
    errno = 0;
    printf("mremap grow [vdso]: %s\n", mremap((void *)vdso_s, vdso_size, 2 * vdso_size, 0)
           == MAP_FAILED ? strerror(errno) : "grew");
    /* A free spot: reserve the span, release it, move every area to the same offset. */
    to = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(to, span);
    for (int i = 0; i < nareas; i++) {
        unsigned long len = areas[i].e - areas[i].s;
        void *dst = to + (areas[i].s - first);
        if (mremap((void *)areas[i].s, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst) != dst)
            moved = 0;
    }
    printf("mremap move [vvar] and [vdso]: %s\n", moved ? "moved" : strerror(errno));
    scan();
    printf("maps shows them at the new place: %s\n",
           vvar_s == (unsigned long)to && vdso_s == (unsigned long)to + (ehdr - first) ? "yes" : "no");
    if (off && moved) {
        long (*vtime)(long *) = (void *)(vdso_s + off);
        long t = vtime(NULL);
        /* libc keeps the vDSO's old addresses: from here on only raw syscalls. */
        long now = syscall(SYS_time, NULL);
        printf("__vdso_time from the new place: %s\n", t > 0 && now - t <= 1 ? "ok" : "wrong");
    }
    errno = 0;
    printf("mlock one page of [vvar]: %s\n", mlock((void *)vvar_s, 4096) ? strerror(errno) : "ok");
    errno = 0;
    printf("mlockall: %s\n", mlockall(MCL_CURRENT) ? strerror(errno) : "ok");
    munlockall();
    errno = 0;
    printf("munmap one page of [vvar]: %s\n",
           munmap((void *)(vvar_s + 4096), 4096) ? strerror(errno) : "unmapped");
    errno = 0;
    printf("mprotect one page of [vvar]: %s\n",
           mprotect((void *)vvar_s, 4096, PROT_NONE) ? strerror(errno) : "changed");
    errno = 0;
    printf("mprotect [vvar] writable: %s\n",
           mprotect((void *)vvar_s, vvar_e - vvar_s, PROT_READ | PROT_WRITE) ? strerror(errno) : "allowed");
    for (int i = 0; i < nareas; i++)
        munmap((void *)areas[i].s, areas[i].e - areas[i].s);
    scan();
    printf("after munmap: %s\n", nareas ? "still mapped" : "[vvar] and [vdso] gone");
    return 0;
}
