/* mlock_calls.c - memory locking as /proc/self/status's VmLck counts it: MAP_LOCKED,
 * munlock splitting a locked mapping, mlock of a partial page, the flag checks of
 * mlock2 and mlockall, a hole (ENOMEM), fork (locks are not inherited), munlockall,
 * RLIMIT_MEMLOCK for an unprivileged task (ENOMEM, EAGAIN for MAP_LOCKED, EPERM at 0). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long vmlck(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmLck:", 6))
            sscanf(line + 6, "%ld", &kb);
    fclose(f);
    return kb;
}

static void report(const char *what, long ret)
{
    printf("%s: %ld (%s) VmLck %ld kB\n", what, ret, ret < 0 ? strerror(errno) : "ok", vmlck());
    fflush(stdout);
}

int main(void)
{
    report("start", 0);
    char *p = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    report("mmap MAP_LOCKED 1 MiB", p == MAP_FAILED ? -1 : 0);
    report("munlock first page", munlock(p, 4096));
    report("mlock 10 bytes at p+1", mlock(p + 1, 10));
    report("mlock2 bad flags", syscall(SYS_mlock2, p, 4096, 7));
    report("mlock2 ONFAULT", syscall(SYS_mlock2, p, 8192, 1));
    report("mlockall 0", mlockall(0));
    report("mlockall MCL_ONFAULT alone", mlockall(MCL_ONFAULT));
    report("mlock over a hole", mlock((void *)0x10000, 4096));
    pid_t pid = fork();
    if (pid == 0) {
        report("child", 0);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    report("munlockall", munlockall());
    report("mlockall MCL_CURRENT|MCL_FUTURE", mlockall(MCL_CURRENT | MCL_FUTURE));
    void *q = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("mmap after MCL_FUTURE", q == MAP_FAILED ? -1 : 0);
    report("munlockall", munlockall());
    struct rlimit r = {8192, 8192};
    setrlimit(RLIMIT_MEMLOCK, &r);
    if (setuid(65534) != 0)
        return 1;
    report("mlock 3 pages over an 8 KiB limit", mlock(p, 3 * 4096));
    q = mmap(0, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    report("MAP_LOCKED over the limit", q == MAP_FAILED ? -1 : 0);
    report("mlock 1 page within it", mlock(p, 4096));
    r.rlim_cur = r.rlim_max = 0;
    setrlimit(RLIMIT_MEMLOCK, &r);
    report("mlock with a zero limit", mlock(p + 8192, 4096));
    return 0;
}
