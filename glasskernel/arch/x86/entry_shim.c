/*
 * The CPU backend's hot hooks, in C (loaded by entry_shim.py; see cpu.py).
 *
 * Unicorn calls these from inside emulated code. Doing their work in Python costs a
 * ctypes call per register access (~1-2 us each); here it is a plain C call:
 *
 *  - gk_syscall_hook: the `syscall` instruction. Reads the number and the six argument
 *    registers into the shared gk_entry, runs the kernel's Python callback (which answers
 *    "keep running?"), writes rax back if the kernel set a return value, and stops the
 *    emulator when the kernel asked to leave, or when it asked to stop at the next event
 *    (noting which of the two it was).
 *  - gk_block_hook: the timer tick. Counts translated blocks as they start and stops the
 *    emulator when the budget runs out. The stop is requested from the emulator's own
 *    thread at a block boundary, so the run ends cleanly between two blocks (unlike a stop
 *    from another thread, see apic_timer.py).
 *
 *  - gk_switch_context: a task switch's three emulator calls in one (save the outgoing
 *    context, load the incoming one, load CR3), for a switch inside the syscall hook.
 *    With the patched Unicorn the first two are its uc_context_switch, which copies
 *    only the part of the context a user task owns.
 *
 *  - gk_intr_hook: exceptions (page faults above all). Reads CR2 into gk_entry, runs the
 *    kernel's Python callback (which answers "fixed?"), and then either forgets the
 *    exception in flight (see cpu.py: _clear_fault_state) and lets the instruction retry,
 *    or records the vector and stops the emulator.
 *
 *  - gk_rdtsc_hook: the `rdtsc` instruction. The virtual CPU's time stamp counter runs at
 *    1 GHz on the kernel's clock: the host's CLOCK_MONOTONIC read here, or, when the
 *    kernel set on_rdtsc (a deterministic run), its virtual clock. The vDSO reads the
 *    time this way without entering the kernel (kernel/time_vsyscall.py).
 *
 * This file does not include Unicorn's headers: the library's entry points arrive as
 * function pointers in gk_entry, filled in by Python from the loaded library.
 */
#include <stdint.h>
#include <time.h>

#define GK_SYSCALL_REGS 7       /* rax, rdi, rsi, rdx, r10, r8, r9 */
#define GK_ENTRY_REGS 9         /* those, then rip and rflags */
#define GK_SAVED_REGS 2         /* rcx, r11: what `syscall` writes */

