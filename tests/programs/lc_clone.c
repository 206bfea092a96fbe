/* lc_clone.c - clone(2) and clone3(2): what each sharing flag shares, the
 * tid-reporting flags, and the refused flag combinations.
 *
 * usage: lc_clone MODE      MODE: vm files fs sighand parent settid cleartid
 *                                 invalid clone3 pidfd_thread
 *
 * Children are started with our own assembly clone helper on their own stack
 * and run only raw system calls (inline asm, no libc: with CLONE_VM the C
 * library's TLS and locks belong to the parent).  Prints relations only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define F_CLONE_VM             0x00000100ULL
#define F_CLONE_FS             0x00000200ULL
#define F_CLONE_FILES          0x00000400ULL
#define F_CLONE_SIGHAND        0x00000800ULL
#define F_CLONE_PIDFD          0x00001000ULL
#define F_CLONE_VFORK          0x00004000ULL
#define F_CLONE_PARENT         0x00008000ULL
#define F_CLONE_THREAD         0x00010000ULL
#define F_CLONE_NEWNS          0x00020000ULL
#define F_CLONE_PARENT_SETTID  0x00100000ULL
#define F_CLONE_CHILD_CLEARTID 0x00200000ULL
#define F_CLONE_DETACHED       0x00400000ULL
#define F_CLONE_CHILD_SETTID   0x01000000ULL
#define F_CLONE_NEWUSER        0x10000000ULL
#define F_CLONE_NEWPID         0x20000000ULL
#define F_CLONE_CLEAR_SIGHAND  0x100000000ULL

/* ------------------------------------------------------------------ raw */

static inline long rsys(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define RS0(n) rsys(n, 0, 0, 0, 0, 0, 0)
#define RS1(n, a) rsys(n, (long)(a), 0, 0, 0, 0, 0)
#define RS2(n, a, b) rsys(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define RS3(n, a, b, c) rsys(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define RS4(n, a, b, c, d) rsys(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* long gk_clone(flags, stack_top, ptid, ctid, tls, fn, arg): raw clone; the
 * child calls fn(arg) on the new stack and exits with its return value.
 * Returns the raw kernel result (-errno on failure). */
long gk_clone(unsigned long flags, void *stack, int *ptid, int *ctid, unsigned long tls,
	      int (*fn)(void *), void *arg);
__asm__(".text\n"
	".globl gk_clone\n"
	".type gk_clone,@function\n"
	"gk_clone:\n"
	"	mov 8(%rsp), %rax\n"         /* arg (7th argument, on the stack) */
	"	and $-16, %rsi\n"
	"	sub $16, %rsi\n"
	"	mov %r9, 0(%rsi)\n"          /* fn */
	"	mov %rax, 8(%rsi)\n"         /* arg */
	"	mov %rcx, %r10\n"            /* child_tid */
	"	mov $56, %eax\n"             /* SYS_clone */
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	pop %rax\n"
	"	pop %rdi\n"
	"	call *%rax\n"
	"	mov %eax, %edi\n"
	"	mov $60, %eax\n"             /* SYS_exit */
	"	syscall\n"
	"	hlt\n"
	"1:	ret\n"
	".size gk_clone, .-gk_clone\n");

#define STACK_SIZE (64 * 1024)

static void *new_stack(void)
{
	char *p = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) { perror("mmap"); exit(1); }
	return p + STACK_SIZE;
}

static long do_clone(unsigned long flags, int *ptid, int *ctid, int (*fn)(void *), void *arg)
{
	return gk_clone(flags, new_stack(), ptid, ctid, 0, fn, arg);
}

static const char *yesno(int c) { return c ? "yes" : "no"; }

static const char *ename(long e)
{
	if (e < 0) e = -e;
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EFAULT: return "EFAULT";
	case EPERM: return "EPERM";
	case ECHILD: return "ECHILD";
	case ENOSYS: return "ENOSYS";
	default: return "other";
	}
}

static int wait_status(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, __WALL) != pid) return -1000;
	if (WIFEXITED(st)) return WEXITSTATUS(st);
	return -WTERMSIG(st);
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------- vm */

static volatile int shared_word;

static int child_write(void *arg)
{
	*(volatile int *)arg = 1234;
	return 5;
}

