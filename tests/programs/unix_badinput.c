/* AF_UNIX calls with bad arguments: bad pointers, lengths and flags get Linux's errno,
 * in Linux's order (and never take the kernel down). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void report(const char *what, long ret)
{
    printf("%-44s %ld errno %d\n", what, ret, ret < 0 ? errno : 0);
}

#define TRY(what, call) do { errno = 0; report(what, (long)(call)); } while (0)
#define BAD ((void *)16)
#define KERNEL ((void *)0xffff800000000000UL)

int main(void)
{
    int sv[2], ds[2];
    char buf[64];
    socklen_t len = 4;
    struct msghdr mh;
    struct iovec iov = {buf, sizeof buf};
    setvbuf(stdout, NULL, _IONBF, 0);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    socketpair(AF_UNIX, SOCK_DGRAM, 0, ds);
    TRY("send bad buffer", syscall(SYS_sendto, sv[0], BAD, 4, 0, NULL, 0));
    TRY("send kernel buffer", syscall(SYS_sendto, sv[0], KERNEL, 4, 0, NULL, 0));
    TRY("dgram send bad buffer", syscall(SYS_sendto, ds[0], BAD, 4, 0, NULL, 0));
    TRY("sendto bad address", syscall(SYS_sendto, ds[0], buf, 4, 0, BAD, 16));
    TRY("sendto address len 200", syscall(SYS_sendto, ds[0], buf, 4, 0, buf, 200));
    TRY("sendto address len -1", syscall(SYS_sendto, ds[0], buf, 4, 0, buf, -1));
    TRY("send MSG_OOB dgram", send(ds[0], buf, 1, MSG_OOB));
    static char big[300000];
    TRY("send dgram past SO_SNDBUF", send(ds[0], big, sizeof big, 0));
    send(sv[0], "abcd", 4, 0);
    TRY("recv into a bad buffer", syscall(SYS_recvfrom, sv[1], BAD, 4, 0, NULL, NULL));
    TRY("the bytes stayed: FIONREAD-like recv", recv(sv[1], buf, sizeof buf, MSG_PEEK));
    TRY("recvfrom bad addrlen pointer", syscall(SYS_recvfrom, sv[1], buf, 1, 0, buf, BAD));
    send(ds[0], "abcd", 4, 0);
    TRY("recvfrom addrlen -1", syscall(SYS_recvfrom, ds[1], buf, 4, 0, buf, &(int){-1}));
    memset(&mh, 0, sizeof mh);
    TRY("sendmsg bad msghdr", syscall(SYS_sendmsg, sv[0], BAD, 0));
    TRY("sendmsg MSG_CMSG_COMPAT", syscall(SYS_sendmsg, sv[0], &mh, 0x80000000));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 2000;
    TRY("sendmsg iovlen 2000", syscall(SYS_sendmsg, sv[0], &mh, 0));
    mh.msg_iovlen = 1;
    mh.msg_name = buf;
    mh.msg_namelen = -1;
    TRY("sendmsg namelen -1", syscall(SYS_sendmsg, sv[0], &mh, 0));
    mh.msg_namelen = 0;
    mh.msg_control = BAD;
    mh.msg_controllen = 32;
    TRY("sendmsg bad control", syscall(SYS_sendmsg, sv[0], &mh, 0));
    mh.msg_control = buf;
    mh.msg_controllen = 8;
    TRY("sendmsg control shorter than a header", syscall(SYS_sendmsg, sv[0], &mh, MSG_DONTWAIT));
    mh.msg_controllen = 1UL << 40;
    TRY("sendmsg controllen 2^40", syscall(SYS_sendmsg, sv[0], &mh, 0));
    mh.msg_control = NULL;
    mh.msg_controllen = 0;
    mh.msg_name = NULL;
    iov.iov_base = BAD;
    TRY("sendmsg bad iov base", syscall(SYS_sendmsg, sv[0], &mh, 0));
    iov.iov_base = buf;
    iov.iov_len = (size_t)-1;
    TRY("sendmsg iov_len -1", syscall(SYS_sendmsg, sv[0], &mh, 0));
    iov.iov_len = sizeof buf;
    TRY("recvmsg bad msghdr", syscall(SYS_recvmsg, sv[1], BAD, 0));
    mh.msg_control = BAD;
    mh.msg_controllen = 64;
    int passcred = 1;
    setsockopt(ds[1], SOL_SOCKET, SO_PASSCRED, &passcred, sizeof passcred);
    send(ds[0], "x", 1, 0);
    TRY("recvmsg credentials into a bad control", syscall(SYS_recvmsg, ds[1], &mh, MSG_DONTWAIT));
    TRY("sendmmsg bad vector", syscall(SYS_sendmmsg, ds[0], BAD, 2, 0));
    TRY("recvmmsg bad timeout", syscall(SYS_recvmmsg, ds[1], buf, 1, 0, BAD));
    TRY("recvmmsg negative timeout", syscall(SYS_recvmmsg, ds[1], buf, 1, 0,
        &(struct timespec){-1, 0}));
    TRY("recvmmsg nsec 10^9", syscall(SYS_recvmmsg, ds[1], buf, 1, 0,
        &(struct timespec){0, 1000000000}));
    TRY("getsockopt NULL optlen", syscall(SYS_getsockopt, sv[0], SOL_SOCKET, SO_TYPE, buf, NULL));
    TRY("getsockopt bad optval", syscall(SYS_getsockopt, sv[0], SOL_SOCKET, SO_TYPE, BAD, &len));
    TRY("getsockopt optlen -1", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, buf, &(socklen_t){-1}));
    TRY("setsockopt bad optval", syscall(SYS_setsockopt, sv[0], SOL_SOCKET, SO_SNDBUF, BAD, 4));
    TRY("getsockname bad addrlen", syscall(SYS_getsockname, sv[0], buf, BAD));
    TRY("getsockname bad addr", syscall(SYS_getsockname, sv[0], BAD, &(int){16}));
    TRY("getpeername addrlen -1", syscall(SYS_getpeername, sv[0], buf, &(int){-1}));
    TRY("shutdown how 3", shutdown(sv[0], 3));
    TRY("shutdown how -1", shutdown(sv[0], -1));
    TRY("bind bad address", syscall(SYS_bind, socket(AF_UNIX, SOCK_STREAM, 0), BAD, 16));
    struct sockaddr_un a = {AF_UNIX};
    memset(a.sun_path, 'x', sizeof a.sun_path);
    TRY("bind 108 chars, no NUL", bind(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&a, sizeof a));
    unlink(a.sun_path);
    TRY("connect bad address", syscall(SYS_connect, sv[0], BAD, 16));
    TRY("accept bad addrlen", syscall(SYS_accept, sv[0], buf, BAD));
    TRY("socket type -1", socket(AF_UNIX, -1, 0));
    TRY("socket protocol -1", socket(AF_UNIX, SOCK_STREAM, -1));
    TRY("listen on a connected stream", listen(sv[0], 1));
    TRY("read 0 bytes", read(sv[1], buf, 0));
    TRY("pread on a socket", pread(sv[1], buf, 1, 0));
    TRY("write to a shut-down dgram", (shutdown(ds[0], SHUT_WR), send(ds[0], "x", 1, 0)));
    return 0;
}
