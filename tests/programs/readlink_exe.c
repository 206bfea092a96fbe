/* readlink_exe.c - print /proc/self/exe and argv[0]. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argc;
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n < 0) {
        perror("readlink");
        return 1;
    }
    buf[n] = 0;
    printf("exe=%s\n", buf);
    printf("argv0=%s\n", argv[0]);
    return 0;
}
