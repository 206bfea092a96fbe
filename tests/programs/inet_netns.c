/* A CLONE_NEWNET child has its own lo, DOWN: no 127.0.0.1 to bind or reach, its own
 * sysctls; bringing lo up (SIOCSIFFLAGS) gives it a working loopback of its own. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, int ret)
{
	printf("%-32s %d %s\n", what, ret, ret < 0 ? strerror(errno) : "");
}

static int lo_flags(int fd)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	return ifr.ifr_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING);
}

static struct stat parent_ns;

static int child(void *arg)
{
	struct stat ns;
	stat("/proc/self/ns/net", &ns);
	printf("child /proc/self/ns/net differs %d\n", ns.st_ino != parent_ns.st_ino);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	printf("child lo flags %#x\n", lo_flags(fd));
	report("child bind 127.0.0.1", bind(fd, (void *)&a, sizeof(a)));
	a.sin_port = htons(9);
	report("child connect 127.0.0.1", connect(fd, (void *)&a, sizeof(a)));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "nosuchdev");
	report("child SIOCGIFFLAGS nosuchdev", ioctl(fd, SIOCGIFFLAGS, &ifr));
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_flags = IFF_UP | IFF_LOOPBACK;
	report("child SIOCSIFFLAGS up", ioctl(fd, SIOCSIFFLAGS, &ifr));
	printf("child lo flags %#x\n", lo_flags(fd));
	a.sin_port = 0;
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	report("child bind after up", bind(fd, (void *)&a, sizeof(a)));
	socklen_t len = sizeof(a);
	getsockname(fd, (void *)&a, &len);
	report("child listen", listen(fd, 1));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	report("child connect", connect(c, (void *)&a, sizeof(a)));
	int s = accept(fd, NULL, NULL);
	char buf[8] = "";
	send(c, "netns", 5, 0);
	report("child recv", recv(s, buf, sizeof(buf), 0));
	printf("child got '%s'\n", buf);
	/* the namespace's interfaces: lo alone */
	struct ifreq reqs[8];
	struct ifconf ifc = { .ifc_len = sizeof(reqs), .ifc_req = reqs };
	report("child SIOCGIFCONF", ioctl(c, SIOCGIFCONF, &ifc));
	for (int i = 0; i < ifc.ifc_len / (int)sizeof(struct ifreq); i++)
		printf("  if %s %s\n", reqs[i].ifr_name,
		       inet_ntoa(((struct sockaddr_in *)&reqs[i].ifr_addr)->sin_addr));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	report("child SIOCGIFINDEX", ioctl(c, SIOCGIFINDEX, &ifr));
	printf("  lo index %d\n", ifr.ifr_ifindex);
	report("child SIOCGIFMTU", ioctl(c, SIOCGIFMTU, &ifr));
	printf("  lo mtu %d\n", ifr.ifr_mtu);
	ifr.ifr_mtu = 1500;
	report("child SIOCSIFMTU 1500", ioctl(c, SIOCSIFMTU, &ifr));
	ifr.ifr_mtu = -1;
	report("child SIOCSIFMTU -1", ioctl(c, SIOCSIFMTU, &ifr));
	ifr.ifr_mtu = 0;
	ioctl(c, SIOCGIFMTU, &ifr);
	printf("  lo mtu now %d\n", ifr.ifr_mtu);
	report("child SIOCGIFNETMASK", ioctl(c, SIOCGIFNETMASK, &ifr));
	printf("  lo netmask %s\n", inet_ntoa(((struct sockaddr_in *)&ifr.ifr_netmask)->sin_addr));
	report("child SO_BINDTODEVICE lo", setsockopt(c, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
	report("child SO_BINDTODEVICE eth9", setsockopt(c, SOL_SOCKET, SO_BINDTODEVICE, "eth9", 5));
	char dev[16] = "";
	socklen_t dlen = sizeof(dev);
	report("child get SO_BINDTODEVICE", getsockopt(c, SOL_SOCKET, SO_BINDTODEVICE, dev, &dlen));
	printf("  bound to '%s' len %d\n", dev, dlen);
	FILE *f = fopen("/proc/net/dev", "r");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (strchr(line, ':'))
			printf("  /proc/net/dev has %.*s\n", (int)(strchr(line, ':') - line), line);
	return 0;
}

int main(void)
{
	static char stack[1 << 16];
	int status, fd = socket(AF_INET, SOCK_DGRAM, 0);
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("parent lo flags %#x\n", lo_flags(fd));
	stat("/proc/self/ns/net", &parent_ns);
	pid_t pid = clone(child, stack + sizeof(stack), CLONE_NEWNET | SIGCHLD, NULL);
	if (pid < 0) {
		perror("clone");
		return 1;
	}
	waitpid(pid, &status, 0);
	printf("child status %d, parent lo flags %#x\n", status, lo_flags(fd));
	return 0;
}
