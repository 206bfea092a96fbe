/*
 * glasskernel's vDSO (arch/x86/entry/vdso/vclock_gettime.c, vgetcpu.c and
 * lib/vdso/gettimeofday.c of Linux 6.1): clock_gettime, gettimeofday, time, clock_getres
 * and getcpu answered in user mode from the [vvar] data page, without entering the kernel.
 *
 * Time is basetime + (counter - cycle_last) * mult >> shift, read under the seqcount. The
 * counter is the CPU's time stamp counter (rdtsc). glasskernel's virtual CPU runs its TSC
 * at 1 GHz from the kernel's own clock (arch/x86/cpu.py: the rdtsc hook), so the data page
 * says mult = 1, shift = 0 and the vDSO reads exactly the time the syscalls return; in a
 * --deterministic run that is the virtual clock.
 *
 * Clocks the page does not cover (the CPU-time clocks, bad ids) and clock_mode NONE go to
 * the real syscall, as Linux's vDSO does: same result, same errno.
 *
 * Built by scripts/build-vdso.sh into vdso64.so, which glasskernel ships and maps at exec.
 * vdso32/vclock_gettime.c includes this file with BUILD_VDSO32 defined for the i386
 * image (vdso32.so), as Linux does: the same reading of the same page, 32-bit entry
 * points and fallbacks.
 */
#include <stddef.h>
#include <stdint.h>
#include "vvar.h"

#define NSEC_PER_SEC	1000000000ULL
#define NSEC_PER_USEC	1000ULL

#define CLOCK_REALTIME		0
#define CLOCK_MONOTONIC		1
#define CLOCK_MONOTONIC_RAW	4
#define CLOCK_REALTIME_COARSE	5
#define CLOCK_MONOTONIC_COARSE	6
#define CLOCK_BOOTTIME		7
#define CLOCK_TAI		11
#define MAX_CLOCKS		16

#define VDSO_HRES	((1U << CLOCK_REALTIME) | (1U << CLOCK_MONOTONIC) | \
			 (1U << CLOCK_BOOTTIME) | (1U << CLOCK_TAI))
#define VDSO_COARSE	((1U << CLOCK_REALTIME_COARSE) | (1U << CLOCK_MONOTONIC_COARSE))
#define VDSO_RAW	(1U << CLOCK_MONOTONIC_RAW)

#ifdef BUILD_VDSO32
/* i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
#define __NR_time		13
#define __NR_gettimeofday	78
#define __NR_clock_gettime	265
#define __NR_clock_getres	266
#define __NR_clock_gettime64	403
#else
#define __NR_gettimeofday	96
#define __NR_time		201
#define __NR_clock_gettime	228
#define __NR_clock_getres	229
#define __NR_getcpu		309
#endif

/* __kernel_timespec is 64-bit on both ABIs; timeval and time_t are `long` (the "old" types). */
struct kernel_timespec { int64_t tv_sec; int64_t tv_nsec; };
struct kernel_timeval { long tv_sec; long tv_usec; };
struct kernel_timezone { int tz_minuteswest; int tz_dsttime; };

#ifdef BUILD_VDSO32
/* i386 has no 128-bit integers: the product is 64 bits, as in Linux's vDSO. */
typedef uint64_t vdso_product_t;
#else
typedef unsigned __int128 vdso_product_t;
#endif

/* The data page, placed by the linker script at [vvar] + VVAR_DATA_OFFSET. The kernel
 * rewrites it: every read is volatile (READ_ONCE) and inside the seqcount loop. */
extern const volatile struct vdso_data _vdso_data[CS_BASES] __attribute__((visibility("hidden")));

/* ----- the real syscalls, for what the data page does not answer ---------------------- */

#ifdef BUILD_VDSO32
/* Through __kernel_vsyscall, as Linux's i386 fallbacks do; ebx may be the PIC register,
 * so its value waits in edx (which the call preserves) meanwhile. */
static long syscall2(long nr, long a, long b)
{
	long ret;

	asm volatile("mov %%ebx, %%edx\n\t"
		     "mov %[a], %%ebx\n\t"
		     "call __kernel_vsyscall\n\t"
		     "mov %%edx, %%ebx"
		     : "=a"(ret) : "0"(nr), [a] "g"(a), "c"(b) : "edx", "memory");
	return ret;
}
#else
static long syscall2(long nr, long a, long b)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static long syscall3(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b), "d"(c)
		     : "rcx", "r11", "memory");
	return ret;
}
#endif

/* ----- reading the data page ---------------------------------------------------------- */

