#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 0;
    char buf[64] = {0};
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0) return 1;
    for (long i = 0; i < n; i++) if (write(fd, buf, sizeof buf) != sizeof buf) return 1;
    return 0;
}
