/* A SIGEV_THREAD timer as the C library builds it (glibc: a helper thread waiting in
 * sigtimedwait for the timer's signal, which it gets through SIGEV_THREAD_ID; musl: one
 * thread per timer), then exit while that thread still waits: exit_group's SIGKILL must
 * end a thread sleeping in sigtimedwait, which may never take SIGKILL as its own. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int count, value;

static void fn(union sigval v)
{
    pthread_mutex_lock(&m);
    count++;
    value = v.sival_int;
    if (count == 3)
        pthread_cond_signal(&c);
    pthread_mutex_unlock(&m);
}

static void *waiter(void *arg)
{
    sigset_t s;
    siginfo_t si;
    sigemptyset(&s);
    sigaddset(&s, SIGRTMIN + 1);
    for (;;)
        sigwaitinfo(&s, &si);
    return arg;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = fn;
    ev.sigev_value.sival_int = 9;
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t)) {
        perror("timer_create");
        return 1;
    }
    struct itimerspec its = {{0, 2000000}, {0, 2000000}};
    timer_settime(t, 0, &its, NULL);
    pthread_mutex_lock(&m);
    while (count < 3)
        pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
    printf("SIGEV_THREAD ran 3 times with value %d\n", value);
    timer_delete(t);

    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_t th;
    pthread_create(&th, NULL, waiter, NULL);
    struct timespec nap = {0, 10000000};
    nanosleep(&nap, NULL);
    printf("exiting with a thread in sigwaitinfo\n");
    return 0;
}
