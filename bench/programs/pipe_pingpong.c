#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 0;
    int a[2], b[2];
    char c = 'x';
    if (pipe(a) || pipe(b)) return 1;
    pid_t p = fork();
    if (p < 0) return 1;
    if (p == 0) {
        close(a[1]); close(b[0]);
        for (long i = 0; i < n; i++) {
            if (read(a[0], &c, 1) != 1) _exit(1);
            if (write(b[1], &c, 1) != 1) _exit(1);
        }
        _exit(0);
    }
    close(a[0]); close(b[1]);
    for (long i = 0; i < n; i++) {
        if (write(a[1], &c, 1) != 1) return 1;
        if (read(b[0], &c, 1) != 1) return 1;
    }
    int st;
    if (waitpid(p, &st, 0) != p || st != 0) return 1;
    return 0;
}
