#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 0;
    for (long i = 0; i < n; i++) {
        pid_t p = fork();
        if (p < 0) return 1;
        if (p == 0) _exit(0);
        int st;
        if (waitpid(p, &st, 0) != p || st != 0) return 1;
    }
    return 0;
}
