/* Stores to a MAP_SHARED file mapping reach the file itself: at msync(MS_SYNC), and at
 * exit for what was never synced. The test looks at the host file of the writable layer. */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fd, 8192);
    char *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    memcpy(a, "synced", 6);
    msync(a, 4096, MS_SYNC);
    memcpy(a + 4096, "at exit", 7);
    return 0;
}
