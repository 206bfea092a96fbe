/* AF_UNIX ancillary data: SCM_RIGHTS (a pipe end, a socket, MSG_CMSG_CLOEXEC, a buffer
 * too small, files released when never received), SCM_CREDENTIALS with SO_PASSCRED and
 * the checks on claimed credentials, SO_PEERCRED and the other SOL_SOCKET options,
 * sendmmsg/recvmmsg. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, long ret)
{
    printf("%-40s %ld", what, ret);
    if (ret < 0)
        printf(" (%s)", strerror(errno));
    printf("\n");
}

static ssize_t send_fds(int sock, const int *fds, int n, const char *data)
{
    char ctl[CMSG_SPACE(sizeof(int) * 8)];
    struct iovec iov = {(void *)data, strlen(data)};
    struct msghdr mh = {0};
    memset(ctl, 0, sizeof ctl);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl;
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
    return sendmsg(sock, &mh, 0);
}

/* Receive with a control buffer of ctl_len bytes; returns the count of fds got. */
static int recv_fds(int sock, int *fds, size_t ctl_len, int flags, char *data, int *msg_flags)
{
    char ctl[256];
    struct iovec iov = {data, 63};
    struct msghdr mh = {0};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl_len ? ctl : NULL;
    mh.msg_controllen = ctl_len;
    ssize_t n = recvmsg(sock, &mh, flags);
    if (n < 0)
        return -1;
    data[n] = 0;
    *msg_flags = mh.msg_flags;
    int got = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            int k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds + got, CMSG_DATA(cm), k * sizeof(int));
            got += k;
        }
    return got;
}

static void rights(void)
{
    int sv[2], p[2], fds[8], flags;
    char data[64], buf[32];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {            /* the child gets the pipe's write end and writes to it */
        close(p[1]);
        close(p[0]);
        int got = recv_fds(sv[1], fds, 64, 0, data, &flags);
        if (got != 1)
            _exit(1);
        write(fds[0], "via passed fd", 13);
        _exit(0);
    }
    report("sendmsg SCM_RIGHTS", send_fds(sv[0], &p[1], 1, "take this"));
    close(p[1]);
    int status;
    waitpid(pid, &status, 0);
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("pipe read %zd [%.*s], child %d\n", n, (int)(n > 0 ? n : 0), buf, WEXITSTATUS(status));
    close(p[0]);

    /* a socket passed over itself, with MSG_CMSG_CLOEXEC */
    int pair[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, pair);
    send_fds(sv[0], &pair[0], 1, "a socket");
    int got = recv_fds(sv[1], fds, 64, MSG_CMSG_CLOEXEC, data, &flags);
    printf("got %d fd, data [%s], cloexec %d, msg_flags %#x\n", got, data,
           got == 1 && (fcntl(fds[0], F_GETFD) & FD_CLOEXEC), flags);
    write(fds[0], "through the passed socket", 25);
    n = read(pair[1], buf, sizeof buf);
    printf("read %zd from its peer\n", n);
    close(fds[0]);

    /* control buffer too small: MSG_CTRUNC, the fds that did not fit are closed */
    int three[3] = {0, 1, 2};
    send_fds(sv[0], three, 3, "three");
    got = recv_fds(sv[1], fds, CMSG_LEN(sizeof(int)), 0, data, &flags);
    printf("small buffer: got %d fd, MSG_CTRUNC %d\n", got, !!(flags & MSG_CTRUNC));
    for (int i = 0; i < got; i++)
        close(fds[i]);
    send_fds(sv[0], three, 3, "none");
    got = recv_fds(sv[1], fds, 0, 0, data, &flags);
    printf("no buffer: got %d, MSG_CTRUNC %d, data [%s]\n", got, !!(flags & MSG_CTRUNC), data);

    /* peek clones the fds; the read then gets them again */
    send_fds(sv[0], &pair[1], 1, "peeked");
    got = recv_fds(sv[1], fds, 64, MSG_PEEK, data, &flags);
    printf("peek: got %d [%s]\n", got, data);
    close(fds[0]);
    got = recv_fds(sv[1], fds, 64, 0, data, &flags);
    printf("read: got %d [%s]\n", got, data);
    close(fds[0]);

    /* never received: the write end in flight goes when the socket closes, EOF follows */
    pipe(p);
    send_fds(sv[0], &p[1], 1, "lost");
    close(p[1]);
    close(sv[1]);
    close(sv[0]);
    n = read(p[0], buf, sizeof buf);
    printf("in-flight write end released: read %zd\n", n);
    close(p[0]);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int bad = 99;
    report("SCM_RIGHTS with a closed fd", send_fds(sv[0], &bad, 1, "x"));
    struct msghdr mh = {0};
    struct iovec iov = {"x", 1};
    char ctl[CMSG_SPACE(4)] = {0};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl;
    mh.msg_controllen = sizeof ctl;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = 99;
    cm->cmsg_len = CMSG_LEN(4);
    report("unknown SOL_SOCKET cmsg type", sendmsg(sv[0], &mh, 0));
    cm->cmsg_len = 200;
    report("cmsg_len past the buffer", sendmsg(sv[0], &mh, 0));
    cm->cmsg_level = 6;
    cm->cmsg_len = CMSG_LEN(4);
    report("other level is skipped", sendmsg(sv[0], &mh, 0));
    close(sv[0]);
    close(sv[1]);
}

