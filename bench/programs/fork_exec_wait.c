#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
extern char **environ;
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 0;
    if (argc < 3) return 2;
    char *args[] = {argv[2], NULL};
    for (long i = 0; i < n; i++) {
        pid_t p = fork();
        if (p < 0) return 1;
        if (p == 0) { execve(argv[2], args, environ); _exit(127); }
        int st;
        if (waitpid(p, &st, 0) != p || st != 0) return 1;
    }
    return 0;
}