static int mode_vm(void)
{
	shared_word = 0;
	long c = do_clone(F_CLONE_VM | SIGCHLD, NULL, NULL, child_write, (void *)&shared_word);
	int st = wait_status(c);
	printf("CLONE_VM: child status %d, parent sees the child's write: %s\n", st, yesno(shared_word == 1234));
	shared_word = 0;
	c = do_clone(SIGCHLD, NULL, NULL, child_write, (void *)&shared_word);
	st = wait_status(c);
	printf("no CLONE_VM: child status %d, parent memory untouched: %s\n", st, yesno(shared_word == 0));
	return 0;
}

/* ---------------------------------------------------------------- files */

static int child_close(void *arg)
{
	long r = RS1(SYS_close, (long)arg);
	return r == 0 ? 6 : 7;
}

static int mode_files(void)
{
	int fd = open("/dev/null", O_RDONLY);
	long c = do_clone(F_CLONE_FILES | SIGCHLD, NULL, NULL, child_close, (void *)(long)fd);
	int st = wait_status(c);
	errno = 0;
	int r = fcntl(fd, F_GETFD);
	printf("CLONE_FILES: child status %d, parent fcntl(F_GETFD) after child's close: %d %s\n",
	       st, r, r < 0 && errno == EBADF ? "EBADF" : "-");
	fd = open("/dev/null", O_RDONLY);
	c = do_clone(SIGCHLD, NULL, NULL, child_close, (void *)(long)fd);
	st = wait_status(c);
	r = fcntl(fd, F_GETFD);
	printf("no CLONE_FILES: child status %d, fd still open in parent: %s\n", st, yesno(r >= 0));
	/* an fd opened by the child is visible to the parent too */
	return 0;
}

/* ------------------------------------------------------------------- fs */

static int child_chdir(void *arg)
{
	long r = RS1(SYS_chdir, (const char *)arg);
	r |= RS1(SYS_umask, 077) < 0;
	return r == 0 ? 8 : 9;
}

static int mode_fs(void)
{
	char before[PATH_MAX], after[PATH_MAX];
	umask(022);
	getcwd(before, sizeof before);
	const char *target = strcmp(before, "/") ? "/" : "/tmp";
	long c = do_clone(F_CLONE_FS | SIGCHLD, NULL, NULL, child_chdir, (void *)target);
	int st = wait_status(c);
	getcwd(after, sizeof after);
	mode_t m = umask(022);
	printf("CLONE_FS: child status %d, parent cwd is the child's: %s, umask shared: %s\n",
	       st, yesno(!strcmp(after, target)), yesno(m == 077));
	chdir(before);
	c = do_clone(SIGCHLD, NULL, NULL, child_chdir, (void *)target);
	st = wait_status(c);
	getcwd(after, sizeof after);
	m = umask(022);
	printf("no CLONE_FS: child status %d, parent cwd unchanged: %s, umask unchanged: %s\n",
	       st, yesno(!strcmp(after, before)), yesno(m == 022));
	return 0;
}

/* -------------------------------------------------------------- sighand */

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

static int child_ignore_usr1(void *arg)
{
	(void)arg;
	struct ksigaction ka = { SIG_IGN, 0, 0, 0 };
	long r = RS4(SYS_rt_sigaction, SIGUSR1, &ka, 0, 8);
	return r == 0 ? 10 : 11;
}

static const char *usr1_disp(void)
{
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	return sa.sa_handler == SIG_IGN ? "SIG_IGN" : sa.sa_handler == SIG_DFL ? "SIG_DFL" : "handler";
}

static int mode_sighand(void)
{
	long c = do_clone(F_CLONE_VM | F_CLONE_SIGHAND | SIGCHLD, NULL, NULL, child_ignore_usr1, NULL);
	int st = wait_status(c);
	printf("CLONE_VM|CLONE_SIGHAND: child status %d, parent's SIGUSR1 now %s\n", st, usr1_disp());
	signal(SIGUSR1, SIG_DFL);
	c = do_clone(F_CLONE_VM | SIGCHLD, NULL, NULL, child_ignore_usr1, NULL);
	st = wait_status(c);
	printf("CLONE_VM only: child status %d, parent's SIGUSR1 still %s\n", st, usr1_disp());
	return 0;
}

/* --------------------------------------------------------------- parent */

static volatile pid_t saved_ppid;

static int child_check_ppid(void *arg)
{
	(void)arg;
	return RS0(SYS_getppid) == saved_ppid ? 12 : 13;
}

