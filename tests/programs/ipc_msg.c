/* System V message queues: msgget, msgsnd/msgrcv (types, negative types, MSG_EXCEPT,
 * MSG_NOERROR, E2BIG, IPC_NOWAIT, MSG_COPY), a full queue (a sender sleeps until a
 * receive makes room), sleeping receivers (woken by a send, EIDRM on removal, EINTR on a
 * signal despite SA_RESTART), msgctl (IPC_STAT/IPC_SET with q_qbytes, IPC_INFO/MSG_INFO,
 * MSG_STAT), permissions of another uid, /proc/sysvipc/msg. Ids and keys depend on the
 * host, so only their relations are printed. Run as root. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct msg { long type; char text[200]; };

static key_t key;

static void show(const char *what, long r)
{
	printf("%s = %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

static int snd(int id, long type, const char *text, int flg)
{
	struct msg m = { type };
	strcpy(m.text, text);
	return msgsnd(id, &m, strlen(text), flg);
}

static void rcv(const char *what, int id, size_t size, long type, int flg)
{
	struct msg m = { 0 };
	long n = msgrcv(id, &m, size, type, flg);
	if (n < 0)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: type %ld '%.*s' (%ld)\n", what, m.type, (int)n, m.text, n);
}

static void stat_(const char *label, int id)
{
	struct msqid_ds ds;
	if (msgctl(id, IPC_STAT, &ds) < 0) {
		printf("[%s] %s\n", label, strerror(errno));
		return;
	}
	printf("[%s] mode %o qnum %lu cbytes %lu qbytes %lu lspid %s lrpid %s stime %s rtime %s ctime %s\n",
	       label, ds.msg_perm.mode, (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
	       (unsigned long)ds.msg_qbytes, ds.msg_lspid == getpid() ? "me" : ds.msg_lspid ? "other" : "0",
	       ds.msg_lrpid == getpid() ? "me" : ds.msg_lrpid ? "other" : "0",
	       ds.msg_stime ? "set" : "0", ds.msg_rtime ? "set" : "0", ds.msg_ctime ? "set" : "0");
}

static pid_t in_child(int (*fn)(int), int id)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int r = fn(id);
		_exit(r < 0 ? errno : r);
	}
	return pid;
}

static void reap(const char *label, pid_t pid)
{
	int st;
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) > 0 && WEXITSTATUS(st) < 100)
		printf("%s: %s\n", label, strerror(WEXITSTATUS(st)));
	else
		printf("%s: status %#x\n", label, st);
}

/* Wait (bounded) for the child to be asleep, as /proc/PID/stat shows it. */
static int asleep(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	for (int i = 0; i < 20000; i++) {
		FILE *f = fopen(path, "r");
		char state = 0;
		if (f && fgets(buf, sizeof buf, f))
			state = strrchr(buf, ')')[2];
		if (f)
			fclose(f);
		if (state == 'S')
			return 1;
		usleep(500);
	}
	return 0;
}