/* A socket sent into its own queue with a pipe's write end, then closed: only the
 * garbage collector, run when another socket is released, frees them (the pipe then
 * reads end of file). */
static void gc_cycle(void)
{
    int sv[2], p[2], two[2];
    char buf[8];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    two[0] = sv[1];
    two[1] = p[1];
    report("send a socket into its own queue", send_fds(sv[0], two, 2, "loop"));
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
    close(socket(AF_UNIX, SOCK_DGRAM, 0));       /* a release runs the collector */
    report("the pipe's writer was collected: read", read(p[0], buf, sizeof buf));
    close(p[0]);
}

static void credentials(void)
{
    int sv[2], on = 1;
    char data[64];
    struct ucred cr;
    socklen_t len = sizeof cr;
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &len);
    printf("socketpair SO_PEERCRED: len %u, pid is me %d, uid %d gid %d\n", len,
           cr.pid == getpid(), cr.uid == geteuid(), cr.gid == getegid());
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    int val = 0;
    len = sizeof val;
    getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &val, &len);
    printf("SO_PASSCRED %d\n", val);
    send(sv[0], "who", 3, 0);
    char ctl[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = {data, sizeof data};
    struct msghdr mh = {0};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl;
    mh.msg_controllen = sizeof ctl;
    ssize_t n = recvmsg(sv[1], &mh, 0);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    if (cm && cm->cmsg_type == SCM_CREDENTIALS) {
        memcpy(&cr, CMSG_DATA(cm), sizeof cr);
        printf("recvmsg %zd: SCM_CREDENTIALS pid is the sender %d, uid %d, controllen %zu\n",
               n, cr.pid == getpid(), cr.uid == getuid(), (size_t)mh.msg_controllen);
    } else {
        printf("recvmsg %zd: no credentials\n", n);
    }
    /* sending credentials explicitly */
    struct ucred mine = {getpid(), getuid(), getgid()};
    char sctl[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec siov = {"c", 1};
    struct msghdr smh = {0};
    smh.msg_iov = &siov;
    smh.msg_iovlen = 1;
    smh.msg_control = sctl;
    smh.msg_controllen = sizeof sctl;
    cm = CMSG_FIRSTHDR(&smh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_CREDENTIALS;
    cm->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    memcpy(CMSG_DATA(cm), &mine, sizeof mine);
    report("send own credentials", sendmsg(sv[0], &smh, 0));
    mine.uid = (uid_t)-1;
    memcpy(CMSG_DATA(cm), &mine, sizeof mine);
    report("send uid -1", sendmsg(sv[0], &smh, 0));
    cm->cmsg_len = CMSG_LEN(sizeof(struct ucred)) - 1;
    report("short SCM_CREDENTIALS", sendmsg(sv[0], &smh, 0));
    mh.msg_controllen = sizeof ctl;
    n = recvmsg(sv[1], &mh, 0);
    printf("got %zd with credentials %d\n", n, CMSG_FIRSTHDR(&mh) != NULL);
    mh.msg_control = NULL;
    mh.msg_controllen = 0;
    send(sv[0], "x", 1, 0);
    n = recvmsg(sv[1], &mh, 0);
    printf("no control buffer with SO_PASSCRED: MSG_CTRUNC %d\n", !!(mh.msg_flags & MSG_CTRUNC));
    close(sv[0]);
    close(sv[1]);
}

static void options(void)
{
    int s = socket(AF_UNIX, SOCK_SEQPACKET, 0), v;
    socklen_t len = sizeof v;
    getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len);
    printf("SO_TYPE %d len %u\n", v, len);
    getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len);
    printf("SO_DOMAIN %d\n", v);
    getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &len);
    printf("SO_PROTOCOL %d\n", v);
    getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len);
    printf("SO_ERROR %d\n", v);
    getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len);
    printf("SO_ACCEPTCONN %d\n", v);
    v = 0;
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &len);
    printf("SO_SNDBUF after 0: %d\n", v);
    v = 100000;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len);
    printf("SO_RCVBUF after 100000: %d\n", v);
    struct ucred cr;
    len = sizeof cr;
    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len);
    printf("unconnected SO_PEERCRED: pid %d uid %d gid %d\n", cr.pid, (int)cr.uid, (int)cr.gid);
    len = 2;
    v = -1;
    report("getsockopt len 2", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
    printf("  len %u\n", len);
    len = sizeof v;
    report("getsockopt unknown", getsockopt(s, SOL_SOCKET, 1000, &v, &len));
    report("getsockopt other level", getsockopt(s, 6, 1, &v, &len));
    report("setsockopt len 2", setsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, 2));
    report("setsockopt len -1", setsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, -1));
    report("setsockopt SO_TYPE", setsockopt(s, SOL_SOCKET, SO_TYPE, &v, sizeof v));
    close(s);
    int sv[2];
    char c;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct timeval tv = {0, 10000};
    report("SO_RCVTIMEO 10 ms", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    len = sizeof tv;
    getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
    printf("  read back: len %u, 10 to 20 ms %d\n", len, tv.tv_sec == 0 && tv.tv_usec >= 10000 &&
           tv.tv_usec < 20000);
    report("recv times out", recv(sv[0], &c, 1, 0));
    tv.tv_usec = 1000000;
    report("SO_SNDTIMEO usec 1000000", setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
    report("SO_RCVTIMEO short optlen", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, 8));
    close(sv[0]);
    close(sv[1]);
}

