/* auxv_dump.c - walk the ELF auxiliary vector that follows envp on the
 * initial stack and print one line per entry: "AT_NAME value".
 * String-valued entries (AT_PLATFORM, AT_EXECFN) are printed as strings,
 * AT_RANDOM's 16 bytes are read (crashing if the pointer is bad) but not
 * printed, since they differ on every run. */
#include <stdio.h>
#include <string.h>

struct at_name { unsigned long type; const char *name; };

static const struct at_name names[] = {
    {0, "AT_NULL"}, {1, "AT_IGNORE"}, {2, "AT_EXECFD"}, {3, "AT_PHDR"},
    {4, "AT_PHENT"}, {5, "AT_PHNUM"}, {6, "AT_PAGESZ"}, {7, "AT_BASE"},
    {8, "AT_FLAGS"}, {9, "AT_ENTRY"}, {10, "AT_NOTELF"}, {11, "AT_UID"},
    {12, "AT_EUID"}, {13, "AT_GID"}, {14, "AT_EGID"}, {15, "AT_PLATFORM"},
    {16, "AT_HWCAP"}, {17, "AT_CLKTCK"}, {23, "AT_SECURE"},
    {24, "AT_BASE_PLATFORM"}, {25, "AT_RANDOM"}, {26, "AT_HWCAP2"},
    {27, "AT_RSEQ_FEATURE_SIZE"}, {28, "AT_RSEQ_ALIGN"}, {29, "AT_HWCAP3"},
    {30, "AT_HWCAP4"}, {31, "AT_EXECFN"}, {32, "AT_SYSINFO"},
    {33, "AT_SYSINFO_EHDR"}, {51, "AT_MINSIGSTKSZ"},
};

static const char *at_name(unsigned long type)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].type == type)
            return names[i].name;
    return NULL;
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv;
    char **p = envp;
    while (*p)
        p++;
    unsigned long *auxv = (unsigned long *)(p + 1);

    for (int i = 0; i < 64; i++) {
        unsigned long type = auxv[2 * i], val = auxv[2 * i + 1];
        const char *name = at_name(type);
        if (name)
            printf("%s ", name);
        else
            printf("AT_%lu ", type);
        if (type == 15 || type == 24 || type == 31) {          /* strings */
            printf("\"%s\"\n", val ? (const char *)val : "(null)");
        } else if (type == 25) {                               /* AT_RANDOM */
            unsigned char buf[16];
            memcpy(buf, (const void *)val, 16);
            unsigned sum = 0;
            for (int k = 0; k < 16; k++)
                sum += buf[k];
            printf("0x%lx readable16=%d\n", val, sum < 100000);
        } else {
            printf("0x%lx\n", val);
        }
        if (type == 0)
            return 0;
    }
    printf("no AT_NULL within 64 entries\n");
    return 1;
}
