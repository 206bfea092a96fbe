/* N x (pthread_create of an empty thread, pthread_join). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *empty(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, empty, NULL) != 0) {
            perror("pthread_create");
            return 1;
        }
        pthread_join(t, NULL);
    }
    printf("%ld threads\n", n);
    return 0;
}
