/* AF_UNIX socketpairs: ping-pong between processes for each type, message boundaries,
 * MSG_PEEK/MSG_TRUNC/MSG_WAITALL/MSG_DONTWAIT, shutdown and EOF, EPIPE with SIGPIPE,
 * ECONNRESET, poll readiness, FIONREAD/SIOCOUTQ, fstat and /proc/self/fd. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIOCOUTQ_ 0x5411

static volatile sig_atomic_t got_sigpipe;
static void on_sigpipe(int sig) { (void)sig; got_sigpipe++; }

static void report(const char *what, long ret)
{
    printf("%-36s %ld", what, ret);
    if (ret < 0)
        printf(" (%s)", strerror(errno));
    printf("\n");
}

static const char *type_name(int type)
{
    return type == SOCK_STREAM ? "stream" : type == SOCK_DGRAM ? "dgram" : "seqpacket";
}

static void ping_pong(int type)
{
    int sv[2];
    char buf[64];
    if (socketpair(AF_UNIX, type, 0, sv) < 0) {
        perror("socketpair");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        for (int i = 0; i < 100; i++) {
            ssize_t n = read(sv[1], buf, sizeof buf);
            if (n <= 0)
                _exit(1);
            buf[0]++;
            if (write(sv[1], buf, n) != n)
                _exit(2);
        }
        _exit(0);
    }
    close(sv[1]);
    long sum = 0;
    buf[0] = 0;
    for (int i = 0; i < 100; i++) {
        if (write(sv[0], buf, 3) != 3)
            break;
        ssize_t n = read(sv[0], buf, sizeof buf);
        if (n != 3)
            break;
        sum += buf[0];
        buf[0]++;
    }
    int status;
    waitpid(pid, &status, 0);
    printf("%s ping-pong: sum %ld, child status %d\n", type_name(type), sum, WEXITSTATUS(status));
    close(sv[0]);
}

static void boundaries(int type)
{
    int sv[2];
    char buf[64];
    socketpair(AF_UNIX, type, 0, sv);
    send(sv[0], "one", 3, 0);
    send(sv[0], "three", 5, 0);
    send(sv[0], "", 0, 0);
    int avail = -1;
    ioctl(sv[1], FIONREAD, &avail);
    int outq = -1;
    ioctl(sv[0], SIOCOUTQ_, &outq);
    printf("%s: FIONREAD %d, SIOCOUTQ>0 %d\n", type_name(type), avail, outq > 0);
    ssize_t n = recv(sv[1], buf, sizeof buf, MSG_PEEK);
    printf("%s: peek %zd [%.*s]\n", type_name(type), n, (int)(n > 0 ? n : 0), buf);
    n = recv(sv[1], buf, 2, type == SOCK_STREAM ? 0 : MSG_TRUNC);
    printf("%s: recv 2 -> %zd [%.2s]\n", type_name(type), n, buf);
    n = recv(sv[1], buf, sizeof buf, 0);
    printf("%s: next %zd [%.*s]\n", type_name(type), n, (int)(n > 0 ? n : 0), buf);
    struct msghdr mh = {0};
    struct iovec iov = {buf, 2};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    send(sv[0], "abcdef", 6, 0);
    n = recvmsg(sv[1], &mh, 0);
    printf("%s: recvmsg 2 of 6 -> %zd flags MSG_TRUNC %d\n", type_name(type), n,
           !!(mh.msg_flags & MSG_TRUNC));
    n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
    printf("%s: drain %zd\n", type_name(type), n);
    errno = 0;
    n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
    report("  empty + MSG_DONTWAIT", n);
    close(sv[0]);
    close(sv[1]);
}

static void hangups(int type)
{
    int sv[2];
    char buf[16];
    struct pollfd pfd;
    socketpair(AF_UNIX, type, 0, sv);
    pfd.fd = sv[1];
    pfd.events = POLLIN | POLLOUT | POLLRDHUP;
    poll(&pfd, 1, 0);
    printf("%s: fresh poll %#x\n", type_name(type), pfd.revents);
    shutdown(sv[0], SHUT_WR);
    poll(&pfd, 1, 0);
    printf("%s: after peer SHUT_WR %#x\n", type_name(type), pfd.revents);
    if (type != SOCK_DGRAM) {
        report("  read after peer SHUT_WR", read(sv[1], buf, sizeof buf));
        got_sigpipe = 0;
        report("  write after SHUT_WR", write(sv[0], "x", 1));
        printf("  SIGPIPE %d\n", got_sigpipe);
        got_sigpipe = 0;
        report("  send MSG_NOSIGNAL", send(sv[0], "x", 1, MSG_NOSIGNAL));
        printf("  SIGPIPE %d\n", got_sigpipe);
    }
    close(sv[0]);
    close(sv[1]);
    /* the peer closes with data unread: ECONNRESET once, then end of file */
    socketpair(AF_UNIX, type, 0, sv);
    write(sv[1], "unread", 6);
    close(sv[0]);
    pfd.fd = sv[1];
    pfd.events = POLLIN | POLLOUT | POLLRDHUP;
    poll(&pfd, 1, 0);
    printf("%s: peer closed with data unread: poll %#x\n", type_name(type), pfd.revents);
    if (type != SOCK_DGRAM) {
        report("  read", read(sv[1], buf, sizeof buf));
        report("  read again", read(sv[1], buf, sizeof buf));
        got_sigpipe = 0;
        report("  write", write(sv[1], "x", 1));
        printf("  SIGPIPE %d\n", got_sigpipe);
    } else {
        report("  send to the closed peer", send(sv[1], "x", 1, 0));
        report("  send again", send(sv[1], "x", 1, 0));
    }
    close(sv[1]);
}

