/* i386 syscalls by number (gcc -m32 -static): 32-bit time, rlimits, rusage, sysinfo, the
 * old unames, 16-bit ids, socketcall with SCM_RIGHTS, the ipc multiplexer, itimers, POSIX
 * timers, futex timeouts, ppoll/pselect6. Prints only what does not depend on the
 * machine, so the output is the same natively and under glasskernel. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long sc(long nr, long a, long b, long c, long d, long e, long f, ...)
{
    long r = syscall(nr, a, b, c, d, e, f);
    return r == -1 ? -errno : r;           /* (an address past 2 GiB is negative too) */
}
#define SC(...) sc(__VA_ARGS__, 0, 0, 0, 0, 0, 0)

struct ts32 { int32_t sec, nsec; };
struct ts64 { int64_t sec, nsec; };
struct tv32 { int32_t sec, usec; };

static void times32(void)
{
    struct ts32 a[2];
    struct ts64 b;
    memset(a, 0x5a, sizeof a);
    long r, r1 = SC(265, 0, (long)a);                 /* clock_gettime */
    long r2 = SC(403, 0, (long)&b);                /* clock_gettime64 */
    long d = (long)b.sec - a[0].sec;
    printf("clock_gettime %ld %ld close %d nsec-ok %d guard %d\n", r1, r2, d >= 0 && d < 5,
           a[0].nsec >= 0 && a[0].nsec < 1000000000, a[1].sec == 0x5a5a5a5a);
    printf("clock_gettime bad clock %ld\n", SC(265, 99, (long)a));
    printf("clock_getres %ld", SC(266, 1, (long)a));
    printf(" %d.%09d\n", a[0].sec, a[0].nsec);
    struct tv32 tv[2];
    memset(tv, 0x5a, sizeof tv);
    r1 = SC(78, (long)tv, 0);
    printf("gettimeofday %ld close %d guard %d\n", r1,
           tv[0].sec - b.sec >= 0 && tv[0].sec - b.sec < 5, tv[1].sec == 0x5a5a5a5a);
    int32_t t = 0;
    r = SC(13, (long)&t);
    printf("time same %d\n", r == t);
    struct ts32 req = {0, 1000000}, rem = {7, 7};
    printf("nanosleep %ld rem %d.%d\n", SC(162, (long)&req, (long)&rem), rem.sec, rem.nsec);
    req.nsec = 1000000000;
    printf("nanosleep bad %ld\n", SC(162, (long)&req, 0));
    req.nsec = 0;
    printf("clock_nanosleep %ld\n", SC(267, 1, 0, (long)&req, 0));
    int32_t tx[33];                                /* struct old_timex32 and a guard word */
    memset(tx, 0x5a, sizeof tx);
    tx[0] = 0;                                     /* modes: only read */
    r = SC(124, (long)tx);
    printf("adjtimex ok %d tick %d time-close %d guard %d\n", r >= 0, tx[11],
           tx[9] - (int32_t)b.sec < 5, tx[32] == 0x5a5a5a5a);
    tx[0] = 0;
    r = SC(343, 0, (long)tx);
    printf("clock_adjtime ok %d tick %d\n", r >= 0, tx[11]);
    printf("clock_adjtime monotonic %ld\n", SC(343, 1, (long)tx));
    tx[0] = 0x4000;                                /* ADJ_TICK: privileged and checked */
    tx[11] = 1;
    r = SC(124, (long)tx);
    printf("adjtimex bad tick %ld\n", r == -EPERM ? -EINVAL : r);
    struct ts64 req64 = {0, 1000};
    printf("clock_nanosleep_time64 %ld\n", SC(407, 1, 0, (long)&req64, 0));
}

