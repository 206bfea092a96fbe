/* epoll_exclusive.c - EPOLLEXCLUSIVE: four processes each watch the same pipe through
 * their own epoll with EPOLLEXCLUSIVE|EPOLLET; one write wakes exactly one of them (the
 * others' epoll_wait times out). Without the flag, all four wake. */
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 4

static int woken_by_one_write(unsigned exclusive)
{
    int data[2], ready[2];
    pipe(data);
    pipe(ready);
    int *woken = mmap(NULL, sizeof *woken, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *woken = 0;
    for (int i = 0; i < N; i++) {
        if (fork() == 0) {
            int ep = epoll_create1(0);
            struct epoll_event ev = {.events = EPOLLIN | EPOLLET | exclusive};
            epoll_ctl(ep, EPOLL_CTL_ADD, data[0], &ev);
            write(ready[1], "r", 1);               /* added: the write may come now */
            if (epoll_wait(ep, &ev, 1, 1500) == 1)
                __sync_fetch_and_add(woken, 1);
            _exit(0);
        }
    }
    char c;
    for (int i = 0; i < N; i++)
        read(ready[0], &c, 1);
    write(data[1], "x", 1);
    for (int i = 0; i < N; i++)
        wait(NULL);
    return *woken;
}

int main(void)
{
    printf("exclusive: %d of %d woken\n", woken_by_one_write(EPOLLEXCLUSIVE), N);
    printf("plain: %d of %d woken\n", woken_by_one_write(0), N);
    return 0;
}
