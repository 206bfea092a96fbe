/* AF_UNIX names: a listening socket on a path with several forked clients, the
 * addresses getsockname/getpeername/accept report, SO_PEERCRED, abstract names and
 * autobind, datagrams sent by name, and the errors of bind/connect/listen/accept. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path + 1, name, strlen(name));
    return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

static void show_name(const char *what, struct sockaddr_un *a, socklen_t len)
{
    if (len > offsetof(struct sockaddr_un, sun_path) && a->sun_path[0] == 0)
        printf("%s: len %u abstract [%.*s]\n", what, len,
               (int)(len - offsetof(struct sockaddr_un, sun_path) - 1), a->sun_path + 1);
    else
        printf("%s: len %u family %d path [%s]\n", what, len, a->sun_family,
               len > offsetof(struct sockaddr_un, sun_path) ? a->sun_path : "");
}

static void server(struct sockaddr_un *addr, socklen_t alen, const char *label)
{
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    report("bind", bind(s, (struct sockaddr *)addr, alen));
    report("listen", listen(s, 8));
    int opt = -1;
    socklen_t optlen = sizeof opt;
    getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &opt, &optlen);
    printf("SO_ACCEPTCONN %d\n", opt);
    struct sockaddr_un got;
    socklen_t glen = sizeof got;
    getsockname(s, (struct sockaddr *)&got, &glen);
    show_name(label, &got, glen);
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            int c = socket(AF_UNIX, SOCK_STREAM, 0);
            if (connect(c, (struct sockaddr *)addr, alen) < 0)
                _exit(10);
            struct ucred cr;
            socklen_t crlen = sizeof cr;
            getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &crlen);
            char msg[32];
            int n = snprintf(msg, sizeof msg, "client %d", i);
            write(c, msg, n);
            char reply[32];
            ssize_t r = read(c, reply, sizeof reply);
            _exit(r == n && cr.pid == getppid() ? i : 20);
        }
    }
    char seen[3] = {0};
    char lines[3][160] = {{0}};
    for (int i = 0; i < 3; i++) {
        struct sockaddr_un peer;
        socklen_t plen = sizeof peer;
        int c = accept(s, (struct sockaddr *)&peer, &plen);
        struct ucred cr;
        socklen_t crlen = sizeof cr;
        getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &crlen);
        char buf[32];
        ssize_t n = read(c, buf, sizeof buf);
        int who = n > 7 ? buf[n - 1] - '0' : -1;
        if (who >= 0 && who < 3) {
            seen[who] = 1;      /* the clients may come in any order: print in theirs */
            snprintf(lines[who], sizeof lines[who],
                     "accepted client %d: peer addr len %u, SO_PEERCRED pid is the child %d, uid %d",
                     who, plen, cr.pid == kids[who], cr.uid == getuid());
        }
        write(c, buf, n);
        struct sockaddr_un me;
        socklen_t mlen = sizeof me;
        getsockname(c, (struct sockaddr *)&me, &mlen);
        if (i == 0)
            show_name("  accepted socket's name", &me, mlen);
        close(c);
    }
    for (int i = 0; i < 3; i++)
        printf("%s\n", lines[i]);
    for (int i = 0; i < 3; i++) {
        int status;
        waitpid(kids[i], &status, 0);
        printf("client %d exit %d\n", i, WEXITSTATUS(status));
    }
    printf("all seen %d\n", seen[0] && seen[1] && seen[2]);
    close(s);
}

/* A full backlog makes a blocking connect wait for accept; a listener closed with
 * connections it never accepted resets them. */
static void backlog(void)
{
    struct sockaddr_un a;
    socklen_t alen = abstract_addr(&a, "gk-test-backlog");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(s, (struct sockaddr *)&a, alen);
    listen(s, 0);
    int c1 = socket(AF_UNIX, SOCK_STREAM, 0);
    report("first connect (backlog 0)", connect(c1, (struct sockaddr *)&a, alen));
    int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    report("second, nonblocking", connect(c2, (struct sockaddr *)&a, alen));
    pid_t pid = fork();
    if (pid == 0) {
        int c3 = socket(AF_UNIX, SOCK_STREAM, 0);
        int r = connect(c3, (struct sockaddr *)&a, alen);   /* waits for the accept */
        _exit(r == 0 ? 0 : 1);
    }
    int n = accept(s, NULL, NULL);
    int status;
    waitpid(pid, &status, 0);
    printf("blocked connect finished after an accept: status %d\n", WEXITSTATUS(status));
    close(n);
    close(s);
    char buf[8];
    int c4 = socket(AF_UNIX, SOCK_STREAM, 0);
    report("connect after the listener closed", connect(c4, (struct sockaddr *)&a, alen));
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(s, (struct sockaddr *)&a, alen);
    listen(s, 5);
    int c5 = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(c5, (struct sockaddr *)&a, alen);
    report("write before being accepted", write(c5, "unread", 6));
    close(s);
    report("never accepted: first read", read(c5, buf, sizeof buf));
    report("  then", read(c5, buf, sizeof buf));
    report("  write", send(c5, "x", 1, MSG_NOSIGNAL));
    close(c1);
    close(c2);
    close(c4);
    close(c5);
}

