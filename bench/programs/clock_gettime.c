#include <stdlib.h>
#include <time.h>
/* N clock_gettime(CLOCK_MONOTONIC) through libc: the vDSO where the kernel maps one
 * (native, glasskernel), the emulated syscall where it does not (qemu-user). */
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 0;
    struct timespec t;
    long long sum = 0;
    for (long i = 0; i < n; i++) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        sum += t.tv_nsec;
    }
    return sum == 42;
}
