/* A child touches anonymous memory until it dies; the parent reports how it died and
 * goes on (allocating and touching some memory itself afterwards). Run with a small
 * --mem under glasskernel: the OOM killer must choose the child.
 * argv[2] "big": the parent holds 40 MiB of its own once the child is forked (it has the
 * most, and is killed); "protect": the same, with the parent's oom_score_adj at -1000
 * (the child is killed). */
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

static void hold_memory(const char *mode)
{
    char *held = malloc(40 << 20);
    memset(held, 1, 40 << 20);
    if (strcmp(mode, "protect") == 0) {
        FILE *f = fopen("/proc/self/oom_score_adj", "w");
        fputs("-1000", f);
        fclose(f);
        f = fopen("/proc/self/oom_score", "r");
        int score = -1;
        if (fscanf(f, "%d", &score) != 1)
            score = -1;
        fclose(f);
        printf("parent: oom_score %d\n", score);
    }
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 1;
    const char *mode = argc > 2 ? argv[2] : "";
    for (int r = 0; r < rounds; r++) {
        int go[2];
        pipe(go);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            char c;
            close(go[1]);
            read(go[0], &c, 1);       /* wait until the parent holds its memory */
            hog();
        }
        close(go[0]);
        if (r == 0 && *mode)
            hold_memory(mode);
        close(go[1]);
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
