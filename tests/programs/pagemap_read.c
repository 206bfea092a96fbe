/* pagemap_read.c - /proc/self/pagemap: which pages of a mapping are present, file-backed
 * or exclusive (no frame numbers: they differ), and EINVAL for an offset that is not a
 * multiple of 8. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
    char *a = mmap(0, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *s = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    a[0] = 1;
    a[2 * 4096] = 1;
    s[0] = 1;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    uint64_t e[4];
    if (pread(fd, e, sizeof e, (uintptr_t)a / 4096 * 8) != sizeof e)
        return 1;
    for (int i = 0; i < 4; i++)
        printf("page %d: present %d file %d exclusive %d\n", i, (int)(e[i] >> 63),
               (int)(e[i] >> 61 & 1), (int)(e[i] >> 56 & 1));
    if (pread(fd, e, 8, (uintptr_t)s / 4096 * 8) != 8)
        return 1;
    printf("shared: present %d file %d\n", (int)(e[0] >> 63), (int)(e[0] >> 61 & 1));
    ssize_t n = pread(fd, e, 8, 4);
    printf("offset 4: %zd %s\n", n, n < 0 ? strerror(errno) : "");
    return 0;
}
