/* unshare, setns, sethostname and setdomainname as strace prints them. The names change
 * only after unshare(CLONE_NEWUTS) succeeded, in this process's own namespace. */
#define _GNU_SOURCE
#include <sched.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char big[80];
	if (unshare(CLONE_NEWUTS | CLONE_NEWIPC) != 0)
		return 1;
	sethostname("strace-ns", 9);
	setdomainname("example", 7);
	memset(big, 'x', sizeof(big));
	sethostname(big, 65);
	setns(-1, CLONE_NEWNET);
	return 0;
}