static void limits(void)
{
    uint32_t rl[3] = {0, 0, 0xa5a5a5a5};
    printf("ugetrlimit NOFILE %ld", SC(191, 7, (long)rl));
    printf(" cur<=max %d guard %x\n", rl[0] <= rl[1], rl[2]);
    uint32_t set[2] = {64, rl[1]};
    printf("setrlimit NOFILE %ld\n", SC(75, 7, (long)set));
    printf("ugetrlimit again %ld", SC(191, 7, (long)rl));
    printf(" %u\n", rl[0]);
    set[0] = 0xFFFFFFFF;
    set[1] = 0xFFFFFFFF;
    SC(75, 4, (long)set);                          /* RLIMIT_CORE: infinity */
    printf("ugetrlimit CORE %ld", SC(191, 4, (long)rl));
    printf(" %x %x\n", rl[0], rl[1]);
    printf("getrlimit CORE %ld", SC(76, 4, (long)rl));
    printf(" %x %x\n", rl[0], rl[1]);
    uint64_t rl64[2];
    printf("prlimit64 CORE %ld", SC(340, 0, 4, 0, (long)rl64));
    printf(" %llx\n", (unsigned long long)rl64[0]);
    printf("getrlimit bad %ld\n", SC(76, 99, (long)rl));
    int32_t ru[19];
    memset(ru, 0x5a, sizeof ru);
    long r = SC(77, 0, (long)ru);
    printf("getrusage %ld usec-ok %d guard %d\n", r, ru[1] >= 0 && ru[1] < 1000000,
           ru[18] == 0x5a5a5a5a);
    printf("getrusage bad who %ld\n", SC(77, 5, (long)ru));
    uint32_t si[17];
    memset(si, 0x5a, sizeof si);
    r = SC(116, (long)si);
    printf("sysinfo %ld unit>0 %d guard %d\n", r, si[13] > 0, si[16] == 0x5a5a5a5a);
    int32_t tms[5];
    memset(tms, 0x5a, sizeof tms);
    SC(43, (long)tms);
    printf("times guard %d\n", tms[4] == 0x5a5a5a5a);
}

static void names(void)
{
    char old[325 + 4], oldold[45 + 4];
    memset(old, 0x5a, sizeof old);
    memset(oldold, 0x5a, sizeof oldold);
    long r = SC(109, (long)old);
    printf("olduname %ld %s %s guard %d\n", r, old, old + 260, old[325] == 0x5a);
    r = SC(59, (long)oldold);
    printf("oldolduname %ld %s %s guard %d\n", r, oldold, oldold + 36, oldold[45] == 0x5a);
    printf("olduname null %ld\n", SC(109, 0));
    long persona = SC(136, 0xffffffff);
    SC(136, 0x0008);                                   /* PER_LINUX32, as linux32 sets it */
    char newu[390];
    r = SC(122, (long)newu);
    printf("PER_LINUX32 uname %ld %s", r, newu + 4 * 65);
    SC(109, (long)old);
    SC(59, (long)oldold);
    printf(" olduname %s oldolduname %s\n", old + 260, oldold + 36);
    SC(136, persona);
    printf("getuid16 == getuid32 %d\n", SC(24) == SC(199));
    printf("geteuid16 == geteuid32 %d\n", SC(49) == SC(201));
    uint16_t ids[4] = {1, 1, 1, 0x5a5a};
    long res = SC(165, (long)ids, (long)(ids + 1), (long)(ids + 2));
    printf("getresuid16 %ld same %d guard %x\n", res, ids[0] == SC(199), ids[3]);
}