static int mode_parent(void)
{
	/* main -> P; P clones C with CLONE_PARENT, so C is main's child */
	int p[2];
	pipe(p);
	pid_t P = fork();
	if (P == 0) {
		close(p[0]);
		saved_ppid = getppid();
		long c = do_clone(F_CLONE_PARENT | SIGCHLD, NULL, NULL, child_check_ppid, NULL);
		int cpid = (int)c;
		write(p[1], &cpid, sizeof cpid);
		int st;
		errno = 0;
		pid_t w = waitpid(cpid, &st, __WALL);
		int not_mine = (w == -1 && errno == ECHILD);
		_exit(c > 0 && not_mine ? 0 : 1);
	}
	close(p[1]);
	int cpid = 0;
	read(p[0], &cpid, sizeof cpid);
	int pst = wait_status(P);
	printf("cloning process exited %d (its clone was not its child: %s)\n", pst, yesno(pst == 0));
	int cst = wait_status(cpid);
	printf("grandparent reaped the CLONE_PARENT child: %s, status %d (12: its getppid was the cloner's getppid)\n",
	       yesno(cst >= 0), cst);
	int st;
	errno = 0;
	printf("no children left: %s\n", yesno(waitpid(-1, &st, __WALL) == -1 && errno == ECHILD));
	return 0;
}

/* --------------------------------------------------------------- settid */

static int child_report_tid(void *arg)
{
	int *ctid = arg;
	long me = RS0(SYS_gettid);
	return (*ctid == me) ? 14 : 15;
}

static int mode_settid(void)
{
	int ptid = -1, ctid = -1;
	long c = do_clone(F_CLONE_PARENT_SETTID | SIGCHLD, &ptid, NULL, child_report_tid, &ctid);
	printf("CLONE_PARENT_SETTID: ptid == return value on return: %s\n", yesno(ptid == c));
	wait_status(c);

	ptid = -1; ctid = -1;
	c = do_clone(F_CLONE_VM | F_CLONE_CHILD_SETTID | SIGCHLD, NULL, &ctid, child_report_tid, &ctid);
	int st = wait_status(c);
	printf("CLONE_CHILD_SETTID|CLONE_VM: child saw its tid there: %s, parent sees it: %s\n",
	       yesno(st == 14), yesno(ctid == c));

	ctid = -1;
	c = do_clone(F_CLONE_CHILD_SETTID | SIGCHLD, NULL, &ctid, child_report_tid, &ctid);
	st = wait_status(c);
	printf("CLONE_CHILD_SETTID without CLONE_VM: child saw its tid: %s, parent's copy untouched: %s\n",
	       yesno(st == 14), yesno(ctid == -1));

	ptid = -1;
	c = do_clone(F_CLONE_VM | F_CLONE_PARENT_SETTID | SIGCHLD, &ptid, NULL, child_write, (void *)&shared_word);
	printf("CLONE_PARENT_SETTID|CLONE_VM: ptid == return value: %s\n", yesno(ptid == c));
	wait_status(c);
	return 0;
}

/* ------------------------------------------------------------- cleartid */

static volatile int go;

static int child_wait_go(void *arg)
{
	(void)arg;
	struct timespec t0, t;
	RS2(SYS_clock_gettime, CLOCK_MONOTONIC, &t0);
	while (!go) {
		RS0(SYS_sched_yield);
		RS2(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 3)     /* bounded by wall time */
			break;
	}
	return 16;
}

static int mode_cleartid(void)
{
	volatile int ctid = 12345;
	go = 0;
	long c = do_clone(F_CLONE_VM | F_CLONE_CHILD_CLEARTID | SIGCHLD, NULL, (int *)&ctid,
			  child_wait_go, NULL);
	msleep(10);
	printf("ctid intact while the child lives: %s\n", yesno(ctid == 12345));
	go = 1;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		msleep(1);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (ctid != 0 && t.tv_sec - t0.tv_sec < 5);
	printf("ctid cleared at exit: %s\n", yesno(ctid == 0));
	printf("child status %d\n", wait_status(c));

	/* the clear is followed by a futex wake: a FUTEX_WAIT on the word ends */
	ctid = 777;
	go = 0;
	c = do_clone(F_CLONE_VM | F_CLONE_CHILD_CLEARTID | SIGCHLD, NULL, (int *)&ctid, child_wait_go, NULL);
	go = 1;
	struct timespec ts = { 5, 0 };
	long r;
	do {
		r = syscall(SYS_futex, &ctid, 0 /* FUTEX_WAIT */, 777, &ts, NULL, 0);
	} while (r == -1 && errno == EINTR);
	int ok = (r == 0 || errno == EAGAIN) && ctid == 0;
	printf("futex wait on the word ended with it cleared: %s\n", yesno(ok));
	printf("child status %d\n", wait_status(c));
	return 0;
}

