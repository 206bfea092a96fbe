/* Pid 1 is a process like any other for the calls that only look at it: getpgid(1),
 * getsid(1), kill(1, 0) and getpriority of pid 1 succeed (LTP's
 * getpgid01 asks getpgid(1)). Its numbers differ between hosts and glasskernel (a
 * container's pid 1 may have group 0), so only success is printed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void show(const char *what, long ret)
{
	printf("%s: %s\n", what, ret >= 0 ? "ok" : strerror(errno));
}

int main(void)
{
	show("getpgid(1)", getpgid(1));
	show("getsid(1)", getsid(1));
	show("kill(1, 0)", kill(1, 0));
	errno = 0;
	long prio = getpriority(PRIO_PROCESS, 1);
	show("getpriority(PRIO_PROCESS, 1)", errno ? -1 : prio + 100);
	show("getpgid(-1)", getpgid(-1));
	show("getsid(999999)", getsid(999999));
	return 0;
}
