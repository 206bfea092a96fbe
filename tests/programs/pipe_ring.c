/* pipe_ring.c - tasks that take turns through pipes: a token passed around rings of 2, 3
 * and 5 processes (each reader blocks on an empty pipe every turn); two readers on one
 * pipe (one wake-up, one byte: the other reader blocks again); a blocked reader that a
 * sibling interrupts with a signal, with and without SA_RESTART; a blocked reader that
 * sees end of file when the last writer closes. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* Pass an incrementing counter around a ring of n processes for rounds turns each. */
static void ring(int n, long rounds)
{
    int p[8][2];
    for (int i = 0; i < n; i++)
        if (pipe(p[i]))
            die("pipe");
    fflush(stdout);
    for (int i = 1; i < n; i++) {
        if (fork() == 0) {
            long v;
            for (long r = 0; r < rounds; r++) {
                if (read(p[i][0], &v, sizeof v) != sizeof v)
                    _exit(10 + i);
                v++;
                if (write(p[(i + 1) % n][1], &v, sizeof v) != sizeof v)
                    _exit(20 + i);
            }
            _exit(0);
        }
    }
    long v = 0, ok = 1;
    for (long r = 0; r < rounds; r++) {
        if (write(p[1 % n][1], &v, sizeof v) != sizeof v)
            die("write");
        long back;
        if (read(p[0][0], &back, sizeof back) != sizeof back)
            die("read");
        ok &= back == v + n - 1;
        v = back + 1;
    }
    int bad = 0, st;
    while (wait(&st) > 0)
        bad += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    printf("ring of %d, %ld rounds: last %ld, in order %s, children failed %d\n", n, rounds,
           v, ok ? "yes" : "no", bad);
    for (int i = 0; i < n; i++) {
        close(p[i][0]);
        close(p[i][1]);
    }
}

/* Two children read one byte each from the same pipe; the parent writes one byte at a
 * time, waiting for each to be reported before the next. */
static void two_readers(void)
{
    int data[2], report[2];
    if (pipe(data) || pipe(report))
        die("pipe");
    fflush(stdout);
    for (int i = 0; i < 2; i++) {
        if (fork() == 0) {
            char c;
            close(data[1]);
            if (read(data[0], &c, 1) != 1)
                _exit(1);
            write(report[1], &c, 1);
            _exit(0);
        }
    }
    close(data[0]);
    char got[2];
    for (int i = 0; i < 2; i++) {
        usleep(20 * 1000);
        write(data[1], i ? "b" : "a", 1);
        if (read(report[0], &got[i], 1) != 1)
            die("report");
    }
    int st, bad = 0;
    while (wait(&st) > 0)
        bad += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    printf("two readers: got %c then %c, failed %d\n", got[0], got[1], bad);
    close(data[1]);
    close(report[0]);
    close(report[1]);
}

static volatile sig_atomic_t handled;

/* The state letter of pid in /proc/PID/stat ('S' asleep, 'R' running, 'Z'...). */
static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *end = strrchr(buf, ')');
    return end && end[1] == ' ' ? end[2] : 0;
}

/* Is sig pending for pid, to the thread or the process (/proc/PID/status)? */
static int proc_pending(pid_t pid, int sig)
{
    char path[64], line[256];
    unsigned long long mask, pending = 0;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "SigPnd: %llx", &mask) == 1 || sscanf(line, "ShdPnd: %llx", &mask) == 1)
            pending |= mask;
    fclose(f);
    return (pending >> (sig - 1)) & 1;
}

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

/* The child blocks reading an empty pipe; the parent, blocking on its own pipe in
 * between, signals it and then writes. */
static void interrupted_reader(int restart)
{
    int data[2], ready[2], report[2];
    if (pipe(data) || pipe(ready) || pipe(report))
        die("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sa.sa_flags = restart ? SA_RESTART : 0;
        sigaction(SIGUSR1, &sa, NULL);
        char c = 0, line[64];
        write(ready[1], "r", 1);
        long n = read(data[0], &c, 1);
        int len = snprintf(line, sizeof line, "read %ld %s '%c' handled %d", n,
                           n < 0 ? strerror(errno) : "ok", n > 0 ? c : '-', (int)handled);
        write(report[1], line, len);
        _exit(0);
    }
    char r, line[64] = {0};
    if (read(ready[0], &r, 1) != 1)
        die("ready");
    while (proc_state(pid) != 'S')      /* wait until the child is asleep in read */
        usleep(1000);
    kill(pid, SIGUSR1);
    /* ... and until it took the signal: asleep in the restarted read, or leaving */
    while (proc_pending(pid, SIGUSR1) || proc_state(pid) == 'R')
        usleep(1000);
    write(data[1], "x", 1);
    if (read(report[0], line, sizeof line - 1) <= 0)
        die("report");
    waitpid(pid, NULL, 0);
    printf("signal %s SA_RESTART: %s\n", restart ? "with" : "without", line);
    close(data[0]); close(data[1]); close(ready[0]); close(ready[1]);
    close(report[0]); close(report[1]);
}

/* The child blocks reading; the parent closes the last write end. */
static void eof_reader(void)
{
    int data[2], report[2];
    if (pipe(data) || pipe(report))
        die("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(data[1]);
        long n = read(data[0], &c, 1);
        char line[32];
        int len = snprintf(line, sizeof line, "read %ld", n);
        write(report[1], line, len);
        _exit(0);
    }
    close(data[0]);
    usleep(20 * 1000);
    close(data[1]);
    char line[32] = {0};
    if (read(report[0], line, sizeof line - 1) <= 0)
        die("report");
    waitpid(pid, NULL, 0);
    printf("end of file: %s\n", line);
    close(report[0]);
    close(report[1]);
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 2000;
    ring(2, rounds);
    ring(3, rounds);
    ring(5, rounds / 2);
    two_readers();
    interrupted_reader(0);
    interrupted_reader(1);
    eof_reader();
    return 0;
}
