/* System V semaphores: semget (sizes, keys), semctl (GETVAL/SETVAL/GETALL/SETALL/GETPID/
 * GETNCNT/GETZCNT, IPC_STAT/IPC_SET/IPC_RMID/IPC_INFO/SEM_INFO/SEM_STAT), semop's
 * atomicity and errors, blocking operations woken by semop and SETVAL, EIDRM on removal,
 * EINTR on a signal (even with SA_RESTART), semtimedop's timeout, SEM_UNDO at exit,
 * permissions of another uid, /proc/sysvipc/sem. Ids and keys depend on the host, so
 * only their relations are printed. Run as root. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; struct seminfo *__buf; };

static key_t key;

static void show(const char *what, long r)
{
	printf("%s = %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

static int op(int id, int num, int delta, int flg)
{
	struct sembuf b = { num, delta, flg };
	return semop(id, &b, 1);
}

static void values(const char *label, int id)
{
	unsigned short v[8];
	union semun u = { .array = v };
	struct semid_ds ds;
	semctl(id, 0, IPC_STAT, (union semun){ .buf = &ds });
	semctl(id, 0, GETALL, u);
	printf("[%s]", label);
	for (unsigned long i = 0; i < ds.sem_nsems; i++)
		printf(" %u", v[i]);
	printf("\n");
}

/* Wait (for a state, bounded) until `n` tasks sleep on semaphore `num`. */
static int wait_cnt(int id, int num, int cmd, int n)
{
	for (int i = 0; i < 20000; i++) {
		if (semctl(id, num, cmd) == n)
			return 1;
		usleep(500);
	}
	return 0;
}

/* A child runs fn and exits with its errno (0 for success), so that what it saw is
 * printed by the parent, in a fixed order. */
static pid_t in_child(int (*fn)(int), int id)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int r = fn(id);
		fflush(stdout);
		_exit(r < 0 ? errno : 0);
	}
	return pid;
}

static void reap(const char *label, pid_t pid)
{
	int st;
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st))
		printf("%s: %s\n", label, strerror(WEXITSTATUS(st)));
	else
		printf("%s: status %#x\n", label, st);
}

