/* sig_restart.c - a blocking call interrupted by a handled signal (SIGALRM from
 * ITIMER_REAL): pipe read and waitpid restart with SA_RESTART and fail with EINTR
 * without it; pause and nanosleep fail with EINTR either way, nanosleep reporting the
 * time left; a sleep interrupted by a stop and continued without a handler resumes
 * (restart_syscall) and sleeps its whole time. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static void arm(int restart, long ms)
{
    struct sigaction sa;
    struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, NULL);
    alarms = 0;
    setitimer(ITIMER_REAL, &it, NULL);
}

static const char *result(long r)
{
    static char buf[64];
    snprintf(buf, sizeof buf, "%ld %s", r, r < 0 ? strerror(errno) : "ok");
    return buf;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pipe_read(int restart)
{
    int p[2];
    char buf[16] = {0};
    pipe(p);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        usleep(400 * 1000);
        write(p[1], "data", 4);
        _exit(0);
    }
    close(p[1]);
    arm(restart, 50);
    long n = read(p[0], buf, sizeof buf - 1);
    printf("read %s SA_RESTART: %s \"%s\", handler ran %d\n", restart ? "with" : "without", result(n),
           buf, alarms);
    waitpid(pid, NULL, 0);
    close(p[0]);
}

static void wait_child(int restart)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(400 * 1000);
        _exit(3);
    }
    arm(restart, 50);
    int status = 0;
    long r = waitpid(pid, &status, 0);
    printf("waitpid %s SA_RESTART: %s, child found %d, handler ran %d\n", restart ? "with" : "without",
           result(r < 0 ? r : 0), r == pid, alarms);
    if (r < 0)
        waitpid(pid, NULL, 0);
}

static void always_eintr(void)
{
    arm(1, 50);
    long r = pause();
    printf("pause with SA_RESTART: %s, handler ran %d\n", result(r), alarms);
    struct timespec req = {2, 0}, rem = {0, 0};
    arm(1, 100);
    r = nanosleep(&req, &rem);
    printf("nanosleep with SA_RESTART: %s, time left in (1.5 s, 2 s): %d\n", result(r),
           rem.tv_sec == 1 && rem.tv_nsec > 500000000);
    arm(0, 300);
    unsigned left = sleep(3);
    printf("sleep(3) interrupted after 0.3 s: returned %u\n", left);
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_sec += 2;
    arm(1, 50);
    printf("clock_nanosleep TIMER_ABSTIME: returned %d\n",
           clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
}

/* Stopped 0.1 s into a 1 s sleep and continued at 0.9 s: the sleep resumes with what
 * was left (restart_syscall), so it ends at 1 s, not 1.9 s. */
static void stopped_sleep(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec req = {1, 0};
        double start = now();
        long r = nanosleep(&req, NULL);
        double slept = now() - start;
        printf("nanosleep stopped and continued: %s, slept 1 s (not 1.9 s): %d\n", result(r),
               slept >= 1.0 && slept < 1.6);
        _exit(0);
    }
    usleep(100 * 1000);
    kill(pid, SIGSTOP);
    waitpid(pid, NULL, WUNTRACED);
    usleep(800 * 1000);
    kill(pid, SIGCONT);
    int status;
    waitpid(pid, &status, 0);
    printf("child exit %d\n", WEXITSTATUS(status));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pipe_read(1);
    pipe_read(0);
    wait_child(1);
    wait_child(0);
    always_eintr();
    stopped_sleep();
    return 0;
}
