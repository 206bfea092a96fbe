"""One virtual CPU made of two emulator instances: one runs unbounded, one counts.

The timer tick is a budget (apic_timer.py) counted by a hook that runs at the start of
every translated block (entry_shim.c). Installed for good, it would slow every block, also
when no budget is wanted. Without the C shim the budget is Unicorn 2.1.4's instruction
count, a code hook called before every instruction that Unicorn installs for a run with a
budget and removes for the next run without one; removing it drops every translated block
(cpu.py: ``Cpu._set_counting``), so on one instance each change between the two kinds of
run retranslated all the code the guest runs (a busybox fork+exec loop spent two thirds
of its time doing that).

A ``CpuPair`` holds two ``Cpu`` objects over the same physical memory and kernel page
tables: ``free`` only ever runs without a budget, ``counted`` only with one, so neither ever
drops its translations. The kernel sees the interface of one ``Cpu``:

- a run without a budget that finds the context on ``counted`` (with the C tick hook)
  stays there, with a short budget of its own (``STAY_BLOCKS``) after which the context
  moves to ``free`` and the run goes on. Tasks that ping-pong through a pipe switch
  between budgeted and unbudgeted runs every few µs, and moving the context costs more
  than the tick hook does over such short runs; a run that goes on past a few thousand
  blocks (a program starting up, a loop) pays the move back and ends up on ``free``;

- the user context (pt_regs with FS/GS base, the FPU/SSE state, CR3) lives in the instance
  that ran last. It moves to the other, as one saved context, only when the kind of run
  changes. The register
  methods are the live instance's own bound methods (rebound on a change), so the syscall
  fast path costs nothing extra;
- ``load_cr3`` and ``flush_tlb`` act on the live instance and mark the idle one stale; the
  idle one reloads CR3 (which also empties its TLB) before it runs or resolves an address;
- ``invalidate_code`` reaches both instances, the idle one with the same page tables loaded,
  so neither keeps translated code for bytes the kernel replaced.

Limit: an instance notices guest stores into code it translated only when it made the store
itself. Code the guest writes and then runs on the other instance (a JIT patching its code
in place while the kind of run changes in between) may run the old translation.
"""

STAY_BLOCKS = 2_000             # an unbudgeted run on `counted`: blocks before moving to `free`

# The register and fault-state methods (and the syscall return slot) of the live
# instance, bound on the pair itself.
_LIVE_METHODS = ("read_regs", "write_regs", "read_reg", "write_reg", "syscall_args",
                 "set_return", "read_fxsave", "write_fxsave", "read_fp_raw", "write_fp_state",
                 "fault_address", "keep_error", "return_slot", "save_context", "set_tsc_disabled",
                 "user_cs", "load_tls", "read_segment", "load_segment", "compat_syscall_args")