struct gk_entry {
	/* Filled by gk_syscall_hook before the callback runs: the syscall's registers,
	 * then the return rip and rflags (as `syscall` saves them in rcx and r11). */
	uint64_t regs[GK_ENTRY_REGS];
	/* Set by the callback: the value for rax and whether to write it. */
	uint64_t ret;
	int64_t ret_valid;
	/* Nonzero while the callback runs (rip has not yet moved past `syscall`). */
	int64_t in_hook;
	/* The budget: blocks left before a tick (0 = unbounded) and whether it ran out. */
	int64_t blocks_left;
	int64_t budget_expired;
	/* Why the syscall hook stopped the run: the kernel asked to leave, or it had asked
	 * for a stop at the next event (stop_at_event, cleared when taken). */
	int64_t left_for_syscall;
	int64_t stop_at_event;
	int64_t stopped_at_event;
	/* Set once by Python. */
	void *uc;
	int (*reg_read_batch)(void *uc, int *ids, void **vals, int count);
	int (*reg_write)(void *uc, int regid, const void *value);
	int (*emu_stop)(void *uc);
	int (*on_syscall)(void);
	int64_t rax_id;
	int reg_ids[GK_ENTRY_REGS];
	void *reg_ptrs[GK_ENTRY_REGS];
	/* The exception hook's: CR2 at the exception, and the vector of one the kernel did
	 * not fix (-1: none). */
	uint64_t cr2;
	int64_t exception_vector;
	/* Set once by Python. fault_state points into fault_ctx, a context blob: the
	 * emulator's "exception in flight" field (NULL until the CPU self-test found it). */
	int64_t cr2_id;
	int (*reg_read)(void *uc, int regid, void *value);
	int (*context_save)(void *uc, void *ctx);
	int (*context_restore)(void *uc, void *ctx);
	int (*on_exception)(uint32_t vector);
	void *fault_ctx;
	int32_t *fault_state;
	/* Set once by Python: for gk_switch_context. context_switch is the patched Unicorn's
	 * uc_context_switch (both halves at once, copying only what a task owns), or NULL. */
	int64_t cr3_id;
	int (*context_switch)(void *uc, void *save, void *restore);
	/* Set once by Python: for the rcx and r11 that `syscall` writes. */
	int (*reg_write_batch)(void *uc, int *ids, void **vals, int count);
	int saved_ids[GK_SAVED_REGS];
	void *saved_ptrs[GK_SAVED_REGS];   /* point at regs[GK_SYSCALL_REGS..] */
	/* Set by Python: for gk_rdtsc_hook. on_rdtsc is the kernel's clock in ns, or NULL
	 * for the host's CLOCK_MONOTONIC. */
	uint64_t (*on_rdtsc)(void);
	int64_t rdx_id;
	uint64_t rdtsc_reads;	/* counted here: the trace reports the vDSO's clock reads */
	/* Host ns spent in on_syscall since the kernel last took it: the fast syscalls'
	 * system time, which the end of the run leaves out of the task's user time. */
	uint64_t syscall_ns;
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void stop_if_asked(void *uc, struct gk_entry *e)
{
	if (e->stop_at_event) {
		e->stop_at_event = 0;
		e->stopped_at_event = 1;
		e->emu_stop(uc);
	}
}

void gk_syscall_hook(void *uc, struct gk_entry *e)
{
	uint64_t entered;
	int keep;

	e->reg_read_batch(uc, e->reg_ids, e->reg_ptrs, GK_ENTRY_REGS);
	/* The instruction's own work, which Unicorn's hook leaves out: rcx = the return rip
	 * (rip is still at `syscall` here), r11 = rflags. entry_SYSCALL_64 saves them as
	 * pt_regs->cx and ->r11, and the user sees them after the syscall. */
	e->regs[GK_SYSCALL_REGS] += 2;
	e->reg_write_batch(uc, e->saved_ids, e->saved_ptrs, GK_SAVED_REGS);
	e->ret_valid = 0;
	e->in_hook = 1;
	entered = monotonic_ns();
	keep = e->on_syscall();
	e->syscall_ns += monotonic_ns() - entered;
	e->in_hook = 0;
	if (e->ret_valid)
		e->reg_write(uc, (int)e->rax_id, &e->ret);
	if (!keep) {
		e->left_for_syscall = 1;
		e->emu_stop(uc);
	} else {
		stop_if_asked(uc, e);
	}
}

void gk_intr_hook(void *uc, uint32_t vector, struct gk_entry *e)
{
	e->reg_read(uc, (int)e->cr2_id, &e->cr2);
	if (!e->on_exception(vector)) {
		e->exception_vector = vector;
		e->emu_stop(uc);
		return;
	}
	if (e->fault_state && vector != 0x80) {
		/* Save the CPU state into the blob, reset the field there, load it back.
		 * (int $0x80, a software interrupt, leaves no exception in flight.) */
		e->context_save(uc, e->fault_ctx);
		*e->fault_state = -1;
		e->context_restore(uc, e->fault_ctx);
	}
	stop_if_asked(uc, e);
}

void gk_block_hook(void *uc, uint64_t address, uint32_t size, struct gk_entry *e)
{
	(void)address;
	(void)size;
	if (e->blocks_left > 0 && --e->blocks_left == 0) {
		e->budget_expired = 1;
		e->emu_stop(uc);
	}
}

/* Save the live CPU context into `save`, load `restore`, then load `cr3` unless it is 0
 * (which also empties the TLB: the restored context brought its CR3 value but not the
 * translations). Returns the first nonzero error of the three calls. */
int gk_switch_context(struct gk_entry *e, void *save, void *restore, uint64_t cr3)
{
	int err;

	if (e->context_switch) {
		err = e->context_switch(e->uc, save, restore);
	} else {
		err = e->context_save(e->uc, save);
		if (!err)
			err = e->context_restore(e->uc, restore);
	}
	if (!err && cr3)
		err = e->reg_write(e->uc, (int)e->cr3_id, &cr3);
	return err;
}

/* rdtsc: edx:eax = the kernel's clock in nanoseconds (a 1 GHz TSC). Returns 1: Unicorn
 * skips the instruction's own work. */
int gk_rdtsc_hook(void *uc, struct gk_entry *e)
{
	uint64_t now, lo, hi;

	now = e->on_rdtsc ? e->on_rdtsc() : monotonic_ns();
	e->rdtsc_reads++;
	lo = now & 0xffffffffULL;
	hi = now >> 32;
	e->reg_write(uc, (int)e->rax_id, &lo);
	e->reg_write(uc, (int)e->rdx_id, &hi);
	return 1;
}