/* -------------------------------------------------------------- invalid */

static int child_should_not_run(void *arg)
{
	(void)arg;
	return 99;
}

static void try_clone(const char *what, unsigned long flags)
{
	int ptid = 0;
	long r = gk_clone(flags, new_stack(), &ptid, NULL, 0, child_should_not_run, NULL);
	if (r > 0) {
		printf("%s: created a task!\n", what);
		/* reap whatever was made */
		msleep(50);
		waitpid(r, NULL, __WALL | WNOHANG);
	} else {
		printf("%s: %s\n", what, ename(r));
	}
}

struct clone_args_v {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
		set_tid, set_tid_size, cgroup;
};

static long clone3_raw(void *args, size_t size)
{
	long r = syscall(SYS_clone3, args, size);
	if (r == 0) syscall(SYS_exit, 98);   /* wrongly created: plain fork copy */
	return r < 0 ? -errno : r;
}

static void try_clone3(const char *what, struct clone_args_v *a, size_t size)
{
	long r = clone3_raw(a, size);
	if (r > 0) {
		printf("%s: created a task! status %d\n", what, wait_status(r));
	} else {
		printf("%s: %s\n", what, ename(r));
	}
}

static int mode_invalid(void)
{
	try_clone("CLONE_NEWNS|CLONE_FS", F_CLONE_NEWNS | F_CLONE_FS | SIGCHLD);
	try_clone("CLONE_NEWUSER|CLONE_FS", F_CLONE_NEWUSER | F_CLONE_FS | SIGCHLD);
	try_clone("CLONE_THREAD without CLONE_SIGHAND", F_CLONE_THREAD | F_CLONE_VM);
	try_clone("CLONE_SIGHAND without CLONE_VM", F_CLONE_SIGHAND | SIGCHLD);
	try_clone("CLONE_THREAD|CLONE_SIGHAND without CLONE_VM", F_CLONE_THREAD | F_CLONE_SIGHAND);
	try_clone("CLONE_THREAD|CLONE_NEWUSER", F_CLONE_THREAD | F_CLONE_SIGHAND | F_CLONE_VM | F_CLONE_NEWUSER);
	try_clone("CLONE_THREAD|CLONE_NEWPID", F_CLONE_THREAD | F_CLONE_SIGHAND | F_CLONE_VM | F_CLONE_NEWPID);
	try_clone("CLONE_PIDFD|CLONE_DETACHED", F_CLONE_PIDFD | F_CLONE_DETACHED | SIGCHLD);
	try_clone("CLONE_PIDFD|CLONE_PARENT_SETTID (same pointer)", F_CLONE_PIDFD | F_CLONE_PARENT_SETTID | SIGCHLD);

	struct clone_args_v a;
	memset(&a, 0, sizeof a);
	a.flags = F_CLONE_VM | F_CLONE_SIGHAND | F_CLONE_CLEAR_SIGHAND;
	a.exit_signal = SIGCHLD;
	a.stack = (uint64_t)(uintptr_t)new_stack() - STACK_SIZE;
	a.stack_size = STACK_SIZE;
	try_clone3("clone3 CLONE_SIGHAND|CLONE_CLEAR_SIGHAND", &a, sizeof a);
	return 0;
}

/* --------------------------------------------------------------- clone3 */

