/* vsyscall.c - the legacy vsyscall page at 0xffffffffff600000, as Linux 6.1 has it by
 * default (vsyscall=xonly): a call to one of its three entries (gettimeofday, time,
 * getcpu) is emulated and returns to the caller; a jump anywhere else in the page, a bad
 * stack or a bad pointer argument ends in SIGSEGV. glasskernel's emulator stops runs at
 * an address in that page: a guest jumping there must not make it spin. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VSYSCALL 0xffffffffff600000UL

typedef long (*gtod_fn)(struct timeval *, void *);
typedef long (*time_fn)(long *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

static void in_child(const char *what, void (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("%s: killed by %s\n", what, strsignal(WTERMSIG(status)));
    else
        printf("%s: exit %d\n", what, WEXITSTATUS(status));
}

static void jump_misaligned(void) { ((time_fn)(VSYSCALL + 0x100))(NULL); }
static void jump_page_end(void) { ((time_fn)(VSYSCALL + 0xfff))(NULL); }
static void getcpu_bad_pointer(void) { ((getcpu_fn)(VSYSCALL + 0x800))((unsigned *)8, NULL, NULL); }
static void gettimeofday_bad_pointer(void) { ((gtod_fn)VSYSCALL)((struct timeval *)8, NULL); }

static void getcpu_bad_stack(void)
{
    __asm__ volatile("mov $0x1000, %%rsp\n\tjmp *%0" : : "r"(VSYSCALL + 0x800) : "memory");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    long t = 0;
    long r = ((time_fn)(VSYSCALL + 0x400))(&t);
    long now = time(NULL);
    printf("time: returned and stored the time %d\n", r == t && labs(now - r) < 100);
    struct timeval tv = {0, 0};
    r = ((gtod_fn)VSYSCALL)(&tv, NULL);
    printf("gettimeofday: %ld, plausible %d\n", r, labs(now - tv.tv_sec) < 100);
    r = ((time_fn)(VSYSCALL + 0x400))(NULL);
    printf("time(NULL): plausible %d\n", labs(now - r) < 100);
    unsigned cpu = 12345, node = 12345;
    r = ((getcpu_fn)(VSYSCALL + 0x800))(&cpu, &node, NULL);
    printf("getcpu: %ld, cpu written %d, node %u\n", r, cpu != 12345, node);
    r = ((getcpu_fn)(VSYSCALL + 0x800))(NULL, NULL, NULL);
    printf("getcpu(NULL, NULL): %ld\n", r);
    in_child("jump into the page, not at an entry", jump_misaligned);
    in_child("jump to the page's last byte", jump_page_end);
    in_child("getcpu entry with a bad stack", getcpu_bad_stack);
    in_child("getcpu with a bad pointer", getcpu_bad_pointer);
    in_child("gettimeofday with a bad pointer", gettimeofday_bad_pointer);
    return 0;
}