static void blocking_reader(void)
{
    int sv[2];
    char buf[100000];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t pid = fork();
    if (pid == 0) {
        memset(buf, 'z', sizeof buf);
        usleep(1000);
        ssize_t n = write(sv[1], buf, sizeof buf);     /* may sleep for space */
        _exit(n == sizeof buf ? 0 : 1);
    }
    ssize_t n = recv(sv[0], buf, sizeof buf, MSG_WAITALL);
    int status;
    waitpid(pid, &status, 0);
    printf("MSG_WAITALL of 100000 -> %zd, writer status %d\n", n, WEXITSTATUS(status));
    int fl = fcntl(sv[0], F_GETFL);
    fcntl(sv[0], F_SETFL, fl | O_NONBLOCK);
    memset(buf, 'y', sizeof buf);
    long total = 0;
    for (;;) {
        n = write(sv[0], buf, 4096);
        if (n < 0)
            break;
        total += n;
    }
    printf("nonblocking fill: stops with %s, something written %d\n", strerror(errno), total > 0);
    struct pollfd pfd = {sv[0], POLLOUT, 0};
    printf("poll POLLOUT when full: %d\n", poll(&pfd, 1, 0));
    close(sv[0]);
    close(sv[1]);
}

static void on_usr1(int sig) { (void)sig; }

/* A reader blocked in recv: a signal without SA_RESTART ends it with EINTR; with
 * SA_RESTART the read goes on and gets the data sent after the signals. */
static void interrupted(int restart)
{
    int sv[2], go[2];
    char buf[16];
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGUSR1, &sa, NULL);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(go);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        fcntl(go[0], F_SETFL, O_NONBLOCK);
        for (int i = 0; i < (restart ? 20 : 100000); i++) {
            if (read(go[0], buf, 1) == 1)
                break;                       /* the reader came back: stop */
            kill(parent, SIGUSR1);
            usleep(2000);
        }
        if (restart)
            write(sv[1], "after", 5);
        _exit(0);
    }
    ssize_t n = recv(sv[0], buf, sizeof buf, 0);
    int e = errno;
    write(go[1], "x", 1);
    waitpid(pid, NULL, 0);
    errno = e;
    report(restart ? "recv with SA_RESTART" : "recv interrupted", n);
    signal(SIGUSR1, SIG_DFL);
    close(sv[0]);
    close(sv[1]);
    close(go[0]);
    close(go[1]);
}