static void basics(void)
{
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	printf("msgget private: %s\n", id < 0 ? strerror(errno) : "ok");
	stat_("new", id);
	int kid = msgget(key, IPC_CREAT | IPC_EXCL | 0640);
	printf("msgget key: %s\n", kid < 0 ? strerror(errno) : "ok");
	show("msgget key IPC_EXCL", msgget(key, IPC_CREAT | IPC_EXCL | 0640));
	printf("msgget key finds it: %d\n", msgget(key, 0) == kid);
	show("msgget missing key", msgget(key + 1, 0));

	show("send 1 hello", snd(id, 1, "hello", 0));
	show("send 2 world!", snd(id, 2, "world!", 0));
	show("send 3 x", snd(id, 3, "x", 0));
	show("send 1 again", snd(id, 1, "again", 0));
	show("send 5 empty", snd(id, 5, "", 0));
	stat_("five queued", id);
	rcv("type 0", id, 200, 0, 0);
	rcv("type 3", id, 200, 3, 0);
	rcv("type -2", id, 200, -2, 0);
	rcv("MSG_EXCEPT 1", id, 200, 1, MSG_EXCEPT);
	rcv("type 9 NOWAIT", id, 200, 9, IPC_NOWAIT);
	rcv("type 5 (empty text)", id, 200, 5, 0);
	rcv("empty queue NOWAIT", id, 200, 0, IPC_NOWAIT);
	stat_("drained", id);

	struct msg m = { 7 };
	memset(m.text, 'z', 100);
	show("send 100 bytes", msgsnd(id, &m, 100, 0));
	rcv("receive into 10", id, 10, 0, 0);
	rcv("receive into 10, MSG_NOERROR", id, 10, 0, MSG_NOERROR);
	rcv("nothing left", id, 200, 0, IPC_NOWAIT);

	snd(id, 4, "first", 0);
	snd(id, 4, "second", 0);
	rcv("MSG_COPY without NOWAIT", id, 200, 0, MSG_COPY);
	rcv("MSG_COPY with MSG_EXCEPT", id, 200, 0, MSG_COPY | IPC_NOWAIT | MSG_EXCEPT);
	rcv("MSG_COPY number 1", id, 200, 1, MSG_COPY | IPC_NOWAIT);
	rcv("MSG_COPY number 2", id, 200, 2, MSG_COPY | IPC_NOWAIT);
	stat_("copies leave them", id);

	show("send type 0", snd(id, 0, "x", 0));
	show("send type -1", snd(id, -1, "x", 0));
	show("send past msgmax", msgsnd(id, &m, 8193, 0));
	show("send size -1", msgsnd(id, &m, (size_t)-1, 0));
	show("send negative id", snd(-1, 1, "x", 0));
	show("send bad pointer", msgsnd(id, (void *)8, 4, 0));
	show("send stale id", snd(id + 3 * 32768, 1, "x", 0));
	show("receive negative size", msgrcv(id, &m, (size_t)-1, 0, 0));
	show("receive bad pointer", msgrcv(id, (void *)8, 100, 0, 0));
	stat_("a failed copy-out consumed it", id);

	struct msqid_ds ds;
	msgctl(id, IPC_STAT, &ds);
	ds.msg_qbytes = 20000;
	show("IPC_SET qbytes above msgmnb", msgctl(id, IPC_SET, &ds));
	ds.msg_qbytes = 100;
	ds.msg_perm.mode = 0660;
	show("IPC_SET qbytes 100", msgctl(id, IPC_SET, &ds));
	stat_("after IPC_SET", id);
	show("bad cmd", msgctl(id, 99, &ds));
	show("negative id", msgctl(-1, IPC_STAT, &ds));
	printf("MSG_STAT of the slot gives the id: %d\n", msgctl(id & 0x7fff, MSG_STAT, &ds) == id);
	printf("MSG_STAT_ANY too: %d\n", msgctl(id & 0x7fff, MSG_STAT_ANY, &ds) == id);
	struct msginfo mi;
	printf("IPC_INFO ok: %d\n", msgctl(0, IPC_INFO, (struct msqid_ds *)&mi) >= 0);
	printf("msgmax %d msgmnb %d msgmni %d msgssz %d msgseg %u msgpool %d msgmap %d msgtql %d\n",
	       mi.msgmax, mi.msgmnb, mi.msgmni, mi.msgssz, mi.msgseg, mi.msgpool, mi.msgmap, mi.msgtql);
	printf("MSG_INFO ok: %d\n", msgctl(0, MSG_INFO, (struct msqid_ds *)&mi) >= 0);
	printf("MSG_INFO counts ours: %d\n", mi.msgpool >= 2 && mi.msgmap >= 1 && mi.msgtql >= 6);

	FILE *f = fopen("/proc/sysvipc/msg", "r");
	char line[256];
	while (f && fgets(line, sizeof line, f)) {
		int k, qid;
		unsigned mode;
		unsigned long cbytes, qnum;
		if (sscanf(line, "%d %d %o %lu %lu", &k, &qid, &mode, &cbytes, &qnum) == 5 && qid == id)
			printf("/proc/sysvipc/msg: perms %o cbytes %lu qnum %lu\n", mode, cbytes, qnum);
	}
	if (f)
		fclose(f);
	msgctl(kid, IPC_RMID, NULL);
	show("IPC_RMID", msgctl(id, IPC_RMID, NULL));
	show("IPC_STAT removed", msgctl(id, IPC_STAT, &ds));
}

