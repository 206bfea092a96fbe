/* The inet errno matrix (socket, bind, connect, listen, accept, shutdown), a
 * nonblocking connect with poll and SO_ERROR, SIGPIPE/EPIPE and ECONNRESET, and the
 * readiness poll reports. Every port comes from bind(0) + getsockname. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void report(const char *what, int ret)
{
	printf("%-40s %d %s\n", what, ret, ret < 0 ? strerror(errno) : "");
}

static struct sockaddr_in sin4(const char *ip, int port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

static int sigpipes;
static void on_pipe(int sig) { sigpipes++; }

/* a port nobody is listening on: bound, then released */
static int free_port(int type)
{
	struct sockaddr_in s = sin4("127.0.0.1", 0);
	socklen_t len = sizeof(s);
	int fd = socket(AF_INET, type, 0);
	bind(fd, (void *)&s, sizeof(s));
	getsockname(fd, (void *)&s, &len);
	close(fd);
	return ntohs(s.sin_port);
}

static void socket_matrix(void)
{
	static const int cases[][3] = {
		{ AF_INET, SOCK_STREAM, 0 }, { AF_INET, SOCK_STREAM, IPPROTO_TCP },
		{ AF_INET, SOCK_STREAM, IPPROTO_UDP }, { AF_INET, SOCK_DGRAM, IPPROTO_TCP },
		{ AF_INET, SOCK_DGRAM, IPPROTO_UDP }, { AF_INET, SOCK_SEQPACKET, 0 },
		{ AF_INET, SOCK_RAW, 0 }, { AF_INET, 75, 0 }, { AF_INET, SOCK_STREAM, -1 },
		{ AF_INET, SOCK_STREAM, 300 }, { AF_INET6, SOCK_STREAM, 0 },
		{ AF_INET6, SOCK_DGRAM, IPPROTO_TCP }, { AF_INET, SOCK_STREAM | 0x100000, 0 },
		{ AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0 },
	};
	char what[64];
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = socket(cases[i][0], cases[i][1], cases[i][2]);
		snprintf(what, sizeof(what), "socket(%d, %#x, %d)", cases[i][0], cases[i][1], cases[i][2]);
		report(what, fd < 0 ? fd : 0);
		if (fd >= 0)
			close(fd);
	}
	int sv[2];
	report("socketpair(AF_INET, SOCK_STREAM)", socketpair(AF_INET, SOCK_STREAM, 0, sv));
}

static void bind_matrix(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), fd2 = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = sin4("127.0.0.1", 0), other = sin4("10.1.2.3", 0);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(a);
	report("bind short", bind(fd, (void *)&a, 3));
	report("bind AF_UNIX addr", bind(fd, (void *)&un, sizeof(un)));
	report("bind non-local", bind(fd, (void *)&other, sizeof(other)));
	report("bind 127.0.0.1:0", bind(fd, (void *)&a, sizeof(a)));
	report("bind again", bind(fd, (void *)&a, sizeof(a)));
	getsockname(fd, (void *)&a, &len);
	report("bind same port (no reuse)", bind(fd2, (void *)&a, sizeof(a)));
	struct sockaddr_in any = sin4("0.0.0.0", ntohs(a.sin_port));
	report("bind same port on 0.0.0.0", bind(fd2, (void *)&any, sizeof(any)));
	struct sockaddr_in other_lo = sin4("127.0.0.2", ntohs(a.sin_port));
	report("bind same port on 127.0.0.2", bind(fd2, (void *)&other_lo, sizeof(other_lo)));
	close(fd2);
	/* SO_REUSEADDR on both: allowed while nobody listens, then listen conflicts */
	int r1 = socket(AF_INET, SOCK_STREAM, 0), r2 = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in b = sin4("127.0.0.1", 0);
	len = sizeof(b);
	setsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	bind(r1, (void *)&b, sizeof(b));
	getsockname(r1, (void *)&b, &len);
	report("reuseaddr bind same port", bind(r2, (void *)&b, sizeof(b)));
	report("listen first", listen(r1, 1));
	report("listen second", listen(r2, 1));
	close(r1);
	close(r2);
	/* UDP and TCP ports are separate tables */
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	report("udp bind on the tcp port", bind(u, (void *)&a, sizeof(a)));
	close(u);
	close(fd);
	/* IPv6 */
	int s6 = socket(AF_INET6, SOCK_DGRAM, 0), v6only = 1;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);
	report("bind6 non-local", bind(s6, (void *)&a6, sizeof(a6)));
	report("bind6 short", bind(s6, (void *)&a6, 20));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6.sin6_addr);
	setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	report("bind6 v4-mapped with V6ONLY", bind(s6, (void *)&a6, sizeof(a6)));
	a6.sin6_addr = in6addr_loopback;
	report("bind6 ::1", bind(s6, (void *)&a6, sizeof(a6)));
	report("V6ONLY after bind", setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)));
	close(s6);
}

