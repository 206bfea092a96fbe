/* Eight processes each fill pipes until the kernel refuses (a write or pipe() fails),
 * all holding their pipes at once; then they exit and the parent checks that a new pipe
 * works again. Each child's exit code says what stopped it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define NCHILD 8

static int hog(void)
{
    static char page[65536];
    memset(page, 'h', sizeof page);
    struct rlimit lim;
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max > 40000 ? 40000 : lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    for (;;) {
        int p[2];
        if (pipe(p) != 0)
            return errno;
        fcntl(p[1], F_SETFL, O_NONBLOCK);
        ssize_t r;
        while ((r = write(p[1], page, sizeof page)) > 0)
            ;
        if (errno != EAGAIN)
            return errno;
    }
}

int main(void)
{
    int ready[2], gate[2];
    pipe(ready);
    pipe(gate);
    pid_t pids[NCHILD];
    for (int i = 0; i < NCHILD; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            close(ready[0]);
            close(gate[1]);
            int why = hog();
            close(ready[1]);          /* done hogging: the parent counts EOF */
            char c;
            read(gate[0], &c, 1);     /* hold everything until the parent lets go */
            _exit(why == ENOMEM ? 1 : why == ENFILE ? 2 : why == EMFILE ? 3 : 4);
        }
    }
    close(ready[1]);
    char c;
    while (read(ready[0], &c, 1) > 0)
        ;
    printf("all %d children hold their pipes\n", NCHILD);
    close(gate[1]);
    for (int i = 0; i < NCHILD; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        const char *why[] = {"?", "ENOMEM", "ENFILE", "EMFILE", "other"};
        printf("child %d stopped by %s\n", i,
               WIFEXITED(status) && WEXITSTATUS(status) <= 4 ? why[WEXITSTATUS(status)] : "a signal");
    }
    int p[2];
    pipe(p);
    static char page[65536];
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    printf("a new pipe takes %zd bytes\n", write(p[1], page, sizeof page));
    return 0;
}
