/* A child touches anonymous memory until it dies; the parent reports how it died and
 * goes on (allocating and touching some memory itself afterwards). Run with a small
 * --mem under glasskernel: the OOM killer must choose the child. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static void hog(void)
{
    for (long i = 0;; i++) {
        char *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            printf("hog: mmap failed after %ld MiB\n", i);
            _exit(3);
        }
        for (long off = 0; off < CHUNK; off += 4096)
            p[off] = (char)i;
    }
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 1;
    for (int r = 0; r < rounds; r++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
            hog();
        int status;
        if (waitpid(pid, &status, 0) != pid) {
            perror("waitpid");
            return 1;
        }
        if (WIFSIGNALED(status))
            printf("round %d: child killed by signal %d\n", r, WTERMSIG(status));
        else
            printf("round %d: child exited with %d\n", r, WEXITSTATUS(status));
    }
    /* The parent goes on: 8 MiB of its own, touched and checked. */
    char *mine = malloc(8 << 20);
    memset(mine, 0x5a, 8 << 20);
    printf("parent goes on: %s\n", mine[(8 << 20) - 1] == 0x5a ? "ok" : "bad");
    return 0;
}
