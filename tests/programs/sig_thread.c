/* sig_thread.c - signals and threads: a process-directed signal (kill) that the main
 * thread blocks is handled by a thread that does not; a thread-directed one (tgkill) to
 * a thread that blocks it stays pending on that thread only. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int got;
static volatile long got_tid, worker_tid;
static volatile int worker_saw_pending = -1;

static void on_usr1(int sig)
{
    got = sig;
    got_tid = syscall(SYS_gettid);
}

static void *worker(void *arg)
{
    (void)arg;
    worker_tid = syscall(SYS_gettid);
    while (!got)
        usleep(1000);
    return NULL;
}

static void *blocked_worker(void *arg)
{
    sigset_t set, pend;
    (void)arg;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    worker_tid = syscall(SYS_gettid);
    while (worker_saw_pending < 0) {
        sigpending(&pend);
        if (sigismember(&pend, SIGUSR2))
            worker_saw_pending = 1;
        usleep(1000);
    }
    return NULL;
}

int main(void)
{
    sigset_t set, pend;
    pthread_t t;
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGUSR1, on_usr1);
    pthread_create(&t, NULL, worker, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    while (!worker_tid)
        usleep(1000);
    kill(getpid(), SIGUSR1);
    pthread_join(t, NULL);
    sigpending(&pend);
    printf("kill: handled by the thread that does not block it: %d, pending in main: %d\n",
           got_tid == worker_tid, sigismember(&pend, SIGUSR1));

    worker_tid = 0;
    pthread_create(&t, NULL, blocked_worker, NULL);
    while (!worker_tid)
        usleep(1000);
    syscall(SYS_tgkill, getpid(), worker_tid, SIGUSR2);
    pthread_join(t, NULL);
    sigpending(&pend);
    printf("tgkill: pending on the blocking thread: %d, in main: %d\n", worker_saw_pending,
           sigismember(&pend, SIGUSR2));
    return 0;
}
