/* gdb stub tests: three threads wait on a barrier while main stops in all_started(). */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 3

static pthread_barrier_t started, finish;

__attribute__((noinline)) void all_started(void)
{
    __asm__ volatile("");
}

__attribute__((noinline)) void worker_wait(long id)
{
    (void)id;
    pthread_barrier_wait(&finish);
}

static void *worker(void *arg)
{
    pthread_barrier_wait(&started);
    worker_wait((long)arg);
    return arg;
}

int main(void)
{
    pthread_t threads[NTHREADS];
    pthread_barrier_init(&started, 0, NTHREADS + 1);
    pthread_barrier_init(&finish, 0, NTHREADS + 1);
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&threads[i], 0, worker, (void *)i);
    pthread_barrier_wait(&started);
    all_started();
    pthread_barrier_wait(&finish);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(threads[i], 0);
    printf("joined %d threads\n", NTHREADS);
    return 0;
}
