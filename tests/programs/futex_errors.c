/* futex's argument checks, as LTP's futex_wake05, futex_cmp_requeue02 and
 * futex_cmp_requeue03 test them: a shared futex faults its page in (EFAULT when it is
 * unmapped or PROT_NONE) while a private one does not look at memory; negative
 * wake/requeue counts are EINVAL before any address is checked; FUTEX_WAKE with a count
 * of 0 still wakes one waiter. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* <linux/futex.h> is not in musl's include path */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_REQUEUE_PRIVATE (FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG)

static long futex(void *uaddr, int op, uint32_t val, long val2, void *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static void show(const char *what, long ret)
{
	if (ret < 0)
		printf("%-44s -1 %s\n", what, strerror(errno));
	else
		printf("%-44s %ld\n", what, ret);
}

static char child_state(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p ? p[2] : '?';
}

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint32_t *unmapped = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(unmapped, pg);
	uint32_t *none = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t *ok = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	void *kernel = (void *)0xffff880000000000UL;

	show("wake shared, unmapped", futex(unmapped, FUTEX_WAKE, 1, 0, NULL, 0));
	show("wake shared, PROT_NONE", futex(none, FUTEX_WAKE, 1, 0, NULL, 0));
	show("wake private, unmapped", futex(unmapped, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0));
	show("wake private, kernel address", futex(kernel, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0));
	show("wake misaligned", futex((char *)ok + 1, FUTEX_WAKE, 1, 0, NULL, 0));
	show("wake_bitset, bitset 0", futex(ok, FUTEX_WAKE_BITSET, 1, 0, NULL, 0));
	show("wake_bitset, bitset 0, unmapped", futex(unmapped, FUTEX_WAKE_BITSET, 1, 0, NULL, 0));
	show("cmp_requeue nr_wake -1", futex(ok, FUTEX_CMP_REQUEUE, -1, 1, ok + 1, *ok));
	show("cmp_requeue nr_requeue -1", futex(ok, FUTEX_CMP_REQUEUE, 1, -1, ok + 1, *ok));
	show("cmp_requeue nr_wake -1, unmapped", futex(unmapped, FUTEX_CMP_REQUEUE, -1, 1, ok, 0));
	show("cmp_requeue uaddr2 unmapped", futex(ok, FUTEX_CMP_REQUEUE, 1, 1, unmapped, *ok));
	show("cmp_requeue uaddr2 PROT_NONE", futex(ok, FUTEX_CMP_REQUEUE, 1, 1, none, *ok));
	show("cmp_requeue uaddr2 unmapped, value differs", futex(ok, FUTEX_CMP_REQUEUE, 1, 1, unmapped, *ok + 1));
	show("cmp_requeue value differs", futex(ok, FUTEX_CMP_REQUEUE, 1, 1, ok + 1, *ok + 1));
	show("requeue private uaddr2 unmapped", futex(ok, FUTEX_REQUEUE_PRIVATE, 1, 1, unmapped, 0));
	show("wake_op shared uaddr2 unmapped", futex(ok, FUTEX_WAKE_OP, 1, 1, unmapped, 0));

	/* A count of 0 wakes one waiter: a child sleeps on *ok, we wake it with val = 0. */
	*ok = 7;
	pid_t pid = fork();
	if (pid == 0) {
		long r = futex(ok, FUTEX_WAIT, 7, 0, NULL, 0);
		_exit(r == 0 ? 0 : 1);
	}
	while (child_state(pid) != 'S')
		sched_yield();
	/* Sleeping means queued: futex_wait queues under the bucket lock wake takes. */
	long woken = futex(ok, FUTEX_WAKE, 0, 0, NULL, 0);
	show("wake with count 0, one waiter", woken);
	if (woken == 0)
		futex(ok, FUTEX_WAKE, 1, 0, NULL, 0);
	int status;
	waitpid(pid, &status, 0);
	printf("child woken normally: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 0;
}