static void epoll_edge(void)
{
    int sv[2];
    char buf[8];
    struct epoll_event ev = {EPOLLIN | EPOLLET, {0}}, out[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    int ep = epoll_create1(0);
    ev.data.fd = sv[1];
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
    printf("epoll empty: %d\n", epoll_wait(ep, out, 2, 0));
    send(sv[0], "a", 1, 0);
    printf("epoll after a send: %d\n", epoll_wait(ep, out, 2, 0));
    printf("epoll again (edge): %d\n", epoll_wait(ep, out, 2, 0));
    send(sv[0], "b", 1, 0);
    printf("epoll after another send: %d events %#x\n", epoll_wait(ep, out, 2, 0), out[0].events);
    recv(sv[1], buf, sizeof buf, 0);
    close(ep);
    close(sv[0]);
    close(sv[1]);
}

/* exec keeps a socket descriptor that is not close-on-exec */
static void exec_keeps(const char *self)
{
    int sv[2];
    char fdarg[16], buf[32];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        snprintf(fdarg, sizeof fdarg, "%d", sv[1]);
        execl(self, self, "exec-child", fdarg, (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    ssize_t n = read(sv[0], buf, sizeof buf);
    waitpid(pid, NULL, 0);
    printf("from the exec'd child: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
    close(sv[0]);
}

int main(int argc, char **argv)
{
    int sv[2];
    char path[64], link[64];
    struct stat st;
    if (argc == 3 && strcmp(argv[1], "exec-child") == 0)
        return write(atoi(argv[2]), "kept over exec", 14) == 14 ? 0 : 1;
    signal(SIGPIPE, on_sigpipe);
    setvbuf(stdout, NULL, _IONBF, 0);
    interrupted(0);
    interrupted(1);
    epoll_edge();
    exec_keeps(argv[0]);
    ping_pong(SOCK_STREAM);
    ping_pong(SOCK_DGRAM);
    ping_pong(SOCK_SEQPACKET);
    boundaries(SOCK_STREAM);
    boundaries(SOCK_DGRAM);
    boundaries(SOCK_SEQPACKET);
    hangups(SOCK_STREAM);
    hangups(SOCK_DGRAM);
    hangups(SOCK_SEQPACKET);
    blocking_reader();
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv);
    printf("flags: cloexec %d nonblock %d\n", !!(fcntl(sv[0], F_GETFD) & FD_CLOEXEC),
           !!(fcntl(sv[1], F_GETFL) & O_NONBLOCK));
    fstat(sv[0], &st);
    printf("fstat: S_ISSOCK %d mode %o size %ld\n", S_ISSOCK(st.st_mode), st.st_mode & 0777,
           (long)st.st_size);
    snprintf(path, sizeof path, "/proc/self/fd/%d", sv[0]);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("readlink starts with socket:[ %d\n", strncmp(link, "socket:[", 8) == 0);
    report("lseek", lseek(sv[0], 0, SEEK_SET));
    report("open /proc/self/fd/N", open(path, O_RDWR));
    report("socketpair(bad flags)", socketpair(AF_UNIX, SOCK_STREAM | 0x100, 0, sv));
    report("socketpair(bad pointer)", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, 8L));
    report("socketpair(protocol 2)", socketpair(AF_UNIX, SOCK_STREAM, 2, sv));
    report("socket(AF_UNIX, SOCK_RAW)", socket(AF_UNIX, SOCK_RAW, 0) >= 0);
    report("socket(AF_UNIX, SOCK_RDM)", socket(AF_UNIX, SOCK_RDM, 0));
    return 0;
}