static void sockets(void)
{
    int sv[2];
    long args[6] = {1, 1, 0, (long)sv};
    printf("socketcall socketpair %ld\n", SC(102, 8, (long)args));
    int p[2];
    pipe(p);
    write(p[1], "via fd", 6);
    struct iovec { void *base; unsigned len; } iov = {"hi", 2};
    struct { uint32_t len; int32_t level, type; int32_t fd; } cm = {16, 1, 1, p[0]};
    struct { void *name; int namelen; struct iovec *iov; unsigned iovlen; void *ctl;
             unsigned ctllen; int flags; } msg = {0, 0, &iov, 1, &cm, 16, 0};
    long a[3] = {sv[0], (long)&msg, 0};
    printf("socketcall sendmsg %ld\n", SC(102, 16, (long)a));
    char data[8] = {0};
    struct iovec riov = {data, 8};
    struct { uint32_t len; int32_t level, type; int32_t fd; uint32_t guard; } rcm;
    memset(&rcm, 0x5a, sizeof rcm);
    msg.iov = &riov;
    msg.ctl = &rcm;
    msg.ctllen = 16;
    a[0] = sv[1];
    long n = SC(102, 17, (long)a);
    printf("socketcall recvmsg %ld %s", n, data);
    char via[8] = {0};
    read(rcm.fd, via, 6);
    printf(" cmsg %u/%d/%d ctllen %u flags %d fd-works %s guard %x\n", rcm.len, rcm.level,
           rcm.type, msg.ctllen, msg.flags, via, rcm.guard);
    printf("socketcall bad call %ld\n", SC(102, 21, (long)a));
    printf("socketcall efault %ld\n", SC(102, 1, 16));
    long sa[4] = {sv[0], (long)"abc", 3, 0};
    printf("socketcall send %ld\n", SC(102, 9, (long)sa));
    char rb[4] = {0};
    long ra[4] = {sv[1], (long)rb, 4, 0};
    n = SC(102, 10, (long)ra);
    printf("socketcall recv %ld %s\n", n, rb);
    printf("direct sendto %ld\n", SC(369, sv[0], (long)"de", 2, 0, 0, 0));
    printf("direct recvfrom %ld\n", SC(371, sv[1], (long)rb, 4, 0, 0, 0));
    struct tv32 to[2] = {{0, 20000}, {0x5a5a5a5a, 0x5a5a5a5a}};
    long so[5] = {sv[1], 1 /* SOL_SOCKET */, 20 /* SO_RCVTIMEO */, (long)to, 8};
    printf("setsockopt SO_RCVTIMEO %ld\n", SC(102, 14, (long)so));
    int tolen = 16;
    memset(to, 0x5a, sizeof to);
    long go[5] = {sv[1], 1, 20, (long)to, (long)&tolen};
    long r = SC(102, 15, (long)go);
    printf("getsockopt SO_RCVTIMEO %ld len %d %d.%06d guard %d\n", r, tolen, to[0].sec, to[0].usec,
           to[1].sec == 0x5a5a5a5a);
    r = SC(371, sv[1], (long)rb, 4, 0, 0, 0);
    printf("recvfrom times out %ld\n", r);
    /* sendmmsg/recvmmsg: arrays of the 32-byte compat_mmsghdr */
    struct mm { void *name; int namelen; struct iovec *iov; unsigned iovlen; void *ctl;
                unsigned ctllen; int flags; unsigned len; } out[2], in[3];
    struct iovec o1 = {"one", 3}, o2 = {"two!", 4};
    memset(out, 0, sizeof out);
    out[0].iov = &o1; out[0].iovlen = 1;
    out[1].iov = &o2; out[1].iovlen = 1;
    long dg[4] = {sv[0], (long)out, 2, 0};
    n = SC(102, 20, (long)dg);                        /* SYS_SENDMMSG */
    printf("sendmmsg %ld lens %u %u\n", n, out[0].len, out[1].len);
    char b1[8] = {0}, b2[8] = {0};
    struct iovec i1 = {b1, 8}, i2 = {b2, 8};
    memset(in, 0x5a, sizeof in);
    memset(in, 0, 2 * sizeof *in);
    in[0].iov = &i1; in[0].iovlen = 1;
    in[1].iov = &i2; in[1].iovlen = 1;
    struct ts32 mto = {1, 0};
    n = SC(337, sv[1], (long)in, 2, 0x40 /* MSG_DONTWAIT */, (long)&mto);  /* recvmmsg */
    printf("recvmmsg %ld %u:%s", n, in[0].len, b1);
    printf(" guard %x\n", in[2].flags);
    printf("recvmmsg empty %ld\n", SC(337, sv[1], (long)in, 1, 0x40, 0));
    close(sv[0]);
    close(sv[1]);
}