static void mmsg(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    struct mmsghdr out[3];
    struct iovec oiov[3] = {{"a", 1}, {"bb", 2}, {"ccc", 3}};
    memset(out, 0, sizeof out);
    for (int i = 0; i < 3; i++) {
        out[i].msg_hdr.msg_iov = &oiov[i];
        out[i].msg_hdr.msg_iovlen = 1;
    }
    report("sendmmsg", sendmmsg(sv[0], out, 3, 0));
    printf("  lens %u %u %u\n", out[0].msg_len, out[1].msg_len, out[2].msg_len);
    struct mmsghdr in[4];
    char bufs[4][8];
    struct iovec iiov[4];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 4; i++) {
        iiov[i].iov_base = bufs[i];
        iiov[i].iov_len = 8;
        in[i].msg_hdr.msg_iov = &iiov[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    report("recvmmsg MSG_DONTWAIT", recvmmsg(sv[1], in, 4, MSG_DONTWAIT, NULL));
    printf("  lens %u %u %u\n", in[0].msg_len, in[1].msg_len, in[2].msg_len);
    report("recvmmsg nothing left", recvmmsg(sv[1], in, 4, MSG_DONTWAIT, NULL));
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    rights();
    gc_cycle();
    credentials();
    options();
    mmsg();
    return 0;
}
