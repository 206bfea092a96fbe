/* TCP echo between a forked client and server over 127.0.0.1 and ::1, then UDP with
 * message boundaries and truncation. Ports come from bind(port 0) + getsockname. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int listener(int family, struct sockaddr_storage *ss, socklen_t *len)
{
	int fd = socket(family, SOCK_STREAM, 0), one = 1;
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (void *)ss;
		s->sin_family = AF_INET;
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (void *)ss;
		s->sin6_family = AF_INET6;
		s->sin6_addr = in6addr_loopback;
		*len = sizeof(*s);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)ss, *len) || listen(fd, 5)) {
		perror("bind/listen");
		return -1;
	}
	getsockname(fd, (void *)ss, len);
	return fd;
}

static void tcp_echo(int family, const char *name)
{
	struct sockaddr_storage ss, peer;
	socklen_t len, plen = sizeof(peer);
	int lfd = listener(family, &ss, &len), status;
	char buf[256];
	pid_t pid = fork();
	if (pid == 0) {
		int c = socket(family, SOCK_STREAM, 0), n, total = 0, one = 1, v;
		socklen_t vl = sizeof(v);
		close(lfd);
		if (connect(c, (void *)&ss, len)) {
			perror("connect");
			_exit(1);
		}
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl);
		printf("%s client nodelay %d\n", name, v);
		for (int i = 0; i < 3; i++) {
			snprintf(buf, sizeof(buf), "message %d", i);
			send(c, buf, strlen(buf), 0);
			n = recv(c, buf, 9, MSG_WAITALL);
			buf[n > 0 ? n : 0] = 0;
			printf("%s client got %d '%s'\n", name, n, buf);
			total += n;
		}
		shutdown(c, SHUT_WR);
		n = recv(c, buf, sizeof(buf), 0);
		printf("%s client after shutdown: recv %d, total %d\n", name, n, total);
		fflush(stdout);
		_exit(0);
	}
	int a = accept(lfd, (void *)&peer, &plen), n;
	struct sockaddr_storage me;
	socklen_t mlen = sizeof(me);
	getsockname(a, (void *)&me, &mlen);
	char log[512];
	int off = snprintf(log, sizeof(log), "%s accepted: peer family %d len %d, local len %d same port %d\n", name,
	       peer.ss_family, plen, mlen,
	       family == AF_INET ? ((struct sockaddr_in *)&me)->sin_port == ((struct sockaddr_in *)&ss)->sin_port
				 : ((struct sockaddr_in6 *)&me)->sin6_port == ((struct sockaddr_in6 *)&ss)->sin6_port);
	while ((n = recv(a, buf, 9, MSG_WAITALL)) > 0)
		send(a, buf, n, 0);
	snprintf(log + off, sizeof(log) - off, "%s server saw eof %d\n", name, n);
	close(a);
	close(lfd);
	waitpid(pid, &status, 0);
	fputs(log, stdout);		/* after the child: a fixed order */
	printf("%s child status %d\n", name, status);
}

static void udp(int family, const char *name)
{
	struct sockaddr_storage ss, from;
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	socklen_t flen = sizeof(from);
	int r = socket(family, SOCK_DGRAM, 0), s = socket(family, SOCK_DGRAM, 0), n, avail;
	char buf[64];
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = family;
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	bind(r, (void *)&ss, len);
	getsockname(r, (void *)&ss, &len);
	sendto(s, "first datagram", 14, 0, (void *)&ss, len);
	sendto(s, "second", 6, 0, (void *)&ss, len);
	sendto(s, "", 0, 0, (void *)&ss, len);
	ioctl(r, FIONREAD, &avail);
	n = recv(r, buf, 5, MSG_PEEK | MSG_TRUNC);
	printf("%s udp fionread %d peek-trunc %d\n", name, avail, n);
	struct iovec iov = { buf, 5 };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = flen, .msg_iov = &iov, .msg_iovlen = 1 };
	n = recvmsg(r, &mh, 0);
	printf("%s udp recvmsg %d '%.*s' flags trunc %d namelen %d family %d\n", name, n, n, buf,
	       !!(mh.msg_flags & MSG_TRUNC), mh.msg_namelen, from.ss_family);
	n = recvfrom(r, buf, sizeof(buf), 0, (void *)&from, &flen);
	printf("%s udp second %d '%.*s'\n", name, n, n, buf);
	n = recv(r, buf, sizeof(buf), 0);
	printf("%s udp empty datagram %d\n", name, n);
	n = recv(r, buf, sizeof(buf), MSG_DONTWAIT);
	printf("%s udp nothing: %d %s\n", name, n, strerror(errno));
	/* connected UDP to a port nobody holds: ECONNREFUSED on the next call */
	close(r);
	connect(s, (void *)&ss, len);
	n = send(s, "x", 1, 0);
	printf("%s udp send to closed port %d\n", name, n);
	n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
	printf("%s udp then recv %d %s\n", name, n, n < 0 ? strerror(errno) : "");
	close(s);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	tcp_echo(AF_INET, "v4");
	tcp_echo(AF_INET6, "v6");
	udp(AF_INET, "v4");
	udp(AF_INET6, "v6");
	return 0;
}