/* vdso_read_begin: wait out a writer, then remember the sequence count. */
static uint32_t vdso_read_begin(const volatile struct vdso_data *vd)
{
	uint32_t seq;

	while ((seq = __atomic_load_n(&vd->seq, __ATOMIC_ACQUIRE)) & 1)
		asm volatile("pause");
	return seq;
}

/* vdso_read_retry: did a writer change the page while we read it? */
static int vdso_read_retry(const volatile struct vdso_data *vd, uint32_t start)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&vd->seq, __ATOMIC_RELAXED) != start;
}

/* rdtsc_ordered: the counter, not read ahead of the loads before it. */
static uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* Shifted nanoseconds since cycle_last; 0 if the counter is (slightly) behind it. */
static vdso_product_t vdso_calc_delta(const volatile struct vdso_data *vd, uint64_t cycles)
{
	uint64_t last = vd->cycle_last;

	if (cycles <= last)
		return 0;
	return (vdso_product_t)((cycles - last) & vd->mask) * vd->mult;
}

#ifdef BUILD_VDSO32
/* n / d and n % d without libgcc (i386 has no 64-bit divide): shift and subtract, at
 * most 64 rounds. d is never 0 here. */
static uint64_t div_u64_rem(uint64_t n, uint64_t d, uint64_t *rem)
{
	uint64_t q = 0;
	int shift = 0;

	while (!(d >> 63) && (d << 1) <= n) {
		d <<= 1;
		shift++;
	}
	for (; shift >= 0; shift--, d >>= 1) {
		q <<= 1;
		if (n >= d) {
			n -= d;
			q |= 1;
		}
	}
	*rem = n;
	return q;
}
#else
static uint64_t div_u64_rem(uint64_t n, uint64_t d, uint64_t *rem)
{
	*rem = n % d;
	return n / d;
}
#endif

/* The nanoseconds of a base at counter value `cycles` (64 bits hold them until 2554). */
static uint64_t base_ns(const volatile struct vdso_data *vd, const volatile struct vdso_timestamp *base,
			uint64_t cycles)
{
	uint64_t ns = (uint64_t)((base->nsec + vdso_calc_delta(vd, cycles)) >> vd->shift);

	return base->sec * NSEC_PER_SEC + ns;
}

/* The time of `clock` (its base in vd) into ts: 0, or -1 when the page cannot answer
 * (the caller makes the syscall). A coarse read goes back to the last tick boundary. */
static int do_hres(const volatile struct vdso_data *vd, int clock, struct kernel_timespec *ts, int coarse)
{
	const volatile struct vdso_data *hres = &_vdso_data[CS_HRES_COARSE];
	uint64_t cycles, ns, mono, rem;
	uint32_t seq;

	do {
		seq = vdso_read_begin(vd);
		if (vd->clock_mode != VDSO_CLOCKMODE_TSC)
			return -1;
		cycles = rdtsc_ordered();
		ns = base_ns(vd, &vd->basetime[clock], cycles);
		if (coarse && hres->tick_nsec) {
			mono = base_ns(hres, &hres->basetime[CLOCK_MONOTONIC], cycles);
			div_u64_rem(mono - hres->tick_base, hres->tick_nsec, &rem);
			ns -= rem;
		}
	} while (vdso_read_retry(vd, seq));
	ts->tv_sec = (int64_t)div_u64_rem(ns, NSEC_PER_SEC, &rem);
	ts->tv_nsec = (int64_t)rem;
	return 0;
}

/* __cvdso_clock_gettime_common: 0 when answered from the page, -1 for the syscall. */
static int cvdso_clock_gettime_common(int clock, struct kernel_timespec *ts)
{
	uint32_t msk;

	if ((uint32_t)clock >= MAX_CLOCKS)
		return -1;
	msk = 1U << clock;
	if (msk & VDSO_HRES)
		return do_hres(&_vdso_data[CS_HRES_COARSE], clock, ts, 0);
	if (msk & VDSO_COARSE)
		return do_hres(&_vdso_data[CS_HRES_COARSE], clock, ts, 1);
	if (msk & VDSO_RAW)
		return do_hres(&_vdso_data[CS_RAW], clock, ts, 0);
	return -1;
}

/* __cvdso_clock_getres_common: the resolution of `clock` into *ns: 0, or -1 when the
 * page cannot answer (the caller makes the syscall). */
static int cvdso_clock_getres_ns(int clock, long *ns)
{
	const volatile struct vdso_data *vd = &_vdso_data[CS_HRES_COARSE];
	uint32_t msk = (uint32_t)clock < MAX_CLOCKS ? 1U << clock : 0;

	if (vd->clock_mode != VDSO_CLOCKMODE_TSC)
		msk = 0;
	if (msk & (VDSO_HRES | VDSO_RAW))
		*ns = vd->hrtimer_res;
	else if (msk & VDSO_COARSE)
		*ns = (long)vd->tick_nsec;
	else
		return -1;
	return 0;
}

