/* vdso32_syms.c - an i386 program (gcc -m32 -static) that lists what a 32-bit vDSO
 * exports, the way a libc finds it: the ELF header, PT_DYNAMIC, DT_HASH's symbol count,
 * DT_SYMTAB/DT_STRTAB and the version of each symbol (DT_VERSYM + DT_VERDEF).
 *
 *   vdso32_syms          the running process's vDSO (getauxval(AT_SYSINFO_EHDR)); also
 *                        prints whether AT_SYSINFO is the image's __kernel_vsyscall
 *   vdso32_syms FILE     an image on disk (glasskernel's vdso32.so)
 *   vdso32_syms --dump FILE   write the running process's vDSO image to FILE
 *   vdso32_syms --maps   print the /proc/self/maps lines of [vvar] and [vdso]
 *
 * Output: one "name@version" line per defined, exported symbol (the __kernel_* entry
 * points followed by their code in hex, st_size bytes), sorted by the caller. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

static const char *image;          /* the ELF header */
static uintptr_t bias;             /* image address - the first PT_LOAD's vaddr */

/* Where the dynamic-section address `vaddr` is in memory. */
static const void *at(Elf32_Addr vaddr) { return (const void *)(bias + vaddr); }

/* The name of version index `idx` in the verdef chain, or "?" */
static const char *version_name(const Elf32_Verdef *d, const char *strtab, unsigned idx)
{
    for (;;) {
        if (d->vd_ndx == idx) {
            const Elf32_Verdaux *aux = (const void *)((const char *)d + d->vd_aux);
            return strtab + aux->vda_name;
        }
        if (!d->vd_next)
            return "?";
        d = (const void *)((const char *)d + d->vd_next);
    }
}

static int list(void)
{
    const Elf32_Ehdr *eh = (const void *)image;
    const Elf32_Phdr *ph = (const void *)(image + eh->e_phoff);
    const Elf32_Dyn *dyn = NULL;
    const Elf32_Sym *sym = NULL;
    const Elf32_Word *hash = NULL;
    const Elf32_Half *versym = NULL;
    const Elf32_Verdef *verdef = NULL;
    const char *str = NULL;
    int loads = 0;

    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS32 ||
        eh->e_type != ET_DYN || eh->e_machine != EM_386) {
        puts("not an ELF32 i386 shared object");
        return 1;
    }
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && !loads++)
            bias = (uintptr_t)image + ph[i].p_offset - ph[i].p_vaddr;
        if (ph[i].p_type == PT_DYNAMIC)
            dyn = (const void *)(image + ph[i].p_offset);
    }
    for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB: sym = at(dyn->d_un.d_ptr); break;
        case DT_STRTAB: str = at(dyn->d_un.d_ptr); break;
        case DT_HASH: hash = at(dyn->d_un.d_ptr); break;
        case DT_VERSYM: versym = at(dyn->d_un.d_ptr); break;
        case DT_VERDEF: verdef = at(dyn->d_un.d_ptr); break;
        }
    }
    if (!sym || !str || !hash || !versym || !verdef) {
        puts("incomplete dynamic section");
        return 1;
    }
    for (unsigned i = 1; i < hash[1]; i++) {              /* hash[1]: nchain = nsyms */
        if (sym[i].st_shndx == SHN_UNDEF || ELF32_ST_BIND(sym[i].st_info) == STB_LOCAL)
            continue;
        if (ELF32_ST_TYPE(sym[i].st_info) != STT_FUNC && ELF32_ST_TYPE(sym[i].st_info) != STT_NOTYPE)
            continue;
        printf("%s@%s", str + sym[i].st_name, version_name(verdef, str, versym[i] & 0x7fff));
        if (!strncmp(str + sym[i].st_name, "__kernel_", 9)) {     /* the code, in hex */
            const unsigned char *code = at(sym[i].st_value);
            printf(" ");
            for (unsigned j = 0; j < sym[i].st_size; j++)
                printf("%02x", code[j]);
        }
        printf("\n");
    }
    return 0;
}

/* Write the running process's vDSO image (its section headers are its end) to path. */
static int dump(const char *path)
{
    const Elf32_Ehdr *eh = (const void *)getauxval(AT_SYSINFO_EHDR);
    FILE *f = fopen(path, "wb");

    if (!eh || !f)
        return 2;
    fwrite(eh, 1, eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize, f);
    return fclose(f) ? 2 : 0;
}

/* The address ranges and names of the vDSO's areas in /proc/self/maps. */
static int maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512], range[64], perms[8], name[64];

    while (f && fgets(line, sizeof(line), f)) {
        name[0] = 0;
        if (sscanf(line, "%63s %7s %*s %*s %*s %63s", range, perms, name) >= 2 &&
            (!strcmp(name, "[vdso]") || !strncmp(name, "[vvar", 5)))
            printf("%s %s %s\n", range, perms, name);
    }
    return f ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "--dump"))
        return dump(argv[2]);
    if (argc > 1 && !strcmp(argv[1], "--maps"))
        return maps();
    if (argc > 1) {
        FILE *f = fopen(argv[1], "rb");
        static char buf[1 << 16];
        if (!f || fread(buf, 1, sizeof(buf), f) == 0) {
            perror(argv[1]);
            return 2;
        }
        image = buf;
        return list();
    }
    image = (const char *)getauxval(AT_SYSINFO_EHDR);
    if (!image) {
        puts("no AT_SYSINFO_EHDR");
        return 1;
    }
    int rc = list();
    /* AT_SYSINFO is the ELF entry point, __kernel_vsyscall (vdso32.lds: ENTRY). */
    const Elf32_Ehdr *eh = (const void *)image;
    printf("AT_SYSINFO=%s\n", getauxval(AT_SYSINFO) == bias + eh->e_entry ? "e_entry" : "other");
    return rc;
}
