/* fork_commit.c - fork commits a private writable area's memory again for the child: two
 * neighbouring mappings of 3/4 of RAM each (each fine alone) merge into one area larger
 * than RAM, and fork fails with ENOMEM; the same with MAP_NORESERVE commits nothing and
 * forks. (Heuristic overcommit, the default.) */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long ram_bytes(void)
{
    char line[256];
    unsigned long kb = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %lu kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

static void try_fork(const char *what, int extra)
{
    unsigned long len = (ram_bytes() / 4 * 3) & ~4095UL;
    char *a = mmap(NULL, 2 * len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    munmap(a, 2 * len);                     /* a hole for two neighbours */
    char *p = mmap(a, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | extra, -1, 0);
    char *q = mmap(a + len, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | extra, -1, 0);
    printf("%s: maps %s\n", what, p == MAP_FAILED || q == MAP_FAILED ? "failed" : "ok");
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid < 0)
        printf("%s: fork -1 %s\n", what, strerror(errno));
    else {
        waitpid(pid, NULL, 0);
        printf("%s: fork ok\n", what);
    }
    munmap(a, 2 * len);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    try_fork("committed", 0);
    try_fork("noreserve", MAP_NORESERVE);
    return 0;
}
