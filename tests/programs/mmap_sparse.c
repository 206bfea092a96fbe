/* Reading a sparse file through a shared writable mapping must not fill its holes: only
 * the page written is written back. argv[1]: the file. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long size = 16L << 20, sum = 0;
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fd, size);
    volatile char *a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    for (long off = 0; off < size; off += 4096)
        sum += a[off];
    a[5 * 4096] = 1;
    munmap((void *)a, size);
    printf("sum %ld\n", sum);
    return 0;
}
