#include "locks_common.h"

/* Leases: F_SETLEASE refused while another open conflicts, F_GETLEASE, and a break: an
   open by another process gets EWOULDBLOCK with O_NONBLOCK and signals the holder (SIGIO,
   or the F_SETSIG signal), which gives the lease up; the next open goes through. */

static int to_parent[2], to_child[2];

static void tell(int *p) { char c = 'x'; write(p[1], &c, 1); }
static void hear(int *p) { char c; read(p[0], &c, 1); }

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pipe(to_parent);
    pipe(to_child);
    int fd = open("lease.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    SHOW("F_GETLEASE (none)", fcntl(fd, F_GETLEASE));
    SHOW("read lease on O_RDWR fd", fcntl(fd, F_SETLEASE, F_RDLCK));
    SHOW("bad lease type", fcntl(fd, F_SETLEASE, 7));
    close(fd);
    fd = open("lease.dat", O_RDONLY);
    int other = open("lease.dat", O_RDONLY);
    SHOW("write lease with another reader", fcntl(fd, F_SETLEASE, F_WRLCK));
    SHOW("read lease", fcntl(fd, F_SETLEASE, F_RDLCK));
    SHOW("read lease on the other", fcntl(other, F_SETLEASE, F_RDLCK));
    SHOW("F_SETLEASE F_UNLCK other", fcntl(other, F_SETLEASE, F_UNLCK));
    SHOW("F_SETLEASE F_UNLCK again", fcntl(other, F_SETLEASE, F_UNLCK));
    close(other);
    SHOW("upgrade to write lease", fcntl(fd, F_SETLEASE, F_WRLCK));
    SHOW("F_GETLEASE", fcntl(fd, F_GETLEASE));
    SHOW("F_SETSIG SIGUSR1", fcntl(fd, F_SETSIG, SIGUSR1));
    SHOW("F_GETSIG", fcntl(fd, F_GETSIG));
    SHOW("F_GETOWN is us", fcntl(fd, F_GETOWN) == getpid());
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    pid_t c = fork();
    if (c == 0) {
        SHOW("child: open O_RDONLY|O_NONBLOCK", open("lease.dat", O_RDONLY | O_NONBLOCK));
        tell(to_parent);
        hear(to_child);
        int r = open("lease.dat", O_RDWR);
        printf("child: open O_RDWR after the release: %s\n", r >= 0 ? "ok" : ename(errno));
        _exit(0);
    }
    hear(to_parent);
    siginfo_t si;
    int sig = sigwaitinfo(&set, &si);
    printf("holder got %s, si_fd is the lease fd: %d\n", sig == SIGUSR1 ? "SIGUSR1" : "?",
           si.si_fd == fd);
    SHOW("F_GETLEASE while breaking", fcntl(fd, F_GETLEASE));
    SHOW("F_SETLEASE F_UNLCK", fcntl(fd, F_SETLEASE, F_UNLCK));
    tell(to_child);
    waitpid(c, NULL, 0);
    SHOW("F_GETLEASE after", fcntl(fd, F_GETLEASE));
    close(fd);
    unlink("lease.dat");
    return 0;
}
