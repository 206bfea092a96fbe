/* vma_merge as /proc/self/maps shows it: mappings placed side by side at fixed
 * addresses, then the maps lines of that range, printed without the device and inode
 * columns (which differ between the host's file system and the sandbox's overlay). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096UL
#define BASE 0x200000000UL

static void *map_at(unsigned long off, unsigned long pages, int prot, int flags, int fd, long foff)
{
    void *want = (void *)(BASE + off * PG);
    void *p = mmap(want, pages * PG, prot, flags | MAP_FIXED_NOREPLACE |
                   (fd < 0 ? MAP_ANONYMOUS : 0), fd, foff);
    if (p != want) {
        perror("mmap");
        exit(1);
    }
    return p;
}

static void show(const char *what)
{
    char line[512];
    FILE *f = fopen("/proc/self/maps", "r");
    printf("== %s\n", what);
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi, off;
        char perms[8], dev[16], ino[32], name[256] = "";
        if (sscanf(line, "%lx-%lx %7s %lx %15s %31s %255s", &lo, &hi, perms, &off, dev, ino, name) < 6)
            continue;
        if (lo < BASE || lo >= BASE + 0x10000000UL)
            continue;
        char *base = strrchr(name, '/');
        printf("%lx-%lx %s %08lx %s\n", lo - BASE, hi - BASE, perms, off, base ? base + 1 : name);
    }
    fclose(f);
}

int main(void)
{
    int rw = PROT_READ | PROT_WRITE, priv = MAP_PRIVATE;
    /* two read-write anonymous neighbours: one area */
    map_at(0, 2, rw, priv, -1, 0);
    map_at(2, 3, rw, priv, -1, 0);
    /* a PROT_NONE neighbour is not charged: two areas, one once it is made writable */
    char *none = map_at(5, 2, PROT_NONE, priv, -1, 0);
    show("rw rw none");
    mprotect(none, 2 * PG, rw);
    show("none made rw");
    /* split by mprotect and joined again */
    char *a = map_at(16, 4, rw, priv, -1, 0);
    mprotect(a + PG, PG, PROT_READ);
    show("split");
    mprotect(a + PG, PG, rw);
    show("joined");
    /* MAP_NORESERVE is never charged: it stays apart from a charged neighbour */
    map_at(32, 2, rw, priv, -1, 0);
    map_at(34, 2, rw, priv | MAP_NORESERVE, -1, 0);
    /* read-only after being written keeps its charge: apart from a fresh read-only area
     * (Linux 6.1 keeps it even untouched; later kernels drop it while no page exists) */
    char *w = map_at(48, 2, rw, priv, -1, 0);
    w[0] = 1;
    map_at(50, 2, PROT_READ, priv, -1, 0);
    mprotect(w, 2 * PG, PROT_READ);
    show("noreserve and charged read-only");
    /* a file mapped twice through one descriptor at following offsets: one area;
     * through another descriptor (another struct file): two */
    const char *path = "procdev_merge.dat";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    char buf[8 * PG];
    memset(buf, 'x', sizeof buf);
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
        return 1;
    int fd2 = open(path, O_RDONLY);
    map_at(64, 2, PROT_READ, MAP_PRIVATE, fd, 0);
    map_at(66, 2, PROT_READ, MAP_PRIVATE, fd, 2 * PG);
    map_at(68, 2, PROT_READ, MAP_PRIVATE, fd2, 4 * PG);
    map_at(72, 2, PROT_READ, MAP_PRIVATE, fd, 0);
    map_at(74, 2, PROT_READ, MAP_PRIVATE, fd, 6 * PG);      /* not the next offset */
    show("files");
    /* munmap of the middle of a joined area leaves two */
    munmap(a + PG, PG);
    show("hole");
    unlink(path);
    return 0;
}
