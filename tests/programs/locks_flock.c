#include "locks_common.h"

/* flock(2) and OFD locks: owned by the open file description, so shared by dup and fork
   and released by its last close; a flock conversion that fails loses the old lock (as
   Linux does); a blocked flock woken by the unlock; OFD locks against POSIX ones. */

static int to_parent[2];

static void tell(int *p) { char c = 'x'; write(p[1], &c, 1); }
static void hear(int *p) { char c; read(p[0], &c, 1); }

static void flock_part(void)
{
    int fd = open("flock.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int other = open("flock.dat", O_RDONLY);
    pid_t me = getpid();
    SHOW("flock EX", flock(fd, LOCK_EX));
    SHOW("flock EX again (same description)", flock(fd, LOCK_EX | LOCK_NB));
    SHOW("flock SH|NB on another description", flock(other, LOCK_SH | LOCK_NB));
    SHOW("flock bad cmd", flock(fd, 0));
    SHOW("flock bad cmd 3", flock(fd, LOCK_SH | LOCK_EX));
    SHOW("flock bad fd", flock(99, LOCK_SH));
    SHOW("posix W over a flock'd file", lk(other, F_SETLK, F_RDLCK, SEEK_SET, 0, 0));
    lk(other, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
    int d = dup(fd);
    close(fd);                          /* the dup still holds the description */
    SHOW("after close of one dup: SH|NB other", flock(other, LOCK_SH | LOCK_NB));
    pid_t c = fork();
    if (c == 0) {
        SHOW("child: flock EX|NB on inherited fd", flock(d, LOCK_EX | LOCK_NB));
        close(d);                       /* the parent's close will be the last */
        int mine = open("flock.dat", O_RDONLY);
        SHOW("child: flock SH|NB own open", flock(mine, LOCK_SH | LOCK_NB));
        tell(to_parent);
        SHOW("child: flock SH (waits)", flock(mine, LOCK_SH));
        show_proc_locks(mine, getpid());
        _exit(0);
    }
    hear(to_parent);
    wait_for_waiter(d);
    show_proc_locks(d, me);
    close(d);                           /* last close: the lock goes, the child wakes */
    waitpid(c, NULL, 0);

    /* conversion: two shared holders; an upgrade that would block loses the lock */
    int a = open("flock.dat", O_RDONLY), b = open("flock.dat", O_RDONLY);
    int x = open("flock.dat", O_RDONLY);
    SHOW("a SH", flock(a, LOCK_SH));
    SHOW("b SH", flock(b, LOCK_SH));
    SHOW("a EX|NB (upgrade)", flock(a, LOCK_EX | LOCK_NB));
    SHOW("b UN", flock(b, LOCK_UN));
    SHOW("x EX|NB (a lost its SH)", flock(x, LOCK_EX | LOCK_NB));
    SHOW("x SH (downgrade)", flock(x, LOCK_SH));
    SHOW("a SH|NB", flock(a, LOCK_SH | LOCK_NB));
    SHOW("b UN without a lock", flock(b, LOCK_UN));
    close(a); close(b); close(x); close(other);
    unlink("flock.dat");
}

static void ofd_part(void)
{
    int fd = open("ofd.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int fd2 = open("ofd.dat", O_RDWR);
    pid_t me = getpid();
    SHOW("ofd W 0+10", lk(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    SHOW("ofd W 5+1 other description", lk(fd2, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1));
    SHOW("posix W 5+1 same process", lk(fd2, F_SETLK, F_WRLCK, SEEK_SET, 5, 1));
    SHOW("posix W 20+1", lk(fd2, F_SETLK, F_WRLCK, SEEK_SET, 20, 1));
    SHOW("ofd W 20+1 (conflicts with our posix)", lk(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 20, 1));
    getlk("getlk via fd2", fd2, F_GETLK, 0, 0, me);
    getlk("ofd getlk via fd2", fd2, F_OFD_GETLK, 0, 0, me);
    getlk("ofd getlk via fd", fd, F_OFD_GETLK, 0, 0, me);
    SHOW("ofd setlk l_pid!=0", ({ struct flock l = { .l_type = F_RDLCK, .l_pid = 3 };
                                  fcntl(fd, F_OFD_SETLK, &l); }));
    show_proc_locks(fd, me);
    close(fd2);                         /* drops our posix lock, not fd's OFD lock */
    int fd3 = open("ofd.dat", O_RDWR);
    getlk("after close(fd2)", fd3, F_OFD_GETLK, 0, 0, me);
    pid_t c = fork();
    if (c == 0) {
        SHOW("child: ofd W 0+10 on inherited fd", lk(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10));
        close(fd);                      /* the parent's close will be the last */
        int fd4 = open("ofd.dat", O_RDWR);
        SHOW("child: ofd W 0+1 on its own open", lk(fd4, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1));
        tell(to_parent);
        SHOW("child: ofd setlkw R 2+1 (waits)", lk(fd4, F_OFD_SETLKW, F_RDLCK, SEEK_SET, 2, 1));
        _exit(0);
    }
    hear(to_parent);
    wait_for_waiter(fd);
    show_proc_locks(fd, me);
    SHOW("ofd unlock on fd3 (holds none)", lk(fd3, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    close(fd);                          /* the last close: the child gets its lock */
    waitpid(c, NULL, 0);
    getlk("after the child's exit", fd3, F_OFD_GETLK, 0, 0, me);
    close(fd3);
    unlink("ofd.dat");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pipe(to_parent);
    flock_part();
    ofd_part();
    return 0;
}