/* ----- the entry points ---------------------------------------------------------------- */

#ifdef BUILD_VDSO32
/* i386: clock_gettime and clock_getres fill the 32-bit old_timespec32; clock_gettime64
 * is the y2038-safe one. */
struct old_timespec32 { int32_t tv_sec; int32_t tv_nsec; };

int __vdso_clock_gettime(int clock, struct old_timespec32 *res)
{
	struct kernel_timespec ts;

	if (cvdso_clock_gettime_common(clock, &ts))
		return (int)syscall2(__NR_clock_gettime, clock, (long)res);
	res->tv_sec = (int32_t)ts.tv_sec;
	res->tv_nsec = (int32_t)ts.tv_nsec;
	return 0;
}
int clock_gettime(int, struct old_timespec32 *)
	__attribute__((weak, alias("__vdso_clock_gettime")));

int __vdso_clock_gettime64(int clock, struct kernel_timespec *ts)
{
	if (cvdso_clock_gettime_common(clock, ts))
		return (int)syscall2(__NR_clock_gettime64, clock, (long)ts);
	return 0;
}
int clock_gettime64(int, struct kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_gettime64")));

#else
int __vdso_clock_gettime(int clock, struct kernel_timespec *ts)
{
	if (cvdso_clock_gettime_common(clock, ts))
		return (int)syscall2(__NR_clock_gettime, clock, (long)ts);
	return 0;
}
int clock_gettime(int, struct kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_gettime")));

#endif

/* Both ABIs: the `long` timeval and time_t, 32 bits on i386. */
int __vdso_gettimeofday(struct kernel_timeval *tv, struct kernel_timezone *tz)
{
	const volatile struct vdso_data *vd = &_vdso_data[CS_HRES_COARSE];
	struct kernel_timespec ts;

	if (tv) {
		if (do_hres(vd, CLOCK_REALTIME, &ts, 0))
			return (int)syscall2(__NR_gettimeofday, (long)tv, (long)tz);
		tv->tv_sec = (long)ts.tv_sec;
		tv->tv_usec = (long)((unsigned long)ts.tv_nsec / (unsigned long)NSEC_PER_USEC);
	}
	if (tz) {
		tz->tz_minuteswest = vd->tz_minuteswest;
		tz->tz_dsttime = vd->tz_dsttime;
	}
	return 0;
}
int gettimeofday(struct kernel_timeval *, struct kernel_timezone *)
	__attribute__((weak, alias("__vdso_gettimeofday")));

/* time(2) reads the coarse realtime seconds, as the syscall does (ktime_get_real_seconds). */
long __vdso_time(long *t)
{
	struct kernel_timespec ts;

	if (do_hres(&_vdso_data[CS_HRES_COARSE], CLOCK_REALTIME, &ts, 1))
		return syscall2(__NR_time, (long)t, 0);
	if (t)
		*t = (long)ts.tv_sec;
	return (long)ts.tv_sec;
}
long time(long *) __attribute__((weak, alias("__vdso_time")));

#ifdef BUILD_VDSO32
int __vdso_clock_getres(int clock, struct old_timespec32 *res)
{
	long ns;

	if (cvdso_clock_getres_ns(clock, &ns))
		return (int)syscall2(__NR_clock_getres, clock, (long)res);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = (int32_t)ns;
	}
	return 0;
}
int clock_getres(int, struct old_timespec32 *)
	__attribute__((weak, alias("__vdso_clock_getres")));

#else
int __vdso_clock_getres(int clock, struct kernel_timespec *res)
{
	long ns;

	if (cvdso_clock_getres_ns(clock, &ns))
		return (int)syscall2(__NR_clock_getres, clock, (long)res);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = ns;
	}
	return 0;
}
int clock_getres(int, struct kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_getres")));

/* getcpu(2) from the page: glasskernel has one CPU on one node. (Linux 6.1's i386 vDSO
 * has no getcpu.) */
long __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	const volatile struct vdso_data *vd = &_vdso_data[CS_HRES_COARSE];

	(void)unused;
	if (vd->clock_mode == VDSO_CLOCKMODE_NONE)
		return syscall3(__NR_getcpu, (long)cpu, (long)node, 0);
	if (cpu)
		*cpu = vd->cpu;
	if (node)
		*node = 0;
	return 0;
}
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
#endif