static void basics(void)
{
	int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
	printf("semget private: %s\n", id < 0 ? strerror(errno) : "ok");
	struct semid_ds ds;
	show("IPC_STAT", semctl(id, 0, IPC_STAT, (union semun){ .buf = &ds }));
	printf("nsems %lu mode %o uid %u cuid %u otime %ld ctime-set %d key-private %d\n",
	       (unsigned long)ds.sem_nsems, ds.sem_perm.mode, ds.sem_perm.uid, ds.sem_perm.cuid,
	       (long)ds.sem_otime, ds.sem_ctime != 0, ds.sem_perm.__key == 0);
	show("semget nsems -1", semget(IPC_PRIVATE, -1, 0600));
	show("semget nsems 0", semget(IPC_PRIVATE, 0, 0600));
	show("semget nsems 32001", semget(IPC_PRIVATE, 32001, 0600));
	int kid = semget(key, 2, IPC_CREAT | IPC_EXCL | 0640);
	printf("semget key: %s\n", kid < 0 ? strerror(errno) : "ok");
	show("semget key IPC_EXCL", semget(key, 2, IPC_CREAT | IPC_EXCL | 0640));
	printf("semget key again finds it: %d\n", semget(key, 2, 0) == kid);
	printf("semget key nsems 0 finds it: %d\n", semget(key, 0, 0) == kid);
	show("semget key more sems", semget(key, 3, 0));
	show("semget missing key", semget(key + 1, 1, 0));

	show("SETVAL 5", semctl(id, 0, SETVAL, (union semun){ .val = 5 }));
	show("GETVAL", semctl(id, 0, GETVAL));
	printf("GETPID is me: %d\n", semctl(id, 0, GETPID) == getpid());
	show("GETPID of an untouched sem", semctl(id, 1, GETPID));
	show("SETVAL -1", semctl(id, 0, SETVAL, (union semun){ .val = -1 }));
	show("SETVAL 32768", semctl(id, 0, SETVAL, (union semun){ .val = 32768 }));
	show("SETVAL semnum 3", semctl(id, 3, SETVAL, (union semun){ .val = 1 }));
	show("GETVAL semnum -1", semctl(id, -1, GETVAL));
	unsigned short all[3] = { 1, 2, 3 }, big[3] = { 1, 40000, 3 };
	show("SETALL", semctl(id, 0, SETALL, (union semun){ .array = all }));
	show("SETALL > SEMVMX", semctl(id, 0, SETALL, (union semun){ .array = big }));
	show("SETALL bad pointer", semctl(id, 0, SETALL, (union semun){ .array = (void *)8 }));
	values("after SETALL", id);
	show("bad cmd", semctl(id, 0, 99));
	show("negative id", semctl(-1, 0, GETVAL));

	struct sembuf two[2] = { { 0, -1, IPC_NOWAIT }, { 1, -3, IPC_NOWAIT } };
	show("semop all-or-nothing (EAGAIN)", semop(id, two, 2));
	values("unchanged", id);
	two[1].sem_op = -2;
	show("semop two", semop(id, two, 2));
	values("both done", id);
	struct sembuf dup[2] = { { 1, 1, 0 }, { 1, -1, 0 } };
	show("semop +1 -1 on one sem at 0", semop(id, dup, 2));
	show("semop sem 5 (EFBIG)", op(id, 5, 1, 0));
	show("semop nsops 0", semop(id, two, 0));
	show("semop nsops 501", semop(id, two, 501));
	show("semop bad pointer", semop(id, (struct sembuf *)8, 1));
	show("semop past SEMVMX", op(id, 2, 32767, 0));
	show("semop wait-for-zero on 3, NOWAIT", op(id, 2, 0, IPC_NOWAIT));
	show("semop wait-for-zero on 0", op(id, 1, 0, 0));
	show("semop stale id", op(id + 3 * 32768, 0, 1, 0));
	semctl(id, 0, IPC_STAT, (union semun){ .buf = &ds });
	printf("otime set: %d\n", ds.sem_otime != 0);
	printf("SEM_STAT of the slot gives the id: %d\n", semctl(id & 0x7fff, 0, SEM_STAT, (union semun){ .buf = &ds }) == id);
	printf("SEM_STAT_ANY too: %d\n", semctl(id & 0x7fff, 0, SEM_STAT_ANY, (union semun){ .buf = &ds }) == id);
	struct seminfo si;
	printf("IPC_INFO ok: %d\n", semctl(0, 0, IPC_INFO, (union semun){ .__buf = &si }) >= 0);
	printf("semmni %d semmsl %d semmns %d semopm %d semvmx %d semaem %d semusz %d semume %d\n",
	       si.semmni, si.semmsl, si.semmns, si.semopm, si.semvmx, si.semaem, si.semusz, si.semume);
	printf("SEM_INFO ok: %d\n", semctl(0, 0, SEM_INFO, (union semun){ .__buf = &si }) >= 0);
	printf("SEM_INFO counts ours: %d\n", si.semusz >= 2 && si.semaem >= 5);

	FILE *f = fopen("/proc/sysvipc/sem", "r");
	char line[256];
	int keyed = 0;
	while (f && fgets(line, sizeof line, f)) {
		int k, sid;
		unsigned mode, nsems;
		if (sscanf(line, "%d %d %o %u", &k, &sid, &mode, &nsems) == 4 && k == key && sid == kid) {
			printf("/proc/sysvipc/sem: perms %o nsems %u\n", mode, nsems);
			keyed = 1;
		}
	}
	if (f)
		fclose(f);
	printf("found in /proc/sysvipc/sem: %d\n", keyed);
	ds.sem_perm.mode = 0604;
	show("IPC_SET", semctl(kid, 0, IPC_SET, (union semun){ .buf = &ds }));
	semctl(kid, 0, IPC_STAT, (union semun){ .buf = &ds });
	printf("mode after IPC_SET %o\n", ds.sem_perm.mode);
	show("IPC_RMID", semctl(kid, 0, IPC_RMID));
	show("GETVAL removed", semctl(kid, 0, GETVAL));
	semctl(id, 0, IPC_RMID);
}

static int take_one(int id)
{
	return op(id, 0, -1, 0);
}

static int wait_zero(int id)
{
	return op(id, 1, 0, 0);
}

static void on_usr1(int sig) { (void)sig; }

static int interrupted(int id)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigaction(SIGUSR1, &sa, NULL);
	return op(id, 0, -1, 0);
}

static int timed(int id)
{
	struct sembuf b = { 0, -1, 0 };
	struct timespec ts = { 0, 20 * 1000 * 1000 }, bad = { 0, 1000000000 };
	show("semtimedop bad timeout", semtimedop(id, &b, 1, &bad));
	show("semtimedop bad timeout pointer", semtimedop(id, &b, 1, (struct timespec *)8));
	return semtimedop(id, &b, 1, &ts);
}