static void connect_matrix(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in refused = sin4("127.0.0.1", free_port(SOCK_STREAM));
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	report("connect wrong family", connect(fd, (void *)&un, sizeof(un)));
	report("connect short", connect(fd, (void *)&refused, 4));
	report("connect refused", connect(fd, (void *)&refused, sizeof(refused)));
	char buf[4];
	report("recv unconnected", recv(fd, buf, 4, 0));
	report("getpeername unconnected", getpeername(fd, (void *)&refused, &(socklen_t){16}));
	report("shutdown unconnected", shutdown(fd, SHUT_RDWR));
	report("shutdown bad how", shutdown(fd, 7));
	report("accept unlistened", accept(fd, NULL, NULL));
	close(fd);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	report("udp listen", listen(u, 1));
	report("udp send unconnected", send(u, "x", 1, 0));
	report("udp sendto port 0", sendto(u, "x", 1, 0, (void *)&(struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, 16));
	static char big[70000];
	report("udp sendto too big", sendto(u, big, sizeof(big), 0, (void *)&refused, sizeof(refused)));
	close(u);
}

static void nonblocking_connect(void)
{
	struct sockaddr_in a = sin4("127.0.0.1", 0);
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), err = -1;
	bind(l, (void *)&a, sizeof(a));
	getsockname(l, (void *)&a, &len);
	listen(l, 4);
	struct pollfd p = { .fd = l, .events = POLLIN };
	printf("listener poll before: %d revents %#x\n", poll(&p, 1, 0), p.revents);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	report("nonblocking connect", connect(c, (void *)&a, sizeof(a)));
	p = (struct pollfd){ .fd = c, .events = POLLOUT };
	poll(&p, 1, 5000);
	len = sizeof(err);
	getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
	printf("connected: revents %#x SO_ERROR %d\n", p.revents, err);
	report("connect again", connect(c, (void *)&a, sizeof(a)));
	report("connect once more", connect(c, (void *)&a, sizeof(a)));
	p = (struct pollfd){ .fd = l, .events = POLLIN };
	printf("listener poll after: %d revents %#x\n", poll(&p, 1, 5000), p.revents);
	int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	printf("accepted cloexec %d\n", !!(fcntl(s, F_GETFD) & FD_CLOEXEC));
	char buf[64];
	report("recv nothing nonblocking", recv(c, buf, sizeof(buf), 0));
	send(s, "hello", 5, 0);
	int avail = -1;
	ioctl(c, FIONREAD, &avail);
	p = (struct pollfd){ .fd = c, .events = POLLIN | POLLOUT };
	poll(&p, 1, 0);
	printf("data ready: FIONREAD %d revents %#x\n", avail, p.revents);
	report("recv MSG_PEEK", recv(c, buf, 3, MSG_PEEK));
	report("recv", recv(c, buf, sizeof(buf), 0));
	/* the server closes: the client reads EOF; its first write is answered by a reset,
	 * the second is EPIPE with SIGPIPE */
	close(s);
	p = (struct pollfd){ .fd = c, .events = POLLIN | POLLOUT | POLLRDHUP };
	poll(&p, 1, 5000);
	printf("peer closed: revents %#x\n", p.revents);
	report("recv eof", recv(c, buf, sizeof(buf), 0));
	report("send after peer close", send(c, "x", 1, 0));
	p = (struct pollfd){ .fd = c, .events = POLLIN | POLLOUT };
	poll(&p, 1, 5000);
	printf("after reset: revents %#x\n", p.revents);
	report("send again", send(c, "x", 1, 0));
	printf("sigpipes %d\n", sigpipes);
	report("send MSG_NOSIGNAL", send(c, "x", 1, MSG_NOSIGNAL));
	printf("sigpipes %d\n", sigpipes);
	close(c);
	/* unread data at close resets the peer */
	c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (void *)&a, sizeof(a));
	s = accept(l, NULL, NULL);
	send(c, "unread", 6, 0);
	close(s);
	report("recv after reset", recv(c, buf, sizeof(buf), 0));
	report("recv after reset again", recv(c, buf, sizeof(buf), 0));
	close(c);
	/* shutdown(SHUT_WR): the peer reads EOF, our writes are EPIPE */
	c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (void *)&a, sizeof(a));
	s = accept(l, NULL, NULL);
	report("shutdown SHUT_WR", shutdown(c, SHUT_WR));
	report("server recv eof", recv(s, buf, sizeof(buf), 0));
	report("send after SHUT_WR", send(c, "x", 1, MSG_NOSIGNAL));
	report("server still sends", send(s, "ok", 2, 0));
	report("client still reads", recv(c, buf, sizeof(buf), 0));
	p = (struct pollfd){ .fd = c, .events = POLLIN | POLLOUT };
	poll(&p, 1, 0);
	printf("half closed: revents %#x\n", p.revents);
	close(c);
	close(s);
	/* nonblocking connect to nobody */
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in refused = sin4("127.0.0.1", free_port(SOCK_STREAM));
	report("nonblocking connect refused", connect(c, (void *)&refused, sizeof(refused)));
	p = (struct pollfd){ .fd = c, .events = POLLOUT };
	poll(&p, 1, 5000);
	len = sizeof(err);
	getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
	printf("refused: revents %#x SO_ERROR %s\n", p.revents, strerror(err));
	report("connect after refused, error read", connect(c, (void *)&refused, sizeof(refused)));
	report("connect to the listener", connect(c, (void *)&a, sizeof(a)));
	close(c);
	report("connect a listening socket", connect(l, (void *)&a, sizeof(a)));
	/* after a reset the socket stays connected for connect() */
	c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (void *)&a, sizeof(a));
	s = accept(l, NULL, NULL);
	send(c, "unread", 6, 0);
	close(s);
	report("connect after reset", connect(c, (void *)&a, sizeof(a)));
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	report("connect AF_UNSPEC", connect(c, &unspec, sizeof(unspec)));
	report("connect again after AF_UNSPEC", connect(c, (void *)&a, sizeof(a)));
	close(c);
	close(accept(l, NULL, NULL));
	close(l);
}

