/*
 * The data page the kernel shares with the vDSO (include/vdso/datapage.h, Linux 6.1 x86-64).
 *
 * The [vvar] area is four pages just below [vdso]; the first one holds an array of two
 * vdso_data at VVAR_DATA_OFFSET: [CS_HRES_COARSE] for the high-resolution and coarse
 * clocks, [CS_RAW] for CLOCK_MONOTONIC_RAW. glasskernel/kernel/time_vsyscall.py writes
 * the same layout (its _VDSO_DATA struct) and the tests check that the two agree.
 */
#ifndef GK_VVAR_H
#define GK_VVAR_H

#include <stdint.h>

#define VVAR_PAGES		4
#define VVAR_DATA_OFFSET	128
#define CS_HRES_COARSE		0
#define CS_RAW			1
#define CS_BASES		2
#define VDSO_BASES		12	/* CLOCK_TAI + 1: one base per clock id */

/* clock_mode: how the vDSO reads time. NONE sends every call to the real syscall. */
#define VDSO_CLOCKMODE_NONE	0
#define VDSO_CLOCKMODE_TSC	1

struct vdso_timestamp {
	uint64_t sec;		/* seconds at cycle_last */
	uint64_t nsec;		/* nanoseconds at cycle_last, shifted left by `shift` */
};

struct vdso_data {
	uint32_t seq;		/* odd while the kernel rewrites this structure */
	int32_t clock_mode;
	uint64_t cycle_last;	/* the counter when basetime was taken */
	uint64_t mask;		/* the counter's valid bits */
	uint32_t mult;		/* counter cycles to shifted ns: (delta * mult) >> shift */
	uint32_t shift;
	struct vdso_timestamp basetime[VDSO_BASES];
	int32_t tz_minuteswest;
	int32_t tz_dsttime;
	uint32_t hrtimer_res;
	uint32_t cpu;		/* glasskernel: the CPU getcpu reports (one CPU) */
	/*
	 * glasskernel: the coarse clocks' tick. A task that runs alone on the CPU runs without
	 * timer interrupts, so no tick would move the coarse clocks; they read the
	 * time of the last tick boundary instead: the high-resolution time minus
	 * (CLOCK_MONOTONIC - tick_base) % tick_nsec, what a perfectly regular tick gives.
	 */
	uint64_t tick_nsec;
	uint64_t tick_base;
};

/* The i386 image reads the same page: its 4-byte-aligned uint64_t must not move a field. */
_Static_assert(sizeof(struct vdso_data) == 256 &&
	       __builtin_offsetof(struct vdso_data, cycle_last) == 8 &&
	       __builtin_offsetof(struct vdso_data, basetime) == 32 &&
	       __builtin_offsetof(struct vdso_data, tick_nsec) == 240,
	       "struct vdso_data has one layout on x86-64 and i386");

#endif
