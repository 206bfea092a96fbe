/* Each process has its own descriptor table and RLIMIT_NOFILE: one child holds 900
 * open files while another opens files up to its own limit, which it reaches exactly
 * (EMFILE at the limit, never earlier because of the first child). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int open_many(int max)
{
    int n = 0;
    while (n < max && open("/proc/self/exe", O_RDONLY) >= 0)
        n++;
    return n;
}

int main(void)
{
    int hold[2], done[2];
    pipe(hold);
    pipe(done);
    pid_t a = fork();
    if (a == 0) {
        close(hold[0]);
        close(done[1]);
        int n = open_many(900);
        printf("A holds %d files\n", n);
        fflush(stdout);
        close(hold[1]);                  /* tell the parent: A holds them now */
        char c;
        read(done[0], &c, 1);
        _exit(0);
    }
    close(hold[1]);
    close(done[0]);
    char c;
    read(hold[0], &c, 1);                /* EOF once A holds its files */
    pid_t b = fork();
    if (b == 0) {
        struct rlimit lim = {1000, 1000};
        setrlimit(RLIMIT_NOFILE, &lim);
        int n = open_many(5000);
        int err = errno;
        printf("B opened %d files, then %s\n", n, strerror(err));
        fflush(stdout);
        _exit(0);
    }
    waitpid(b, NULL, 0);
    close(done[1]);
    waitpid(a, NULL, 0);
    return 0;
}
