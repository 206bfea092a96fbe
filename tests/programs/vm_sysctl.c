/* vm_sysctl.c - vm.max_map_count takes a write, and bounds the mappings a process may
 * have at once (ENOMEM past it); an out-of-range value is EINVAL. The old value is
 * written back at the end. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int put(const char *value)
{
    int fd = open("/proc/sys/vm/max_map_count", O_WRONLY);
    int r = fd < 0 ? -1 : (int)write(fd, value, strlen(value));
    int e = errno;
    if (fd >= 0)
        close(fd);
    errno = e;
    return r;
}

int main(void)
{
    char old[32] = "";
    int fd = open("/proc/sys/vm/max_map_count", O_RDONLY);
    if (fd < 0 || read(fd, old, sizeof old - 1) <= 0)
        return 1;
    close(fd);
    int r = put("-1");
    printf("write -1: %d %s\n", r, r < 0 ? strerror(errno) : "");
    r = put("200");
    printf("write 200: %d\n", r);
    int n = 0;
    while (n < 1000 && mmap(NULL, 4096, n % 2 ? PROT_READ : PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED)
        n++;
    printf("mapped until ENOMEM: %d %s\n", n < 1000, strerror(errno));
    put(old);
    return 0;
}
