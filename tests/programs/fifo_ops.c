/* Named pipes and mknod: node types and errors, FIFO open rules (O_NONBLOCK reader
 * and writer, O_RDWR), data flow, the pipe being dropped at the last close, and a
 * blocking open that waits for its partner in another process. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char *what, long ret)
{
    printf("%-36s %ld errno %d\n", what, ret, ret < 0 ? errno : 0);
    errno = 0;
}

static void show_type(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        printf("%-12s lstat errno %d\n", path, errno);
        return;
    }
    printf("%-12s fifo %d reg %d sock %d perms %03o size %ld\n", path, S_ISFIFO(st.st_mode),
           S_ISREG(st.st_mode), S_ISSOCK(st.st_mode), st.st_mode & 07777, (long)st.st_size);
}

static void nodes(void)
{
    check("mknod fifo", mknod("f1", S_IFIFO | 0666, 0));
    check("mkfifo existing", mkfifo("f1", 0600));
    check("mknod dir", mknod("d1", S_IFDIR | 0755, 0));
    check("mknod bad type", mknod("x1", 0170000 | 0644, 0));
    check("mknod regular", mknod("r1", S_IFREG | 0640, 0));
    check("mknod type 0", mknod("r2", 0604, 0));
    check("mknod socket", mknod("s1", S_IFSOCK | 0600, 0));
    check("mkfifo in missing dir", mkfifo("nodir/f", 0600));
    check("mknodat fifo", mknodat(AT_FDCWD, "f2", S_IFIFO | 0640, 0));
    show_type("f1");
    show_type("f2");
    show_type("r1");
    show_type("r2");
    show_type("s1");
    check("open socket inode", open("s1", O_RDONLY));
}

static void nonblocking(void)
{
    char buf[64];
    check("open writer, no reader, O_NONBLOCK", open("f1", O_WRONLY | O_NONBLOCK));
    check("open with access mode 3", open("f1", O_ACCMODE | O_NONBLOCK));
    int r = open("f1", O_RDONLY | O_NONBLOCK);
    check("open reader O_NONBLOCK", r >= 0 ? 0 : -1);
    check("read, no writer yet (EOF)", read(r, buf, sizeof buf));
    int w = open("f1", O_WRONLY | O_NONBLOCK);
    check("open writer O_NONBLOCK with reader", w >= 0 ? 0 : -1);
    check("write", write(w, "abc", 3));
    check("read", read(r, buf, sizeof buf));
    check("read empty with writer (EAGAIN)", read(r, buf, sizeof buf));
    struct stat st;
    fstat(w, &st);
    printf("fstat: fifo %d\n", S_ISFIFO(st.st_mode));
    check("F_GETPIPE_SZ", fcntl(w, F_GETPIPE_SZ));
    close(w);
    check("read after writer closed (EOF)", read(r, buf, sizeof buf));
    close(r);
}

static void rdwr_and_drop(void)
{
    char buf[64];
    int rw = open("f1", O_RDWR);
    check("open O_RDWR", rw >= 0 ? 0 : -1);
    check("write to self", write(rw, "xyz", 3));
    check("read from self", read(rw, buf, 2));
    close(rw);
    rw = open("f1", O_RDWR | O_NONBLOCK);
    check("reopen: data was dropped (EAGAIN)", read(rw, buf, sizeof buf));
    close(rw);
}

static void rendezvous(void)
{
    char buf[64] = {0};
    int status;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int w = open("f2", O_WRONLY);          /* blocks until the parent opens */
        const char *msg = "hello through f2";
        _exit(w < 0 || write(w, msg, strlen(msg)) != (ssize_t)strlen(msg));
    }
    int r = open("f2", O_RDONLY);              /* blocks until the child opens */
    check("blocking open reader", r >= 0 ? 0 : -1);
    ssize_t n, total = 0;
    while ((n = read(r, buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    printf("got [%s]\n", buf);
    waitpid(pid, &status, 0);
    printf("writer exit %d\n", WEXITSTATUS(status));
    close(r);
}

int main(void)
{
    umask(022);
    nodes();
    nonblocking();
    rdwr_and_drop();
    rendezvous();
    check("unlink fifo", unlink("f1"));
    show_type("f1");
    /* leave the directory as it was found */
    unlink("f2");
    unlink("r1");
    unlink("r2");
    unlink("s1");
    return 0;
}