static void ipc(void)
{
    long q = SC(117, 13, 0, 01600, 0, 0, 0);        /* MSGGET IPC_PRIVATE */
    printf("ipc msgget ok %d\n", q >= 0);
    struct { int32_t type; char text[8]; } m = {7, "abcd"};
    printf("ipc msgsnd %ld\n", SC(117, 11, q, 4, 0, (long)&m, 0));
    struct { int32_t type; char text[8]; } out;
    memset(&out, 0, sizeof out);
    struct { void *msgp; int32_t typ; } k = {&out, 0};
    long n = SC(117, 12, q, 4, 0, (long)&k, 0);
    printf("ipc msgrcv %ld type %d %s\n", n, out.type, out.text);
    printf("ipc msgrcv v1 nomsg %ld\n", SC(117, 12 | (1 << 16), q, 4, 04000, (long)&out, 0));
    printf("direct msgsnd %ld\n", SC(400, q, (long)&m, 4, 0));
    out.type = 0;
    n = SC(401, q, (long)&out, 8, 0, 0);
    printf("direct msgrcv %ld %d\n", n, out.type);
    SC(400, q, (long)&m, 4, 0);
    uint32_t ds[23];
    memset(ds, 0x5a, sizeof ds);
    n = SC(402, q, 2, (long)ds);                              /* IPC_STAT: IPC_64 structs */
    printf("msgctl stat %ld mode %o qnum %u cbytes %u lspid-self %d guard %x\n", n,
           ds[5] & 0xffff, ds[16], ds[15], (pid_t)ds[18] == getpid(), ds[22]);
    n = SC(402, q, 2 | 0x100, (long)ds);
    printf("msgctl stat|IPC_64 returns the id %d\n", n == q);
    uint32_t qbytes = ds[17];
    ds[17] = qbytes / 2;
    ds[5] = 0600;
    n = SC(402, q, 1, (long)ds);
    printf("msgctl set %ld", n);
    printf(" set|IPC_64 %ld", SC(402, q, 1 | 0x100, (long)ds));
    n = SC(117, 14, q, 2 | 0x100, 0, (long)ds, 0);           /* MSGCTL through ipc() */
    printf(" ipc msgctl stat %ld mode %o qbytes-halved %d\n", n, ds[5] & 0xffff, ds[17] == qbytes / 2);
    long semid = SC(393, 0, 3, 01600);
    uint32_t sds[17];
    memset(sds, 0x5a, sizeof sds);
    n = SC(394, semid, 0, 2, (long)sds);
    printf("semctl stat %ld nsems %u guard %x\n", n, sds[13], sds[16]);
    printf("semctl stat|IPC_64 returns the id %d\n", SC(394, semid, 0, 2 | 0x100, (long)sds) == semid);
    n = SC(394, semid, 1, 16 | 0x100, 5);
    printf("semctl setval|IPC_64 %ld", n);
    printf(" getval %ld\n", SC(394, semid, 1, 12, 0));
    printf("semctl getval|IPC_64 %ld\n", SC(394, semid, 1, 12 | 0x100, 0));
    uint32_t pad = (uint32_t)(uintptr_t)sds;
    n = SC(117, 3, semid, 0, 2 | 0x100, (long)&pad, 0);      /* SEMCTL: semun at ptr */
    printf("ipc semctl stat %ld nsems %u\n", n, sds[13]);
    printf("semctl rmid %ld\n", SC(394, semid, 0, 0, 0));
    printf("ipc msgctl rmid %ld\n", SC(117, 14, q, 0, 0, 0, 0));
    printf("ipc bad call %ld\n", SC(117, 99, 0, 0, 0, 0, 0));
    long shm = SC(117, 23, 0, 4096, 01600, 0, 0);     /* SHMGET */
    uint32_t raddr = 0;
    n = SC(117, 21, shm, 0, (long)&raddr, 0, 0);
    printf("ipc shmat %ld addr-set %d\n", n, raddr != 0);
    ((char *)(uintptr_t)raddr)[0] = 'z';
    printf("ipc shmdt %ld\n", SC(117, 22, 0, 0, 0, (long)raddr, 0));
    long direct = SC(397, shm, 0, 0);
    printf("direct shmat ok %d\n", direct != 0 && (unsigned long)direct < -4095UL);
    printf("shm kept %c\n", ((char *)direct)[0]);
    uint32_t shds[22];
    memset(shds, 0x5a, sizeof shds);
    n = SC(396, shm, 2, (long)shds);
    printf("shmctl stat %ld segsz %u nattch %u cpid-self %d guard %x\n", n, shds[9], shds[18],
           (pid_t)shds[16] == getpid(), shds[21]);
    printf("shmctl stat|IPC_64 %ld\n", SC(396, shm, 2 | 0x100, (long)shds));
    uint32_t info[10];
    memset(info, 0x5a, sizeof info);
    n = SC(396, 0, 3, (long)info);                             /* IPC_INFO */
    printf("shmctl info ok %d shmmni>0 %d guard %x\n", n >= 0, info[2] > 0, info[9]);
    SC(398, direct);
    SC(117, 24, shm, 0, 0, 0, 0);                     /* SHMCTL IPC_RMID */
}