static int receive_9(int id)
{
	struct msg m;
	long n = msgrcv(id, &m, sizeof m.text, 9, 0);
	return n < 0 ? -1 : m.type == 9 && n == 4 && !memcmp(m.text, "nine", 4) ? 0 : 100;
}

static int receive_small(int id)
{
	struct msg m;
	return msgrcv(id, &m, 2, 0, 0) < 0 ? -1 : 100;
}

static int send_big(int id)
{
	struct msg m = { 1 };
	return msgsnd(id, &m, 60, 0);
}

static void on_usr1(int sig) { (void)sig; }

static int interrupted(int id)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigaction(SIGUSR1, &sa, NULL);
	struct msg m;
	return msgrcv(id, &m, sizeof m.text, 0, 0) < 0 ? -1 : 100;
}

static void blocking(void)
{
	int id = msgget(IPC_PRIVATE, 0600);
	pid_t a = in_child(receive_9, id);
	printf("receiver asleep: %d\n", asleep(a));
	snd(id, 3, "three", 0);
	snd(id, 9, "nine", 0);
	reap("receiver of type 9", a);
	stat_("type 3 stays", id);
	rcv("type 3", id, 200, 0, 0);

	a = in_child(receive_small, id);
	asleep(a);
	snd(id, 1, "too long", 0);
	reap("receiver with a small buffer", a);
	stat_("the message stays queued", id);
	rcv("it", id, 200, 0, 0);

	struct msqid_ds ds;
	msgctl(id, IPC_STAT, &ds);
	ds.msg_qbytes = 100;
	msgctl(id, IPC_SET, &ds);
	struct msg m = { 1 };
	show("send 60 into 100", msgsnd(id, &m, 60, 0));
	show("send 60 more NOWAIT", msgsnd(id, &m, 60, IPC_NOWAIT));
	a = in_child(send_big, id);
	printf("sender asleep: %d\n", asleep(a));
	stat_("one queued, one waiting", id);
	rcv("receive makes room", id, 200, 0, 0);
	reap("sleeping sender", a);
	stat_("its message arrived", id);
	rcv("drain", id, 200, 0, 0);

	a = in_child(interrupted, id);
	asleep(a);
	kill(a, SIGUSR1);
	reap("receiver interrupted", a);

	a = in_child(receive_9, id);
	asleep(a);
	show("IPC_RMID with a receiver asleep", msgctl(id, IPC_RMID, NULL));
	reap("receiver of a removed queue", a);

	id = msgget(IPC_PRIVATE, 0600);
	msgctl(id, IPC_STAT, &ds);
	ds.msg_qbytes = 100;
	msgctl(id, IPC_SET, &ds);
	msgsnd(id, &m, 60, 0);
	a = in_child(send_big, id);
	asleep(a);
	show("IPC_RMID with a sender asleep", msgctl(id, IPC_RMID, NULL));
	reap("sender to a removed queue", a);
}

static int perm_id, wo_id;