static void options(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET6, SOCK_DGRAM, 0), v;
	socklen_t len;
	static const int opts[][2] = {
		{ SOL_SOCKET, SO_TYPE }, { SOL_SOCKET, SO_PROTOCOL }, { SOL_SOCKET, SO_DOMAIN },
		{ SOL_SOCKET, SO_ACCEPTCONN }, { SOL_SOCKET, SO_REUSEADDR }, { SOL_SOCKET, SO_KEEPALIVE },
		{ IPPROTO_IP, IP_TTL }, { IPPROTO_IP, IP_TOS }, { IPPROTO_TCP, TCP_NODELAY },
		{ IPPROTO_TCP, TCP_KEEPIDLE }, { IPPROTO_TCP, TCP_KEEPCNT }, { IPPROTO_IP, IP_MTU },
		{ IPPROTO_UDP, 1 }, { 500, 1 }, { IPPROTO_IP, -1 }, { IPPROTO_TCP, -1 },
	};
	for (unsigned i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		len = sizeof(v);
		v = -7;
		int r = getsockopt(t, opts[i][0], opts[i][1], &v, &len);
		printf("tcp getsockopt(%d, %d) = %d %s value %d len %d\n", opts[i][0], opts[i][1], r,
		       r ? strerror(errno) : "", v, len);
	}
	v = 0;
	report("IP_TTL 0", setsockopt(t, IPPROTO_IP, IP_TTL, &v, sizeof(v)));
	v = 300;
	report("IP_TTL 300", setsockopt(t, IPPROTO_IP, IP_TTL, &v, sizeof(v)));
	v = 17;
	report("IP_TTL 17", setsockopt(t, IPPROTO_IP, IP_TTL, &v, sizeof(v)));
	len = sizeof(v);
	getsockopt(t, IPPROTO_IP, IP_TTL, &v, &len);
	printf("IP_TTL now %d\n", v);
	report("setsockopt level 500", setsockopt(t, 500, 1, &v, sizeof(v)));
	report("setsockopt UDP level on tcp", setsockopt(t, IPPROTO_UDP, 1, &v, sizeof(v)));
	report("TCP_NODELAY short", setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &v, 2));
	len = sizeof(v);
	report("IPV6_V6ONLY get", getsockopt(u, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len));
	printf("v6only %d\n", v);
	len = sizeof(v);
	report("IPV6 level on v4 socket", getsockopt(t, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len));
	close(t);
	close(u);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, on_pipe);
	socket_matrix();
	bind_matrix();
	connect_matrix();
	nonblocking_connect();
	options();
	return 0;
}