class CpuPair:
    """A virtual CPU as two ``Cpu`` instances, one per kind of run (see the module doc)."""

    def __init__(self, free, counted):
        """counted: the counting ``Cpu``, or a function that makes it when it is first
        needed (``Cpu.paired``): a run with one task never has a budget, and a second
        emulator instance costs its set-up at every start."""
        self.free = free
        self._counted = None
        self._new_counted = counted if callable(counted) else None
        self.cpu_id = free.cpu_id
        self.kernel_pgd_entry = free.kernel_pgd_entry
        self.default_fxsave = free.default_fxsave
        self.budget_unit = free.budget_unit     # the same shim, so the same unit
        self.current_cr3 = free.current_cr3
        self.mode_switches = 0          # times the user context moved between the instances
        self.stays_ended = 0            # unbudgeted runs on `counted` that moved to `free`
        self._on_syscall = None
        self._on_exception = None
        self._on_sysenter = None
        self._live = None
        self._moving = None             # the blob a context moves between instances in
        self._idle_stale = True         # the idle instance's CR3/TLB may be out of date
        self._flush_pending = False     # a deferred TLB flush, for the end of the run
        if self._new_counted is None:
            self._adopt(counted)
        self._make_live(free)

    @property
    def counted(self):
        """The counting instance, made on first use."""
        counted = self._counted
        if counted is None:
            counted = self._adopt(self._new_counted())
        return counted

    def _adopt(self, counted):
        """Take counted as the counting instance: the kernel's callbacks, stale CR3/TLB."""
        if self.free.kernel_table is not counted.kernel_table:
            raise ValueError("the two instances of a CpuPair must share the kernel page tables")
        if self._on_syscall is not None:
            counted.on_syscall = self._on_syscall
        if self._on_exception is not None:
            counted.on_exception = self._on_exception
        if self._on_sysenter is not None:
            counted.on_sysenter = self._on_sysenter
        self._counted = counted
        self._idle_stale = True
        return counted

    # ----- the kernel's entry callbacks go to both instances -----------------------------

    @property
    def on_syscall(self):
        return self._on_syscall

    @on_syscall.setter
    def on_syscall(self, fn) -> None:
        self._on_syscall = self.free.on_syscall = fn
        if self._counted is not None:
            self._counted.on_syscall = fn

    @property
    def on_exception(self):
        return self._on_exception

    @on_exception.setter
    def on_exception(self, fn) -> None:
        self._on_exception = self.free.on_exception = fn
        if self._counted is not None:
            self._counted.on_exception = fn

    @property
    def on_sysenter(self):
        return self._on_sysenter

    @on_sysenter.setter
    def on_sysenter(self, fn) -> None:
        self._on_sysenter = self.free.on_sysenter = fn
        if self._counted is not None:
            self._counted.on_sysenter = fn

    @property
    def on_rdtsc(self):
        return self.free.on_rdtsc

    @on_rdtsc.setter
    def on_rdtsc(self, fn) -> None:
        self.free.on_rdtsc = self.counted.on_rdtsc = fn

    def rdtsc_reads(self) -> int:
        return self.free.rdtsc_reads() + self.counted.rdtsc_reads()

    # ----- running ------------------------------------------------------------------------

    def syscall_ns(self, take: bool = False) -> int:
        """Cpu.syscall_ns of both instances: a run may have moved between them."""
        counted = self._counted
        return self.free.syscall_ns(take) + (counted.syscall_ns(take) if counted else 0)

    @property
    def live(self):
        """The instance holding the user context (the one that ran last)."""
        return self._live

    def run(self, rip: int, budget: int = 0):
        """``Cpu.run`` on the instance for this kind of run (see Cpu.run for the reasons)."""
        reason = self._run_on_instance(rip, budget)
        if self._flush_pending:                 # see flush_tlb_deferred
            self._flush_pending = False
            self._live.flush_tlb()
        return reason

    def _run_on_instance(self, rip: int, budget: int):
        if not budget:
            if self._live is self._counted and self.budget_unit == "block":
                return self._run_staying(rip)
            return self._make_live(self.free).run(rip)
        if self.counted.consume_stall(rip):
            # The counting instance cannot get past a fault on this first instruction:
            # the unbounded one takes it, so the counting one never runs without a count.
            return self._make_live(self.free).run_to_next_event(rip)
        return self._make_live(self.counted).run(rip, budget)

    def blocks_run(self, budget: int) -> int:
        """Blocks the last budgeted run took (0 if an uncounted run stood in for it)."""
        live = self._live
        return live.blocks_run(budget) if live is self._counted else 0

    def _run_staying(self, rip: int):
        """An unbudgeted run begun on `counted` (see the module doc)."""
        counted = self.counted
        reason = counted.run(rip, STAY_BLOCKS)
        if reason != "tick" or not counted.budget_expired:
            return reason
        self.stays_ended += 1
        return self._make_live(self.free).run(counted.read_reg("rip"))

    def interrupt(self) -> None:
        """From another thread: stop whichever instance is running (see Cpu.interrupt)."""
        self.free.interrupt()
        counted = self._counted                 # not made yet: nothing of it runs
        if counted is not None:
            counted.interrupt()

    @property
    def running(self) -> bool:
        """Is one of the instances inside uc_emu_start (we are in one of its hooks)?"""
        counted = self._counted
        return self.free.running or (counted is not None and counted.running)

    def _idle(self):
        return self.counted if self._live is self.free else self.free

    def _make_live(self, target):
        """Move the user context into target unless it is there; return target."""
        live = self._live
        if target is live:
            return target
        if live is not None:
            self._moving = live.save_context(self._moving)
            self._sync_idle()
            target.restore_context(self._moving)
            self.mode_switches += 1
        self._live = target
        for name in _LIVE_METHODS:
            setattr(self, name, getattr(target, name))
        return target

    def restore_context(self, ctx, cr3: int) -> None:
        """Load a context saved while ``cr3`` was loaded into the live instance
        (Cpu.restore_context). A blob from another address space brings its CR3 along
        without emptying the TLB: the live CR3 is then loaded again, which does."""
        self._live.restore_context(ctx)
        if cr3 != self.current_cr3:
            self._live.load_cr3(self.current_cr3)

    def switch_context(self, save, restore, cr3: int):
        """Cpu.switch_context on the live instance: cr3 (unless 0) becomes the loaded
        address space, with an empty TLB; the idle instance follows before it is used."""
        saved = self._live.switch_context(save, restore, cr3)
        if cr3:
            self._cr3_loaded(cr3)
        return saved

    def read_context(self, ctx):
        """(pt_regs dict, FPU raw, fs and gs selectors) of a saved context, decoded on the
        idle instance (whose own registers are garbage by design): to look at a task that
        is off the CPU."""
        idle = self._idle()
        idle.restore_context(ctx)
        regs, fpu = idle.read_regs(), idle.read_fp_raw()
        segs = tuple((name, idle.read_segment(name)) for name in ("fs", "gs"))
        self._idle_stale = True               # it now holds that context's CR3
        return regs, fpu, segs

    # ----- memory management unit ---------------------------------------------------------

    def _sync_idle(self) -> None:
        """Give the idle instance the live page tables and an empty TLB, if it lacks them
        (a counting instance not made yet is synced when it is made and first used)."""
        if self._idle_stale and (self._counted is not None or self._live is not self.free):
            idle = self._idle()
            idle.load_cr3(self.current_cr3)
            idle.flush_tlb()
            self._idle_stale = False

    def set_user_mode(self, cs: int, pgd: int, rip: int) -> None:
        """Cpu.set_user_mode on the live instance (it loads pgd)."""
        self._live.set_user_mode(cs, pgd, rip)
        self._cr3_loaded(pgd)

    def load_cr3(self, pgd: int) -> None:
        """switch_mm (see Cpu.load_cr3); the idle instance follows before it is used."""
        self._live.load_cr3(pgd)
        self._cr3_loaded(pgd)

    def _cr3_loaded(self, pgd: int) -> None:
        """The live instance loaded pgd, which flushed its TLB; the idle one is behind."""
        self._flush_pending = False
        self.current_cr3 = pgd
        self._idle_stale = True

    def flush_tlb(self) -> None:
        """Drop cached translations of both instances (the idle one's before its next use)."""
        self._live.flush_tlb()
        self._flush_pending = False
        self._idle_stale = True

    def flush_tlb_deferred(self) -> None:
        """flush_tlb for a PTE that only gained write permission, called from the CPU's
        own write fault (copy-on-write): the live instance's TLB may keep the read-only
        entry until this run ends. The retried write cannot use that entry (it lacks
        write permission), so the emulator walks the page table again and replaces it;
        reads before that see the old frame, whose bytes the new one copies. Should the
        run end before the retry, the flush at its end takes the entry away before the
        kernel writes to the page. A full flush per fault would also empty the TLB and
        the jump cache of every other page."""
        self._flush_pending = True
        self._idle_stale = True

    def invalidate_code(self, start: int, end: int) -> None:
        """Forget translated code for a user range in both instances (see Cpu.invalidate_code).

        The range is resolved through the page tables, so the idle instance first gets the
        live ones: both then drop the code of the same physical frames.
        """
        self._live.invalidate_code(start, end)
        if self._counted is None:               # not made yet: it has no code to forget
            return
        self._sync_idle()
        self._idle().invalidate_code(start, end)

    # ----- a debugger's code flushes and watchpoints reach both instances ----------------

    def flush_code(self) -> None:
        """Cpu.flush_code on both instances."""
        self.free.flush_code()
        if self._counted is not None:
            self._counted.flush_code()

    def add_watch(self, begin: int, end: int, kinds: str, on_access):
        """Cpu.add_watch on both instances (the counting one made now if it was not)."""
        return [(cpu, cpu.add_watch(begin, end, kinds, on_access))
                for cpu in (self.free, self.counted)]

    def remove_watch(self, handles) -> None:
        for cpu, own in handles:
            cpu.remove_watch(own)


__all__ = ["CpuPair"]