static int other_user(int unused)
{
	setgroups(0, NULL);
	setgid(1000);
	setuid(1000);
	struct msqid_ds ds;
	show("other: send 0600", snd(perm_id, 1, "x", IPC_NOWAIT));
	rcv("other: receive 0600", perm_id, 200, 0, IPC_NOWAIT);
	show("other: IPC_STAT 0600", msgctl(perm_id, IPC_STAT, &ds));
	show("other: IPC_RMID", msgctl(perm_id, IPC_RMID, NULL));
	show("other: msgget asking 0200", msgget(key, 0200));
	show("other: send 0622", snd(wo_id, 1, "x", IPC_NOWAIT));
	rcv("other: receive 0622", wo_id, 200, 0, IPC_NOWAIT);
	fflush(stdout);
	return 0;
}

static void permissions(void)
{
	perm_id = msgget(key, IPC_CREAT | 0600);
	wo_id = msgget(IPC_PRIVATE, 0622);
	reap("other user", in_child(other_user, 0));
	stat_("written by the other user", wo_id);
	msgctl(perm_id, IPC_RMID, NULL);
	msgctl(wo_id, IPC_RMID, NULL);
}

static void read_sysctl(const char *name)
{
	char path[128], buf[64] = "";
	snprintf(path, sizeof path, "/proc/sys/kernel/%s", name);
	FILE *f = fopen(path, "r");
	if (f && fgets(buf, sizeof buf, f))
		printf("%s: %s", name, buf);
	else
		printf("%s: %s\n", name, strerror(errno));
	if (f)
		fclose(f);
}

/* kernel.msg_next_id (CONFIG_CHECKPOINT_RESTORE): the next queue gets that id, once. */
static void next_id(void)
{
	int want = (7 << 15) | 1000;
	read_sysctl("msg_next_id");
	FILE *f = fopen("/proc/sys/kernel/msg_next_id", "w");
	fprintf(f, "%d", want);
	fclose(f);
	read_sysctl("msg_next_id");
	int id = msgget(IPC_PRIVATE, 0600);
	printf("msgget took msg_next_id: %d\n", id == want);
	read_sysctl("msg_next_id");
	msgctl(id, IPC_RMID, NULL);
	read_sysctl("sem_next_id");
	read_sysctl("shm_next_id");
	read_sysctl("msgmnb");
}

/* clone(CLONE_NEWIPC): the child has an empty namespace of its own. */
static int queue_in_parent;

static int in_new_ns(void *arg)
{
	char mine[64] = "", parents[64] = "";
	readlink("/proc/self/ns/ipc", mine, sizeof mine - 1);
	readlink((char *)arg, parents, sizeof parents - 1);
	printf("child: own ipc namespace: %d\n", strcmp(mine, parents) != 0);
	show("child: msgget of the parent's key", msgget(key, 0));
	show("child: IPC_STAT of the parent's id", msgctl(queue_in_parent, IPC_STAT, &(struct msqid_ds){0}));
	int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	printf("child: the same key is free here: %d\n", id >= 0);
	snd(id, 1, "child's", 0);
	struct msqid_ds ds;
	msgctl(id, IPC_STAT, &ds);
	printf("child: its queue has %lu message\n", (unsigned long)ds.msg_qnum);
	fflush(stdout);
	return 0;
}

static void newipc(void)
{
	static char stack[1 << 16];
	char parent_link[64];
	queue_in_parent = msgget(key, IPC_CREAT | 0600);
	snd(queue_in_parent, 1, "parent's", 0);
	snprintf(parent_link, sizeof parent_link, "/proc/%d/ns/ipc", getpid());
	fflush(stdout);
	pid_t pid = clone(in_new_ns, stack + sizeof stack, CLONE_NEWIPC | SIGCHLD, parent_link);
	int st;
	waitpid(pid, &st, 0);
	printf("clone(CLONE_NEWIPC) child: status %#x\n", st);
	stat_("parent's queue untouched", queue_in_parent);
	msgctl(queue_in_parent, IPC_RMID, NULL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	key = 0x6d000000 | (getpid() & 0xffffff);
	basics();
	blocking();
	permissions();
	next_id();
	newipc();
	return 0;
}
