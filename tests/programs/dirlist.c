/* dirlist.c - opendir/readdir argv[1], print the entry count and the names
 * sorted by strcmp, each followed by its d_type letter. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry { char *name; unsigned char type; };

static int cmp(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static char type_letter(unsigned char t)
{
    switch (t) {
    case DT_REG: return 'f';
    case DT_DIR: return 'd';
    case DT_LNK: return 'l';
    case DT_FIFO: return 'p';
    case DT_SOCK: return 's';
    case DT_CHR: return 'c';
    case DT_BLK: return 'b';
    default: return '?';
    }
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror("opendir");
        return 1;
    }
    static struct entry ents[8192];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 8192) {
        ents[n].name = strdup(e->d_name);
        ents[n].type = e->d_type;
        n++;
    }
    closedir(d);
    qsort(ents, n, sizeof(ents[0]), cmp);
    printf("entries=%d\n", n);
    for (int i = 0; i < n; i++)
        printf("%s %c\n", ents[i].name, type_letter(ents[i].type));
    return 0;
}