static void timers(void)
{
    struct tv32 it[4];
    memset(it, 0x5a, sizeof it);
    it[0].sec = 0; it[0].usec = 0; it[1].sec = 100; it[1].usec = 0;
    printf("setitimer %ld\n", SC(104, 0, (long)it, 0));
    printf("getitimer %ld", SC(105, 0, (long)(it + 2)));
    printf(" value<=100 %d guard %d\n", it[3].sec <= 100 && it[3].sec >= 98,
           it[3].sec != 0x5a5a5a5a);
    it[1].sec = 0;
    SC(104, 0, (long)it, 0);
    it[1].usec = 1000000;
    printf("setitimer bad %ld\n", SC(104, 0, (long)it, 0));
    struct { int32_t value, signo, notify, tid; int32_t pad[12]; } ev = {0, 10, 1 /* NONE */, 0};
    int32_t id = -1;
    long r = SC(259, 1, (long)&ev, (long)&id);
    printf("timer_create %ld id-set %d\n", r, id >= 0);
    struct ts32 spec[4];
    memset(spec, 0x5a, sizeof spec);
    spec[0] = (struct ts32){0, 0};
    spec[1] = (struct ts32){50, 0};
    printf("timer_settime %ld\n", SC(260, id, 0, (long)spec, 0));
    printf("timer_gettime %ld", SC(261, id, (long)(spec + 2)));
    printf(" value<=50 %d\n", spec[3].sec <= 50 && spec[3].sec >= 48);
    struct ts64 spec64[2];
    printf("timer_gettime64 %ld", SC(408, id, (long)spec64));
    printf(" value<=50 %d\n", spec64[1].sec <= 50 && spec64[1].sec >= 48);
    printf("timer_delete %ld\n", SC(263, id));
    int word = 0;
    struct ts32 to = {0, 1000000};
    printf("futex wait timeout %ld\n", SC(240, (long)&word, 128 /* PRIVATE */, 0, (long)&to));
    printf("futex wait again %ld\n", SC(240, (long)&word, 128, 1, (long)&to));
    struct ts64 to64 = {0, 1000000};
    printf("futex_time64 wait timeout %ld\n", SC(422, (long)&word, 128, 0, (long)&to64));
    to.nsec = -1;
    printf("futex bad timeout %ld\n", SC(240, (long)&word, 128, 0, (long)&to));
    int p[2];
    pipe(p);
    struct { int fd; short events, revents; } pfd = {p[0], 1, 0};
    struct ts32 pt[2] = {{0, 2000000}, {0x5a5a5a5a, 0}};
    long n = SC(309, (long)&pfd, 1, (long)pt, 0, 8);
    printf("ppoll timeout %ld left-ok %d guard %d\n", n, pt[0].sec == 0 && pt[0].nsec >= 0,
           pt[1].sec == 0x5a5a5a5a);
    write(p[1], "x", 1);
    pt[0].nsec = 2000000;
    n = SC(309, (long)&pfd, 1, (long)pt, 0, 8);
    printf("ppoll ready %ld revents %d\n", n, pfd.revents);
    uint32_t set = 1u << p[0];
    struct { uint32_t sigset, size; } sig = {0, 8};
    pt[0] = (struct ts32){1, 0};
    n = SC(308, p[0] + 1, (long)&set, 0, 0, (long)pt, (long)&sig);
    printf("pselect6 %ld set-same %d\n", n, set == 1u << p[0]);
    struct ts64 pt64 = {1, 0};
    set = 1u << p[0];
    printf("pselect6_time64 %ld\n", SC(413, p[0] + 1, (long)&set, 0, 0, (long)&pt64, 0));
    printf("ppoll_time64 %ld\n", SC(414, (long)&pfd, 1, (long)&pt64, 0, 8));
}