static int mode_clone3(void)
{
	static unsigned char big[4096 + 64];
	struct clone_args_v *a = (struct clone_args_v *)big;

	memset(big, 0, sizeof big);
	a->exit_signal = SIGCHLD;
	try_clone3("size 63", a, 63);
	try_clone3("size 0", a, 0);
	try_clone3("size 4097", a, 4097);
	try_clone3("size 8192", a, 8192);
	big[100] = 1;
	try_clone3("size 128, nonzero byte at 100", a, 128);
	big[100] = 0;
	big[4095] = 1;
	try_clone3("size 4096, nonzero last byte", a, 4096);
	big[4095] = 0;
	big[88] = 1;
	try_clone3("size 89, nonzero byte 88", a, 89);
	big[88] = 0;

	a->exit_signal = 65;
	try_clone3("exit_signal 65", a, 88);
	a->exit_signal = 256 + SIGCHLD;
	try_clone3("exit_signal 256+SIGCHLD", a, 88);
	a->exit_signal = SIGCHLD;
	a->flags = SIGCHLD;
	try_clone3("CSIGNAL bits in flags", a, 88);
	a->flags = F_CLONE_DETACHED;
	try_clone3("CLONE_DETACHED", a, 88);
	a->flags = 1ULL << 50;
	try_clone3("unknown flag bit 50", a, 88);
	a->flags = 0;
	a->stack = 0;
	a->stack_size = 4096;
	try_clone3("stack_size without stack", a, 88);
	a->stack_size = 0;
	a->stack = (uint64_t)(uintptr_t)big;
	try_clone3("stack without stack_size", a, 88);
	a->stack = 0;
	a->flags = F_CLONE_THREAD | F_CLONE_SIGHAND | F_CLONE_VM;
	a->exit_signal = SIGCHLD;
	try_clone3("CLONE_THREAD with exit_signal", a, 88);
	a->flags = 0;
	try_clone3("bad pointer", (void *)8, 88);

	/* the ones that work: a plain fork through clone3, at sizes 64, 88 and
	 * a larger one with zero trailing bytes */
	size_t sizes[] = { 64, 88, 128, 4096 };
	for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		memset(big, 0, sizeof big);
		a->exit_signal = SIGCHLD;
		long r = syscall(SYS_clone3, a, sizes[i]);
		if (r == 0) syscall(SYS_exit, 30 + i);
		if (r < 0) {
			printf("clone3 size %zu: %s\n", sizes[i], ename(errno));
		} else {
			int st = wait_status(r);
			printf("clone3 size %zu: child status %d\n", sizes[i], st);
		}
	}
	/* CLONE_PARENT_SETTID through clone3 */
	memset(big, 0, sizeof big);
	int ptid = -1;
	a->flags = F_CLONE_PARENT_SETTID;
	a->parent_tid = (uint64_t)(uintptr_t)&ptid;
	a->exit_signal = SIGCHLD;
	long r = syscall(SYS_clone3, a, 88);
	if (r == 0) syscall(SYS_exit, 40);
	printf("clone3 CLONE_PARENT_SETTID: ptid == return: %s, status %d\n", yesno(r > 0 && ptid == r),
	       r > 0 ? wait_status(r) : -1);
	/* exit_signal 0: the parent gets no SIGCHLD; wait needs __WALL/__WCLONE */
	memset(big, 0, sizeof big);
	r = syscall(SYS_clone3, a, 88);
	if (r == 0) syscall(SYS_exit, 41);
	int st;
	errno = 0;
	msleep(20);
	/* a child with exit_signal 0 is a "clone" child: plain waitpid does not see it */
	pid_t w = waitpid(r, &st, 0);
	printf("exit_signal 0 child, plain waitpid: %s\n", w == r ? "found" : ename(errno));
	w = waitpid(r, &st, __WCLONE);
	printf("exit_signal 0 child, waitpid __WCLONE: %s, status %d\n", yesno(w == r), WEXITSTATUS(st));
	return 0;
}

/* --------------------------------------------------------- pidfd_thread */

/* CLONE_PIDFD|CLONE_THREAD: EINVAL in Linux 6.1; allowed since 6.9 */
static int mode_pidfd_thread(void)
{
	int pidfd = -1;
	long r = gk_clone(F_CLONE_VM | F_CLONE_SIGHAND | F_CLONE_THREAD | F_CLONE_PIDFD, new_stack(),
			  &pidfd, NULL, 0, child_should_not_run, NULL);
	printf("CLONE_PIDFD|CLONE_THREAD: %s\n", r > 0 ? "created a thread" : ename(r));
	if (r > 0) msleep(50);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "vm")) return mode_vm();
	if (!strcmp(m, "files")) return mode_files();
	if (!strcmp(m, "fs")) return mode_fs();
	if (!strcmp(m, "sighand")) return mode_sighand();
	if (!strcmp(m, "parent")) return mode_parent();
	if (!strcmp(m, "settid")) return mode_settid();
	if (!strcmp(m, "cleartid")) return mode_cleartid();
	if (!strcmp(m, "invalid")) return mode_invalid();
	if (!strcmp(m, "clone3")) return mode_clone3();
	if (!strcmp(m, "pidfd_thread")) return mode_pidfd_thread();
	fprintf(stderr, "unknown mode %s\n", m);
	return 2;
}