static void blocking(void)
{
	int id = semget(IPC_PRIVATE, 2, 0600);
	pid_t a = in_child(take_one, id);
	printf("ncnt reached 1: %d\n", wait_cnt(id, 0, GETNCNT, 1));
	show("GETZCNT", semctl(id, 0, GETZCNT));
	show("parent semop +1", op(id, 0, 1, 0));
	reap("woken by semop", a);
	values("after wake", id);

	a = in_child(take_one, id);
	pid_t b = in_child(take_one, id);
	printf("ncnt reached 2: %d\n", wait_cnt(id, 0, GETNCNT, 2));
	show("SETVAL 2 wakes both", semctl(id, 0, SETVAL, (union semun){ .val = 2 }));
	reap("first", a);
	reap("second", b);
	values("both took one", id);

	semctl(id, 1, SETVAL, (union semun){ .val = 1 });
	a = in_child(wait_zero, id);
	printf("zcnt reached 1: %d\n", wait_cnt(id, 1, GETZCNT, 1));
	op(id, 1, -1, 0);
	reap("woken at zero", a);

	a = in_child(interrupted, id);
	wait_cnt(id, 0, GETNCNT, 1);
	kill(a, SIGUSR1);
	reap("interrupted", a);
	show("ncnt after EINTR", semctl(id, 0, GETNCNT));

	a = in_child(timed, id);
	reap("timed", a);
	show("ncnt after timeout", semctl(id, 0, GETNCNT));

	a = in_child(take_one, id);
	wait_cnt(id, 0, GETNCNT, 1);
	show("IPC_RMID with a sleeper", semctl(id, 0, IPC_RMID));
	reap("removed under it", a);
}

static int undo_plus(int id)
{
	op(id, 0, 2, SEM_UNDO);
	op(id, 1, -1, SEM_UNDO);
	values("child with undo", id);
	return 0;
}

static int gate[2], gate2[2];

static int undo_then_wait(int id)
{
	char c;
	op(id, 0, 3, SEM_UNDO);
	write(gate[1], "x", 1);
	read(gate2[0], &c, 1);
	return 0;
}

static int undo_clamped(int id)
{
	op(id, 0, 5, SEM_UNDO);
	return op(id, 0, -5, 0);
}

static int nothing(int id)
{
	return id;
}

static void undo(void)
{
	int id = semget(IPC_PRIVATE, 2, 0600);
	semctl(id, 1, SETVAL, (union semun){ .val = 4 });
	reap("undo child", in_child(undo_plus, id));
	values("after undo at exit", id);

	pipe(gate);
	pipe(gate2);
	pid_t a = in_child(undo_then_wait, id);
	char c;
	read(gate[0], &c, 1);
	semctl(id, 0, SETVAL, (union semun){ .val = 7 });
	write(gate2[1], "x", 1);
	reap("SETVAL forgot its undo", a);
	values("still 7", id);

	semctl(id, 0, SETVAL, (union semun){ .val = 0 });
	reap("clamped", in_child(undo_clamped, id));
	values("clamped at 0", id);

	op(id, 1, 1, SEM_UNDO);
	reap("forked child does not inherit undo", in_child(nothing, 0));
	values("parent's undo stays", id);
	struct sembuf b = { 1, -32767, SEM_UNDO | IPC_NOWAIT };
	semctl(id, 1, SETVAL, (union semun){ .val = 32767 });
	show("undo range: -32767", semop(id, &b, 1));
	op(id, 1, 2, 0);
	b.sem_op = -1;
	show("undo range: one more -1 (ERANGE)", semop(id, &b, 1));
	values("undo range", id);
	semctl(id, 0, IPC_RMID);
}

static int perm_id, ro_id;

static int other_user(int unused)
{
	setgroups(0, NULL);
	setgid(1000);
	setuid(1000);
	show("other: semop 0600", op(perm_id, 0, 1, IPC_NOWAIT));
	show("other: GETVAL 0600", semctl(perm_id, 0, GETVAL));
	show("other: SETVAL 0600", semctl(perm_id, 0, SETVAL, (union semun){ .val = 1 }));
	show("other: IPC_RMID", semctl(perm_id, 0, IPC_RMID));
	show("other: semget 0600 asking 0400", semget(key, 0, 0400));
	show("other: wait-for-zero on 0644", op(ro_id, 0, 0, IPC_NOWAIT));
	show("other: alter 0644", op(ro_id, 0, 1, IPC_NOWAIT));
	show("other: GETALL 0644", semctl(ro_id, 0, GETALL, (union semun){ .array = (unsigned short[1]){0} }));
	return 0;
}

static void permissions(void)
{
	perm_id = semget(key, 1, IPC_CREAT | 0600);
	ro_id = semget(IPC_PRIVATE, 1, 0644);
	reap("other user", in_child(other_user, 0));
	semctl(perm_id, 0, IPC_RMID);
	semctl(ro_id, 0, IPC_RMID);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	key = 0x5e000000 | (getpid() & 0xffffff);
	basics();
	blocking();
	undo();
	permissions();
	return 0;
}