static void ioctls(void)
{
    long sargs[3] = {2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0};
    long s = SC(102, 1, (long)sargs);
    unsigned char ifr[32 + 8];
    memset(ifr, 0x5a, sizeof ifr);
    memset(ifr, 0, 16);
    strcpy((char *)ifr, "lo");
    long r = SC(54, s, 0x8933 /* SIOCGIFINDEX */, (long)ifr);
    printf("SIOCGIFINDEX lo %ld index %d guard %x\n", r, *(int *)(ifr + 16), ifr[32]);
    struct { int32_t len; uint32_t buf; } ifc = {0, 0};
    r = SC(54, s, 0x8912 /* SIOCGIFCONF */, (long)&ifc);
    printf("SIOCGIFCONF length %ld whole ifreqs %d\n", r, ifc.len > 0 && ifc.len % 32 == 0);
    close(s);
    int p[2];
    pipe(p);
    write(p[1], "abc", 3);
    int n = -1;
    r = SC(54, p[0], 0x541B /* FIONREAD */, (long)&n);
    printf("pipe FIONREAD %ld %d\n", r, n);
    printf("pipe TCGETS %ld\n", SC(54, p[0], 0x5401, (long)ifr));
    long tfd = SC(322, 1, 0);
    uint64_t ticks = 5;
    printf("timerfd SET_TICKS %ld\n", SC(54, tfd, 0x40085400, (long)&ticks));
    int on = 1;
    r = SC(54, p[0], 0x5421, (long)&on);
    printf("FIONBIO %ld flags-nonblock %d\n", r, (SC(221, p[0], 3 /* F_GETFL */) & 04000) != 0);
}

static void memory(void)
{
    /* the i386 task's address space ends at 0xffffe000 (TASK_SIZE for a compat mm) */
    printf("mmap2 fixed past 4G-8K %ld\n", SC(192, 0xffffd000, 0x2000, 3, 0x32 /* FIXED|PRIVATE|ANON */, -1, 0));
    printf("munmap past the end %ld\n", SC(91, 0xfffff000, 0x1000));
    long cur = SC(45, 0);
    printf("brk past the end unchanged %d\n", SC(45, 0xfffff000) == cur);
    unsigned long a = SC(192, 0, 0x1000, 3, 0x22, -1, 0);
    printf("mremap fixed past the end %ld\n", SC(163, a, 0x1000, 0x2000, 3, 0xfffff000));
    printf("mmap2 anywhere below 4G %d\n", a < 0xffffe000UL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    times32();
    limits();
    names();
    sockets();
    ipc();
    timers();
    memory();
    ioctls();
    return 0;
}
