/* compat_sig_int80.c - a 64-bit program making i386 syscalls with int $0x80 (Linux allows
 * it, with the 32-bit table), interrupted by signals: a poll stopped and continued resumes
 * through the i386 table's restart_syscall (0, not the 64-bit 219), and a read restarted
 * by an SA_RESTART handler runs int $0x80 again with its own number. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __x86_64__
#error "a 64-bit program"
#endif

#define NR32_READ 3
#define NR32_POLL 168

static long int80(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return ret;
}

static volatile int hits;

static void count(int sig)
{
    (void)sig;
    hits++;
}

static char proc_state(pid_t pid)
{
    char path[64], state = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    if (fscanf(f, "%*d %*s %c", &state) != 1)
        state = 0;
    fclose(f);
    return state;
}

static void wait_state(pid_t pid, char want)
{
    char st;
    while ((st = proc_state(pid)) != want && st != 'Z' && st != 0)
        usleep(1000);
}

static void poll_after_stop(void)
{
    int p[2], status;
    char c;
    pid_t pid;
    pipe(p);
    pid = fork();
    if (pid == 0) {
        signal(SIGUSR1, count);
        close(p[0]);
        write(p[1], "r", 1);
        long r = int80(NR32_POLL, 0, 0, 100000);         /* poll(NULL, 0, 100 s) */
        printf("int $0x80 poll: %ld, handler ran %d\n", r, hits);
        _exit(0);
    }
    close(p[1]);
    read(p[0], &c, 1);
    wait_state(pid, 'S');
    kill(pid, SIGSTOP);
    waitpid(pid, &status, WUNTRACED);
    printf("stopped by %d\n", WIFSTOPPED(status) ? WSTOPSIG(status) : -1);
    kill(pid, SIGCONT);
    wait_state(pid, 'S');                 /* asleep again, in restart_syscall */
    kill(pid, SIGUSR1);
    waitpid(pid, &status, 0);
    printf("child exit %d\n", WEXITSTATUS(status));
    close(p[0]);
}

static int hfd = -1;

static void tell(int sig)
{
    (void)sig;
    hits++;
    write(hfd, "h", 1);
}

static void read_restarted(void)
{
    struct sigaction sa;
    static char c;                /* below 4 GiB: int $0x80 takes 32-bit pointers */
    int p[2], h[2], status;
    pid_t pid;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tell;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    pipe(p);
    pipe(h);
    hfd = h[1];
    hits = 0;
    pid = fork();
    if (pid == 0) {
        wait_state(getppid(), 'S');
        kill(getppid(), SIGUSR1);
        read(h[0], &c, 1);
        write(p[1], "x", 1);
        _exit(0);
    }
    long r = int80(NR32_READ, p[0], (long)&c, 1);
    printf("int $0x80 read with SA_RESTART: %ld '%c', handler ran %d\n", r, c, hits);
    waitpid(pid, &status, 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    poll_after_stop();
    read_restarted();
    return 0;
}
