/* vm.max_map_count: mmap, munmap and mprotect splits give ENOMEM past it. Mappings
 * alternate protections so that none can merge with its neighbour. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096
#ifndef MAX_TRIES
#define MAX_TRIES 70000
#endif

static char *pages[MAX_TRIES];

int main(void)
{
    char buf[32] = "";
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f && fgets(buf, sizeof buf, f))
        printf("max_map_count %s", buf);
    if (f)
        fclose(f);
    char *three = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int n, err = 0;
    for (n = 0; n < MAX_TRIES; n++) {
        int prot = n % 2 ? PROT_READ | PROT_WRITE : PROT_READ;
        pages[n] = mmap(NULL, PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pages[n] == MAP_FAILED) {
            err = errno;
            break;
        }
    }
    printf("mmap failed: %s, after more than 65000: %s\n", err ? strerror(err) : "never",
           n > 65000 ? "yes" : "no");
    int r = munmap(three + PAGE, PAGE);
    printf("munmap of a middle page: %s\n", r ? strerror(errno) : "ok");
    r = mprotect(three + PAGE, PAGE, PROT_READ);
    printf("mprotect of a middle page: %s\n", r ? strerror(errno) : "ok");
    r = mprotect(three, 3 * PAGE, PROT_READ | PROT_WRITE);
    printf("mprotect of the whole, unchanged: %s\n", r ? strerror(errno) : "ok");
    r = munmap(three + 2 * PAGE, PAGE);
    printf("munmap of the last page: %s\n", r ? strerror(errno) : "ok");
    for (int i = 0; i < 10; i++)
        munmap(pages[n - 1 - i], PAGE);
    r = mprotect(three + PAGE, PAGE, PROT_READ);
    printf("mprotect of a middle page after 10 unmaps: %s\n", r ? strerror(errno) : "ok");
    r = munmap(three, PAGE);
    printf("munmap of the first page: %s\n", r ? strerror(errno) : "ok");
    char *again = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap after unmapping: %s\n", again == MAP_FAILED ? strerror(errno) : "ok");
    return 0;
}
