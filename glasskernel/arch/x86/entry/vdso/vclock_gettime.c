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

#define __NR_gettimeofday	96
#define __NR_time		201
#define __NR_clock_gettime	228
#define __NR_clock_getres	229
#define __NR_getcpu		309

struct kernel_timespec { int64_t tv_sec; long tv_nsec; };
struct kernel_timeval { int64_t tv_sec; long tv_usec; };
struct kernel_timezone { int tz_minuteswest; int tz_dsttime; };

/* The data page, placed by the linker script at [vvar] + VVAR_DATA_OFFSET. The kernel
 * rewrites it: every read is volatile (READ_ONCE) and inside the seqcount loop. */
extern const volatile struct vdso_data _vdso_data[CS_BASES] __attribute__((visibility("hidden")));

/* ----- the real syscalls, for what the data page does not answer ---------------------- */

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
static unsigned __int128 vdso_calc_delta(const volatile struct vdso_data *vd, uint64_t cycles)
{
	uint64_t last = vd->cycle_last;

	if (cycles <= last)
		return 0;
	return (unsigned __int128)((cycles - last) & vd->mask) * vd->mult;
}

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
	uint64_t cycles, ns, mono;
	uint32_t seq;

	do {
		seq = vdso_read_begin(vd);
		if (vd->clock_mode != VDSO_CLOCKMODE_TSC)
			return -1;
		cycles = rdtsc_ordered();
		ns = base_ns(vd, &vd->basetime[clock], cycles);
		if (coarse && hres->tick_nsec) {
			mono = base_ns(hres, &hres->basetime[CLOCK_MONOTONIC], cycles);
			ns -= (mono - hres->tick_base) % hres->tick_nsec;
		}
	} while (vdso_read_retry(vd, seq));
	ts->tv_sec = (int64_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
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

/* ----- the entry points ---------------------------------------------------------------- */

int __vdso_clock_gettime(int clock, struct kernel_timespec *ts)
{
	if (cvdso_clock_gettime_common(clock, ts))
		return (int)syscall2(__NR_clock_gettime, clock, (long)ts);
	return 0;
}
int clock_gettime(int, struct kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_gettime")));

int __vdso_gettimeofday(struct kernel_timeval *tv, struct kernel_timezone *tz)
{
	const volatile struct vdso_data *vd = &_vdso_data[CS_HRES_COARSE];
	struct kernel_timespec ts;

	if (tv) {
		if (do_hres(vd, CLOCK_REALTIME, &ts, 0))
			return (int)syscall2(__NR_gettimeofday, (long)tv, (long)tz);
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = ts.tv_nsec / NSEC_PER_USEC;
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
int64_t __vdso_time(int64_t *t)
{
	struct kernel_timespec ts;

	if (do_hres(&_vdso_data[CS_HRES_COARSE], CLOCK_REALTIME, &ts, 1))
		return syscall2(__NR_time, (long)t, 0);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));

int __vdso_clock_getres(int clock, struct kernel_timespec *res)
{
	const volatile struct vdso_data *vd = &_vdso_data[CS_HRES_COARSE];
	uint32_t msk = (uint32_t)clock < MAX_CLOCKS ? 1U << clock : 0;
	long ns;

	if (vd->clock_mode != VDSO_CLOCKMODE_TSC)
		msk = 0;
	if (msk & (VDSO_HRES | VDSO_RAW))
		ns = vd->hrtimer_res;
	else if (msk & VDSO_COARSE)
		ns = (long)vd->tick_nsec;
	else
		return (int)syscall2(__NR_clock_getres, clock, (long)res);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = ns;
	}
	return 0;
}
int clock_getres(int, struct kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_getres")));

/* getcpu(2) from the page: glasskernel has one CPU on one node. */
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