int main(void)
{
    struct sockaddr_un a, b;
    socklen_t alen, blen;
    setvbuf(stdout, NULL, _IONBF, 0);
    backlog();
    unlink("srv.sock");
    alen = path_addr(&a, "srv.sock");
    server(&a, alen, "path server name");
    struct stat st;
    report("socket file stays after close", stat("srv.sock", &st));
    printf("  S_ISSOCK %d\n", S_ISSOCK(st.st_mode));
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    report("connect to a socket file nobody binds", connect(c, (struct sockaddr *)&a, alen));
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    report("bind over an existing file", bind(s, (struct sockaddr *)&a, alen));
    unlink("srv.sock");
    report("connect to a missing path", connect(c, (struct sockaddr *)&a, alen));
    report("bind in a missing directory", bind(s, (struct sockaddr *)&b, path_addr(&b, "nodir/x")));
    report("bind to a regular file's name", (close(open("plain", O_CREAT | O_WRONLY, 0600)),
           bind(s, (struct sockaddr *)&b, path_addr(&b, "plain"))));
    report("connect to a regular file", connect(c, (struct sockaddr *)&b, path_addr(&b, "plain")));
    unlink("plain");
    report("listen unbound", listen(s, 1));
    report("bind srv.sock", bind(s, (struct sockaddr *)&a, alen));
    report("bind again", bind(s, (struct sockaddr *)&b, path_addr(&b, "other.sock")));
    report("other.sock was not left behind", access("other.sock", F_OK));
    report("connect before listen", connect(c, (struct sockaddr *)&a, alen));
    report("accept before listen", accept(s, NULL, NULL));
    report("listen", listen(s, 0));
    report("listen again", listen(s, 5));
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    report("connect dgram to stream", connect(d, (struct sockaddr *)&a, alen));
    report("send unconnected stream", send(c, "x", 1, MSG_NOSIGNAL));
    report("recv unconnected stream", recv(c, &st, 1, MSG_DONTWAIT));
    report("getpeername unconnected", getpeername(c, (struct sockaddr *)&b, &blen));
    int fl = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, fl | O_NONBLOCK);
    report("accept nonblocking, none waiting", accept(s, NULL, NULL));
    report("connect", connect(c, (struct sockaddr *)&a, alen));
    struct pollfd pfd = {s, POLLIN, 0};
    report("poll listener", poll(&pfd, 1, 0));
    printf("  revents %#x\n", pfd.revents);
    report("connect again", connect(c, (struct sockaddr *)&a, alen));
    report("sendto with an address", sendto(c, "x", 1, 0, (struct sockaddr *)&a, alen));
    int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    report("connect beyond backlog 0 (nonblock)", connect(c2, (struct sockaddr *)&a, alen));
    int n = accept4(s, NULL, NULL, SOCK_CLOEXEC);
    report("accept4 SOCK_CLOEXEC", n >= 0);
    printf("  cloexec %d\n", !!(fcntl(n, F_GETFD) & FD_CLOEXEC));
    report("accept4 bad flags", accept4(s, NULL, NULL, 0x100));
    report("listen dgram", listen(d, 1));
    report("accept dgram", accept(d, NULL, NULL));
    close(s);
    unlink("srv.sock");
    /* abstract names and autobind */
    alen = abstract_addr(&a, "gk-test-abstract");
    s = socket(AF_UNIX, SOCK_DGRAM, 0);
    report("bind abstract", bind(s, (struct sockaddr *)&a, alen));
    report("bind abstract in use", bind(socket(AF_UNIX, SOCK_DGRAM, 0), (struct sockaddr *)&a, alen));
    report("same name, other type", bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, alen));
    blen = sizeof b;
    getsockname(s, (struct sockaddr *)&b, &blen);
    show_name("abstract name", &b, blen);
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    report("autobind", bind(u, (struct sockaddr *)&b, offsetof(struct sockaddr_un, sun_path)));
    blen = sizeof b;
    getsockname(u, (struct sockaddr *)&b, &blen);
    printf("autobound: len %u, abstract %d, five hex digits %d\n", blen, b.sun_path[0] == 0,
           (int)strspn(b.sun_path + 1, "0123456789abcdef") == 5);
    report("sendto abstract", sendto(u, "hello", 5, 0, (struct sockaddr *)&a, alen));
    char buf[32];
    struct sockaddr_un from;
    socklen_t flen = sizeof from;
    ssize_t r = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    printf("recvfrom %zd from the autobound name %d\n", r, flen == blen && !memcmp(&from, &b, blen));
    int v = socket(AF_UNIX, SOCK_DGRAM, 0);
    sendto(v, "anon", 4, 0, (struct sockaddr *)&a, alen);
    flen = sizeof from;
    r = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    printf("recvfrom unbound sender: %zd, addrlen %u\n", r, flen);
    report("connect dgram", connect(u, (struct sockaddr *)&a, alen));
    report("connect to abstract nobody has", connect(v, (struct sockaddr *)&b,
           abstract_addr(&b, "gk-nobody-here")));
    report("bind len 1", bind(v, (struct sockaddr *)&b, 1));
    report("bind family 2", (b.sun_family = 2, bind(v, (struct sockaddr *)&b, 10)));
    report("send unconnected dgram", send(v, "x", 1, 0));
    report("setsockopt SO_PASSCRED", setsockopt(v, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
    report("connect (autobinds)", connect(v, (struct sockaddr *)&a, alen));
    blen = sizeof b;
    getsockname(v, (struct sockaddr *)&b, &blen);
    printf("SO_PASSCRED connect autobound: len %u\n", blen);
    close(s);
    report("send to a closed abstract peer", send(u, "x", 1, 0));
    return 0;
}
