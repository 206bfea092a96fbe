/* madvise_calls.c - madvise's checks and the advice that changes fork: MADV_DONTFORK
 * (the child has no such area: SIGSEGV), MADV_WIPEONFORK (the child reads zeros),
 * MADV_KEEPONFORK; EINVAL for MADV_FREE on a file mapping, MADV_DONTNEED on a locked
 * area, MADV_WIPEONFORK on a shared one, an unknown advice; ENOMEM over a hole. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *what, int r)
{
    printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static void child_reads(const char *what, volatile char *p)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("%s: child reads %d\n", what, p[0]);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("%s: child killed by %s\n", what, strsignal(WTERMSIG(status)));
}

int main(void)
{
    long pg = 4096;
    char *a = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(a, 7, 3 * pg);
    say("wipeonfork", madvise(a, pg, MADV_WIPEONFORK));
    child_reads("wiped", a);
    child_reads("not wiped", a + pg);
    say("keeponfork", madvise(a, pg, MADV_KEEPONFORK));
    child_reads("kept", a);
    say("dontfork", madvise(a + 2 * pg, pg, MADV_DONTFORK));
    child_reads("dontfork", a + 2 * pg);
    say("dofork", madvise(a + 2 * pg, pg, MADV_DOFORK));
    child_reads("dofork", a + 2 * pg);
    int fd = open("/proc/self/exe", O_RDONLY);
    char *f = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0);
    say("free on a file mapping", madvise(f, pg, MADV_FREE));
    char *s = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    say("wipeonfork on a shared mapping", madvise(s, pg, MADV_WIPEONFORK));
    char *l = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    say("dontneed on a locked area", madvise(l, pg, MADV_DONTNEED));
    say("unknown advice", madvise(a, pg, 77));
    say("unaligned", madvise(a + 1, pg, MADV_NORMAL));
    munmap(a + pg, pg);
    say("over a hole", madvise(a, 3 * pg, MADV_NORMAL));
    say("dontneed then read", madvise(a, pg, MADV_DONTNEED));
    printf("after dontneed: %d\n", a[0]);
    return 0;
}
