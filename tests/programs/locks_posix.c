#include "locks_common.h"

/* POSIX record locks (fcntl F_GETLK/F_SETLK/F_SETLKW) between two processes: the holder's
   pid in F_GETLK, ranges split and merged, argument errors, close of any fd releasing,
   no inheritance across fork, kept across exec, a waiter woken by the unlock, deadlock
   detection and a wait interrupted by a signal. */

static int to_parent[2], to_child[2];

static void tell(int *p) { char c = 'x'; write(p[1], &c, 1); }
static void hear(int *p) { char c; read(p[0], &c, 1); }
static void on_usr1(int sig) { (void)sig; }

static void exec_child(const char *self, int fd, int wfd)
{
    /* After exec: the process still holds the lock it took before. */
    char a[16], b[16];
    snprintf(a, sizeof a, "%d", fd);
    snprintf(b, sizeof b, "%d", wfd);
    execl(self, self, "after-exec", a, b, (char *)0);
    _exit(99);
}

static int after_exec(char **argv)
{
    int fd = atoi(argv[2]), wfd = atoi(argv[3]);
    char c = 'e';
    write(wfd, &c, 1);
    pause();                            /* killed by the parent */
    (void)fd;
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 3 && strcmp(argv[1], "after-exec") == 0)
        return after_exec(argv);
    unlink("locks.dat");
    int fd = open("locks.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char buf[100];
    memset(buf, 'a', sizeof buf);
    write(fd, buf, sizeof buf);
    pid_t me = getpid();
    pipe(to_parent);
    pipe(to_child);

    /* 1. ranges: lock [0,100), punch [40,60), merge two neighbours, a negative length */
    SHOW("setlk W 0+100", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100));
    SHOW("unlock 40+20", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20));
    SHOW("setlk R 200-10 (negative len)", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 200, -10));
    lseek(fd, 300, SEEK_SET);
    SHOW("setlk W cur+5 len 5", lk(fd, F_SETLK, F_WRLCK, SEEK_CUR, 5, 5));
    SHOW("setlk W end+500 len 0", lk(fd, F_SETLK, F_WRLCK, SEEK_END, 500, 0));
    pid_t c = fork();
    if (c == 0) {
        getlk("child getlk 0+0", fd, F_GETLK, 0, 0, me);
        getlk("child getlk 40+20", fd, F_GETLK, 40, 20, me);
        getlk("child getlk 50+0", fd, F_GETLK, 50, 0, me);
        getlk("child getlk 185+10", fd, F_GETLK, 185, 10, me);
        getlk("child getlk 301+100", fd, F_GETLK, 301, 100, me);
        getlk("child getlk 700+1", fd, F_GETLK, 700, 1, me);
        SHOW("child setlk W 30+20", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 30, 20));
        SHOW("child setlk R 45+10", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 45, 10));
        SHOW("child setlk R 195+2 (parent has R)", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 195, 2));
        /* unlocking the parent's range changes nothing: not our locks */
        SHOW("child unlock all", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
        getlk("child getlk 0+10 after", fd, F_GETLK, 0, 10, me);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    SHOW("merge: setlk W 40+20", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 40, 20));
    show_proc_locks(fd, me);

    /* 2. argument errors */
    int rd = open("locks.dat", O_RDONLY), wr = open("locks.dat", O_WRONLY);
    SHOW("W lock on O_RDONLY", lk(rd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    SHOW("R lock on O_WRONLY", lk(wr, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
    SHOW("bad whence", lk(fd, F_SETLK, F_WRLCK, 7, 0, 1));
    SHOW("bad type", lk(fd, F_SETLK, 9, SEEK_SET, 0, 1));
    SHOW("start before 0", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, -5, 1));
    SHOW("negative len past 0", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, -10));
    SHOW("getlk F_UNLCK", lk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1));
    SHOW("getlk bad pointer", fcntl(fd, F_GETLK, (struct flock *)8));
    SHOW("bad fd", lk(77, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    SHOW("ofd getlk pid!=0", ({ struct flock l = { .l_type = F_WRLCK, .l_pid = 1 };
                                fcntl(fd, F_OFD_GETLK, &l); }));

    /* 3. closing any descriptor of the file drops all our locks on it */
    close(rd);
    c = fork();
    if (c == 0) {
        getlk("child getlk after close(other fd)", fd, F_GETLK, 0, 0, me);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    close(wr);

    /* 4. a waiter sleeps until the unlock; deadlock; an interrupted wait */
    SHOW("setlk W 0+1", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    c = fork();
    if (c == 0) {
        struct sigaction sa = { .sa_handler = on_usr1 };   /* no SA_RESTART */
        sigaction(SIGUSR1, &sa, NULL);
        SHOW("child setlk W 1+1", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1));
        tell(to_parent);
        SHOW("child setlkw W 0+1 (waits)", lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1));
        tell(to_parent);
        hear(to_child);
        SHOW("child setlkw W 5+1 (interrupted)", lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 5, 1));
        tell(to_parent);
        hear(to_child);
        _exit(0);
    }
    hear(to_parent);
    wait_for_waiter(fd);
    show_proc_locks(fd, me);
    SHOW("setlkw W 1+1 (deadlock)", lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1));
    getlk("getlk 1+1", fd, F_GETLK, 1, 1, c);
    int r = lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);
    hear(to_parent);                    /* print after the woken child did */
    SHOW("unlock 0+1", r);
    getlk("getlk 0+1 (child has it)", fd, F_GETLK, 0, 1, c);
    SHOW("setlk W 5+1", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, 1));
    tell(to_child);
    wait_for_waiter(fd);
    kill(c, SIGUSR1);
    hear(to_parent);
    tell(to_child);
    waitpid(c, NULL, 0);
    getlk("getlk 0+10 after child exit", fd, F_GETLK, 0, 10, c);

    /* 5. locks survive exec */
    SHOW("unlock all", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    c = fork();
    if (c == 0) {
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10);
        exec_child(argv[0], fd, to_parent[1]);
    }
    hear(to_parent);
    getlk("getlk 0+0 (exec'd child)", fd, F_GETLK, 0, 0, c);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    getlk("getlk after its death", fd, F_GETLK, 0, 0, c);
    close(fd);
    unlink("locks.dat");
    return 0;
}
