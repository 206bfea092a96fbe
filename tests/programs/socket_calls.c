/* Socket calls on descriptors that are not sockets, and socket() argument checks:
 * the errno of each, in the order Linux checks them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char *what, long ret)
{
    printf("%-40s %ld errno %d\n", what, ret, ret < 0 ? errno : 0);
}

#define TRY(what, call) do { errno = 0; report(what, (long)(call)); } while (0)

int main(void)
{
    int fd = open("/dev/null", O_RDWR);
    int pfd[2];
    char addr[256] = {0};
    socklen_t len = sizeof addr;
    int opt = 1;

    if (fd < 0 || pipe(pfd) < 0)
        return 1;
    TRY("getpeername(file)", syscall(SYS_getpeername, fd, addr, &len));
    TRY("getpeername(pipe)", syscall(SYS_getpeername, pfd[0], addr, &len));
    TRY("getpeername(closed fd)", syscall(SYS_getpeername, 99, addr, &len));
    TRY("getpeername(-1)", syscall(SYS_getpeername, -1, addr, &len));
    TRY("getpeername(file, NULL, NULL)", syscall(SYS_getpeername, fd, NULL, NULL));
    TRY("getsockname(file)", syscall(SYS_getsockname, fd, addr, &len));
    TRY("getsockname(closed fd)", syscall(SYS_getsockname, 99, addr, &len));
    TRY("getsockopt(file)", syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &opt, &len));
    TRY("setsockopt(file)", syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_REUSEADDR, &opt, 4));
    TRY("setsockopt(closed fd)", syscall(SYS_setsockopt, 99, SOL_SOCKET, SO_REUSEADDR, &opt, 4));
    TRY("shutdown(file)", syscall(SYS_shutdown, fd, SHUT_RDWR));
    TRY("shutdown(closed fd)", syscall(SYS_shutdown, 99, SHUT_RDWR));
    TRY("listen(file)", syscall(SYS_listen, fd, 5));
    TRY("bind(file, len 16)", syscall(SYS_bind, fd, addr, 16));
    TRY("bind(file, len 4096)", syscall(SYS_bind, fd, addr, 4096));
    TRY("bind(closed fd)", syscall(SYS_bind, 99, addr, 16));
    TRY("connect(file, len 16)", syscall(SYS_connect, fd, addr, 16));
    TRY("connect(file, len 4096)", syscall(SYS_connect, fd, addr, 4096));
    TRY("connect(file, len -1)", syscall(SYS_connect, fd, addr, -1));
    TRY("connect(file, bad pointer)", syscall(SYS_connect, fd, (void *)16, 16));
    TRY("connect(file, NULL, 0)", syscall(SYS_connect, fd, NULL, 0));
    TRY("connect(closed fd, len 4096)", syscall(SYS_connect, 99, addr, 4096));
    TRY("accept(file)", syscall(SYS_accept, fd, addr, &len));
    TRY("accept(closed fd)", syscall(SYS_accept, 99, addr, &len));
    TRY("accept4(file, SOCK_CLOEXEC)", syscall(SYS_accept4, fd, addr, &len, SOCK_CLOEXEC));
    TRY("accept4(file, bad flags)", syscall(SYS_accept4, fd, addr, &len, 1));
    TRY("accept4(closed fd, bad flags)", syscall(SYS_accept4, 99, addr, &len, 1));
    int opath = open("/dev/null", O_PATH);
    TRY("accept(O_PATH fd)", syscall(SYS_accept, opath, addr, &len));
    TRY("getsockname(O_PATH fd)", syscall(SYS_getsockname, opath, addr, &len));
    TRY("connect(O_PATH fd, len 16)", syscall(SYS_connect, opath, addr, 16));
    TRY("socket(family 46)", syscall(SYS_socket, 46, SOCK_STREAM, 0));
    TRY("socket(family -1)", syscall(SYS_socket, -1, SOCK_STREAM, 0));
    TRY("socket(family 46, type 12)", syscall(SYS_socket, 46, 12, 0));
    TRY("socket(AF_UNIX, type 12)", syscall(SYS_socket, AF_UNIX, 12, 0));
    TRY("socket(AF_UNIX, bad type flag)", syscall(SYS_socket, AF_UNIX, SOCK_STREAM | 0x100, 0));
    TRY("socket(family 46, bad type flag)", syscall(SYS_socket, 46, SOCK_STREAM | 0x100, 0));
    return 0;
}
