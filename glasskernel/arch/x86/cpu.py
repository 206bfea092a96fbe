"""The CPU backend: the one module that imports the emulator (DESIGN.md §2.4, §4 design A).

One ``Cpu`` is one virtual x86-64 CPU: a Unicorn instance in long mode with paging on,
whose "physical memory" is the kernel's ``PhysicalMemory`` buffer mapped once at address 0.
Address spaces are real four-level page tables loaded through CR3, so switching mm is a CR3
write and the emulator keeps its translated code across switches.

The kernel sees a small interface:
  - registers: ``read_regs``/``write_regs`` (all of pt_regs in one batch call; the stock
    binding costs several µs per register, see cpu_buffers.py), ``syscall_args`` (rax
    and the six argument registers), ``set_return``;
  - ``run(rip)``: execute user code until an event (syscall that asked to stop, exception,
    stop request), returning the event;
  - ``flush_tlb``, ``load_cr3``, ``invalidate_code``; whole contexts for task switches.
Syscalls are delivered to ``on_syscall`` *inside* the emulator hook (the fast path); it returns
True to keep running or False to leave ``run``, and must not raise (it hands a failure to
``keep_error``). Exceptions go to ``on_exception(vector)``, which returns True when the
fault was fixed (demand paging, COW) and execution may retry.

The syscall hook and the timer tick are C (entry_shim.c, built on first use): the hook
hands the kernel the syscall's registers and writes its result back with no ctypes call
(each costs ~1-2 µs), and the tick counts translated blocks and stops the run between
two of them. Without a C compiler the same work goes through ctypes and the tick is
Unicorn's per-instruction count (``_set_counting``); budgets are then instructions
instead of blocks.

The kernel's CPU is a ``CpuPair`` (cpu_pair.py, built by ``Cpu.paired``): one instance with
the tick hook for runs with a budget, one without it for runs alone on the CPU, so code
that runs alone does not pay the hook's few ns per block.

``rdtsc`` is hooked too: the virtual CPU's time stamp counter is the kernel's clock in
nanoseconds (``on_rdtsc``, else the host's CLOCK_MONOTONIC), which the vDSO reads.
"""
import ctypes
import operator
import struct
import time

from glasskernel.arch.x86 import emulator_build

emulator_build.select_library()     # before the binding loads its library (emulator_build.py)

from unicorn import UC_ARCH_X86, UC_MODE_64, UC_PROT_ALL, Uc, UcError
from unicorn import unicorn_const as ucc
from unicorn import x86_const as x86
from unicorn.unicorn_py3.unicorn import uclib

emulator_build.library_loaded()

from glasskernel.arch.x86 import entry_shim
from glasskernel.arch.x86.entry_shim import SYSCALL_INSN_LEN, SYSCALL_REGS, HooksInPython, fill_entry
from glasskernel.arch.x86.cpu_buffers import CpuContext, RegBatch, find_fault_state
from glasskernel.arch.x86.cpu_compat import CompatMode
from glasskernel.arch.x86.fpu import FpuRegisters
from glasskernel.arch.x86.hw_breakpoint import Watchpoints
from glasskernel.arch.x86.head_64 import (GDT_ADDR, KERNEL_TEXT, NEVER_REACHED, SELFTEST_FAULT_ADDR,
                                          map_kernel_text)
from glasskernel.arch.x86.segment import GDT_ENTRIES, USER32_CS

STALL_NS = 100_000           # a count-limited run that returns this fast made no progress
_MSR_EFER = 0xC0000080
_MSR_STAR = 0xC0000081
_EFER_SCE, _EFER_LME, _EFER_LMA, _EFER_NXE = 1, 1 << 8, 1 << 10, 1 << 11
_CR0_PE, _CR0_WP, _CR0_PG = 1, 1 << 16, 1 << 31
_CR4_TSD, _CR4_PAE = 1 << 2, 1 << 5
# sysretq loads CS = STAR[63:48] + 16 (__USER_CS) and SS = STAR[63:48] + 8 (__USER_DS);
# sysretl CS = STAR[63:48] itself (__USER32_CS), as Linux's MSR_STAR.
_USER_STAR_BASE = USER32_CS
VECTOR_PF = 14

# pt_regs order (arch/x86/include/asm/ptrace.h names), as read and written in one batch.
PT_REGS = ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
           "rax", "rcx", "rdx", "rsi", "rdi", "rip", "rflags", "rsp", "fs_base", "gs_base")
_UC_REG = {name: getattr(x86, "UC_X86_REG_" + ("EFLAGS" if name == "rflags" else name.upper()))
           for name in PT_REGS + ("cs", "ss", "ds", "es", "fs", "gs", "cr2", "cr3")}
# ... and in the i386 convention: the number in eax, then ebx, ecx, edx, esi, edi, ebp.
_COMPAT_SYSCALL_REGS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp")


_PT_REGS_VALUES = struct.Struct(f"<{len(PT_REGS)}Q")
# The x87/SSE state, as saved at a signal frame: FCW, FSW, FTW, MXCSR, ST0-7, XMM0-15.
_FP_REG_IDS = ([getattr(x86, "UC_X86_REG_" + n) for n in ("FPCW", "FPSW", "FPTAG", "MXCSR")]
               + [getattr(x86, f"UC_X86_REG_ST{i}") for i in range(8)]
               + [getattr(x86, f"UC_X86_REG_XMM{i}") for i in range(16)])
_GET_PT_REGS = operator.itemgetter(*PT_REGS)
_HOOK_SYSCALL_CFUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_HOOK_INTR_CFUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p)
_HOOK_RDTSC_CFUNC = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
RET_WORD = entry_shim.RET_OFFSET // 8                     # gk_entry as 64-bit words
RET_VALID_WORD = entry_shim.GkEntry.ret_valid.offset // 8
_U64 = ctypes.c_uint64
_UNTIL, _NO_TIMEOUT, _NO_COUNT = _U64(NEVER_REACHED), _U64(0), ctypes.c_size_t(0)  # per run
# uc_ctl's request word: the operation, the argument count, the control (unicorn.h).
_CTL_TLB_FLUSH = (ucc.UC_CTL_IO_WRITE << 30) | ucc.UC_CTL_TLB_FLUSH
# The library again, with no argument conversion: the binding's prototypes cost ~2 µs a
# call, these well under one. Arguments are passed as ctypes objects or small ints.
_fast = ctypes.CDLL(uclib._name)
for _name in ("uc_emu_start", "uc_emu_stop", "uc_reg_read", "uc_reg_write",
              "uc_reg_read_batch", "uc_reg_write_batch", "uc_ctl",
              "uc_context_save", "uc_context_restore"):
    getattr(_fast, _name).restype = ctypes.c_int


class EmulatorFault(Exception):
    """The emulator itself failed (not a guest fault): reported as an internal error."""


class Cpu(CompatMode, FpuRegisters, HooksInPython, Watchpoints):
    """One virtual CPU: an emulator instance in 64-bit long mode at CPL 3."""

    _lib = _fast                    # the emulator's C functions, for the parts in other files
    _reg_ids = _UC_REG              # register name -> the emulator's id
    _mem_hook_kinds = (ucc.UC_HOOK_MEM_READ, ucc.UC_HOOK_MEM_WRITE)   # for Watchpoints
    _mem_write_access = ucc.UC_MEM_WRITE

    def __init__(self, phys, cpu_id: int = 0, kernel_table=None, ticks: bool = True):
        """kernel_table: the kernel half of another Cpu on the same memory, to share it.
        ticks: whether runs may have a budget (the C tick hook costs a little per block)."""
        self.cpu_id = cpu_id
        self.phys = phys
        self._on_syscall = None         # set by the kernel: fn() -> bool (keep running?)
        self._on_exception = None       # set by the kernel: fn(vector) -> bool (fixed?)
        self._on_sysenter = self._sysenter_cb = None
        self._switching_mode = False    # set_user_mode's run: its #PF is the stop it wants
        self._on_rdtsc = None           # set by the kernel: fn() -> clock ns (the TSC)
        self.pending_error = None       # a Python exception raised inside a hook
        self.running = False            # inside uc_emu_start (so inside one of our hooks)
        self.stop_reason = None
        self.current_cr3 = 0
        self._stalled_at = None
        self._counting = False          # the emulator's count hook is installed
        self._shim = entry_shim.load()
        self.ticks = ticks
        # Budgets count translated blocks with the shim, instructions without it.
        self.budget_unit = "block" if self._shim else "instruction"
        self._entry = entry_shim.GkEntry()
        self._entry_words = memoryview(self._entry).cast("B").cast("Q")
        self._syscall_regs = self._entry_words[:SYSCALL_REGS]
        # syscall_args() -> [nr, a0..a5] from rax, rdi, rsi, rdx, r10, r8, r9, inside the
        # syscall hook only (gk_syscall_hook read them): the view's own tolist, no frame.
        self.syscall_args = self._syscall_regs.tolist
        # The syscall's result slot, written by do_syscall_64 itself (see set_return).
        self.return_slot = self._entry_words
        self.tb_flushes = 0             # times all translated code was dropped (switches of kind)
        self._uc = Uc(UC_ARCH_X86, UC_MODE_64)
        self._uch = self._uc._uch
        self._uc.mem_map_ptr(0, phys.size, UC_PROT_ALL, phys.address())
        self._all = RegBatch([_UC_REG[name] for name in PT_REGS], 8)
        self._fp = RegBatch(_FP_REG_IDS, 16)
        self._compat = RegBatch([_UC_REG[name] for name in _COMPAT_SYSCALL_REGS], 8)
        self._compat_values = struct.Struct(f"<{len(_COMPAT_SYSCALL_REGS)}Q")
        self._one = ctypes.c_uint64()
        self._one_ref = ctypes.byref(self._one)
        self._hooks = []
        self.kernel_table = kernel_table or map_kernel_text(phys)
        pgd = self.kernel_table.pgd
        self.kernel_pgd_entry = int.from_bytes(phys.view[pgd + 511 * 8:pgd + 512 * 8], "little")
        self._setup_long_mode()
        self._install_hooks()
        self._fault_ctx = None          # a context blob to edit the fault state in
        self._fault_ctx_ref = None
        self._fault_state = None        # its int32 field: the exception in flight
        self._enter_ring3_selftest()

    @classmethod
    def paired(cls, phys, cpu_id: int = 0):
        """The kernel's CPU: a CpuPair of an unbounded and a counting instance on phys
        (the counting one made when a run first has a budget)."""
        from glasskernel.arch.x86.cpu_pair import CpuPair
        free = cls(phys, cpu_id, ticks=False)
        return CpuPair(free, lambda: cls(phys, cpu_id, kernel_table=free.kernel_table))

    # ----- boot ---------------------------------------------------------------------------

    def _setup_long_mode(self) -> None:
        uc = self._uc
        uc.reg_write(x86.UC_X86_REG_CR3, self.kernel_table.pgd)
        uc.reg_write(x86.UC_X86_REG_CR4, uc.reg_read(x86.UC_X86_REG_CR4) | _CR4_PAE)
        uc.reg_write(x86.UC_X86_REG_MSR, (_MSR_EFER, _EFER_SCE | _EFER_LME | _EFER_LMA | _EFER_NXE))
        uc.reg_write(x86.UC_X86_REG_CR0, _CR0_PE | _CR0_WP | _CR0_PG)
        uc.reg_write(x86.UC_X86_REG_MSR, (_MSR_STAR, (_USER_STAR_BASE << 48) | (0x10 << 32)))
        uc.reg_write(x86.UC_X86_REG_GDTR, (0, GDT_ADDR, GDT_ENTRIES * 8 - 1, 0))
        self.current_cr3 = self.kernel_table.pgd
        self._kernel_ctx = uc.context_save()        # CPL 0: where a change of user mode starts

    def _enter_ring3_selftest(self) -> None:
        """Drop to CPL 3 through sysretq and learn where Unicorn keeps its fault state.

        Unicorn never runs guest interrupt delivery, the only code that forgets the exception
        in flight, so a second #PF would become a double fault. We find the field by faulting
        on purpose and comparing the CPU context before and during the fault, then reset it
        after each fault we fix (see ``_clear_fault_state``).
        """
        uc = self._uc
        uc.reg_write(x86.UC_X86_REG_RCX, SELFTEST_FAULT_ADDR)
        uc.reg_write(x86.UC_X86_REG_R11, 0x202)
        before = self._context_bytes(uc.context_save())
        seen = {}

        def probe(vector):
            seen["vector"] = vector
            seen["ctx"] = self._context_bytes(uc.context_save())
            return False

        self.on_exception = probe
        self._emu_start(KERNEL_TEXT)
        self.on_exception = None
        if seen.get("vector") != VECTOR_PF:
            raise EmulatorFault("CPU self-test: entering ring 3 did not fault as expected")
        offset = find_fault_state(before, seen["ctx"], VECTOR_PF)
        if offset is None:
            raise EmulatorFault("CPU self-test: Unicorn's fault-state field not found; "
                                "this Unicorn version is not supported (pin unicorn==2.1.4)")
        self._fault_ctx = uc.context_save()
        address = ctypes.cast(self._fault_ctx.context, ctypes.c_void_p).value
        self._fault_ctx_ref = ctypes.c_void_p(address)
        self._fault_state = ctypes.c_int32.from_address(address + offset)
        self._entry.fault_ctx = address             # from now on the C hook resets it too
        self._entry.fault_state = address + offset
        self._clear_fault_state()
        if uc.reg_read(x86.UC_X86_REG_CS) & 3 != 3:
            raise EmulatorFault("CPU self-test: not in user mode after sysretq")

    @staticmethod
    def _context_bytes(ctx) -> bytes:
        return ctypes.string_at(ctx.context, ctx.size)

    def _clear_fault_state(self) -> None:
        """Forget the exception in flight (QEMU's old_exception = -1) after fixing a fault:
        save the CPU state into our blob, reset the field there, load the blob back."""
        _fast.uc_context_save(self._uch, self._fault_ctx_ref)
        self._fault_state.value = -1
        _fast.uc_context_restore(self._uch, self._fault_ctx_ref)

    def _run_trampoline(self, rip: int) -> str:
        """Run the kernel text's sysret at rip until the #PF set_user_mode aims it at
        (the fault is the stop, not the task's): "" or the emulator's error."""
        self._switching_mode = True
        try:
            status = _fast.uc_emu_start(self._uch, _U64(rip), _UNTIL, _NO_TIMEOUT, _NO_COUNT)
        finally:
            self._switching_mode = False
        self._entry.exception_vector = -1
        self._clear_fault_state()
        return "" if status == ucc.UC_ERR_OK else str(UcError(status))

    @staticmethod
    def _fail(message: str) -> None:
        raise EmulatorFault(message)

    # ----- hooks --------------------------------------------------------------------------

    def _install_hooks(self) -> None:
        fill_entry(self._entry, _fast, self._uch, _UC_REG)
        self._ret_ref = ctypes.byref(self._entry, entry_shim.RET_OFFSET)
        shim = self._shim
        entry_ref = self._entry_ref = ctypes.byref(self._entry)
        if shim is not None:
            self._add_hook(ucc.UC_HOOK_INSN, shim.gk_syscall_hook, entry_ref,
                           ctypes.c_int(x86.UC_X86_INS_SYSCALL))
            self._add_hook(ucc.UC_HOOK_INTR, shim.gk_intr_hook, entry_ref)
            if self.ticks:
                self._add_hook(ucc.UC_HOOK_BLOCK, shim.gk_block_hook, entry_ref)
            self._add_hook(ucc.UC_HOOK_INSN, shim.gk_rdtsc_hook, entry_ref,
                           ctypes.c_int(x86.UC_X86_INS_RDTSC))
        else:
            self._rdtsc_cb = self._hook_instruction("rdtsc", self._hook_rdtsc_ctypes)
            self._syscall_cb = self._hook_instruction("syscall", self._hook_syscall_ctypes)
            self._intr_cb = _HOOK_INTR_CFUNC(lambda _uch, vector, _user: self._hook_intr(vector))
            self._add_hook(ucc.UC_HOOK_INTR, self._intr_cb, None)

    def _hook_instruction(self, insn: str, fn):
        """Call fn(uch, user) at each `insn` ("syscall", "sysenter", "rdtsc"); the ctypes
        callback returned must be kept alive by the caller."""
        cb = (_HOOK_RDTSC_CFUNC if insn == "rdtsc" else _HOOK_SYSCALL_CFUNC)(fn)
        self._add_hook(ucc.UC_HOOK_INSN, cb, None, ctypes.c_int(getattr(x86, "UC_X86_INS_" + insn.upper())))
        return cb

    def _add_hook(self, htype, cb, user_data, *extra) -> None:
        handle = ctypes.c_size_t()
        status = uclib.uc_hook_add(self._uch, ctypes.byref(handle), htype, cb, user_data,
                                   ctypes.c_uint64(1), ctypes.c_uint64(0), *extra)
        if status != ucc.UC_ERR_OK:
            raise EmulatorFault(f"uc_hook_add failed: {UcError(status)}")
        self._hooks.append(handle)

    @property
    def on_syscall(self):
        return self._on_syscall

    @on_syscall.setter
    def on_syscall(self, fn) -> None:
        """The kernel's syscall entry, called by gk_syscall_hook with nothing between: it
        returns whether to keep running, and must not raise (the kernel's do_syscall_64
        hands its own failures to ``keep_error``)."""
        self._on_syscall = fn
        self._on_syscall_cb = entry_shim.ON_SYSCALL_CFUNC(fn) if fn is not None else None
        self._entry.on_syscall = (ctypes.cast(self._on_syscall_cb, ctypes.c_void_p).value
                                  if fn is not None else None)

    @property
    def on_exception(self):
        return self._on_exception

    @on_exception.setter
    def on_exception(self, fn) -> None:
        """The kernel's exception entry, called by gk_intr_hook (or ``_hook_intr``) with
        the vector, CR2 already in ``fault_address``: True when fixed (retry)."""
        self._on_exception = fn
        self._on_exception_cb = entry_shim.ON_EXCEPTION_CFUNC(self._exception_entry)
        self._entry.on_exception = ctypes.cast(self._on_exception_cb, ctypes.c_void_p).value

    @property
    def on_rdtsc(self):
        return self._on_rdtsc

    @on_rdtsc.setter
    def on_rdtsc(self, fn) -> None:
        """The clock the TSC counts (ns; must not raise), or None for the host's
        CLOCK_MONOTONIC (read in C by gk_rdtsc_hook)."""
        self._on_rdtsc = fn
        self._on_rdtsc_cb = entry_shim.ON_RDTSC_CFUNC(fn) if fn is not None else None
        self._entry.on_rdtsc = (ctypes.cast(self._on_rdtsc_cb, ctypes.c_void_p).value
                                if fn is not None else None)

    def syscall_ns(self, take: bool = False) -> int:
        """Host ns spent in the syscall hook since the last take (the fast syscalls'
        system time); take: start counting again."""
        entry = self._entry
        spent = entry.syscall_ns
        if take:
            entry.syscall_ns = 0
        return spent

    def rdtsc_reads(self) -> int:
        """rdtsc instructions run so far (the vDSO's clock reads among them)."""
        return self._entry.rdtsc_reads

    def _exception_entry(self, vector: int) -> int:
        """The callback behind gk_intr_hook: 1 fixed, 0 not (a Python exception is kept for
        ``_emu_start`` and counts as not fixed)."""
        if self._switching_mode:
            return 0                          # set_user_mode's stop, not the task's fault
        try:
            return 1 if self._on_exception(vector) else 0
        except BaseException as exc:          # noqa: BLE001 - carried out of the C callback
            self.keep_error(exc)
            return 0

    def _hook_intr(self, vector: int) -> None:
        """gk_intr_hook's work in Python: without the shim, and for #UD (see _emu_start)."""
        entry = self._entry
        _fast.uc_reg_read(self._uch, x86.UC_X86_REG_CR2, self._one_ref)
        entry.cr2 = self._one.value
        if not self._exception_entry(vector):
            entry.exception_vector = vector
            _fast.uc_emu_stop(self._uch)
            return
        if vector != 0x80:                # int $0x80 leaves no exception in flight
            self._clear_fault_state()
        self._take_stop_at_event()

    def _take_stop_at_event(self) -> None:
        """Stop now if ``run_to_next_event`` asked to (the C hooks' stop_if_asked)."""
        entry = self._entry
        if entry.stop_at_event:
            entry.stop_at_event = 0
            entry.stopped_at_event = 1
            _fast.uc_emu_stop(self._uch)

    def keep_error(self, exc: BaseException) -> None:
        """A Python exception cannot cross the C frames: ``_emu_start`` raises it later."""
        if self.pending_error is None:
            self.pending_error = exc
        self.stop_reason = "error"

    # ----- running ------------------------------------------------------------------------

    def _emu_start(self, rip: int, budget: int = 0) -> None:
        if budget and not self.ticks:
            raise EmulatorFault("a budget on a CPU instance built without ticks")
        count = 0
        if self._shim is not None:
            # The tick hook stops a run as the block after its last one starts (that
            # block does not run), so budget blocks run in full.
            self._entry.blocks_left = budget + 1 if budget else 0
            self._entry.budget_expired = 0
        else:
            self._set_counting(budget > 0)
            count = budget
        self.running = True
        try:
            status = _fast.uc_emu_start(self._uch, _U64(rip), _UNTIL, _NO_TIMEOUT,
                                        ctypes.c_size_t(count) if count else _NO_COUNT)
        finally:
            self.running = False
        if self.pending_error is not None:
            exc, self.pending_error = self.pending_error, None
            raise exc
        if status == ucc.UC_ERR_INSN_INVALID:
            # Unicorn ends the run on #UD (ud2, an unknown opcode) instead of calling the
            # interrupt hook; rip is on the instruction. Hand it over as the exception it is.
            self._hook_intr(6)
        elif status != ucc.UC_ERR_OK:
            raise EmulatorFault(f"emulator stopped: {UcError(status)}")

    def _set_counting(self, counting: bool) -> None:
        """Track Unicorn's count hook, which a run with a budget installs and one without
        removes. Removing it drops all translated code (the blocks call the hook); installing
        it keeps blocks translated without it, which would run uncounted: drop them here. A
        CpuPair gives each kind of run its own instance, so neither ever happens there."""
        if counting == self._counting:
            return
        if counting:
            self._uc.ctl_flush_tb()
        self._counting = counting
        self.tb_flushes += 1

    def run(self, rip: int, budget: int = 0):
        """Run user code from rip until something stops it; return the stop reason.

        budget > 0 stops after that many blocks or instructions (``budget_unit``; the timer
        tick). Reasons: "syscall" (a syscall handler asked to leave), ("exception", vector)
        (a fault the kernel did not fix), "error" (a hook raised), "tick" (the budget ran
        out) or None (stopped from outside by ``interrupt``)."""
        if budget and self.consume_stall(rip):
            return self.run_to_next_event(rip)
        return self._run(rip, budget)

    def blocks_run(self, budget: int) -> int:
        """Blocks the last run with this budget started (the C tick hook's count; a block
        cut short by a syscall counts). Needs the shim (budget_unit "block")."""
        left = self._entry.blocks_left
        return budget if left == 0 else min(budget, budget + 1 - left)

    @property
    def budget_expired(self) -> bool:
        """Did the last run end because its budget ran out (not by a stop from outside)?"""
        if self._shim is not None:
            return bool(self._entry.budget_expired)
        return self.stop_reason == "tick"

    def consume_stall(self, rip: int) -> bool:
        """True (once) when the last budgeted run stalled at rip. Unicorn 2.1.4 does not
        deliver a fault raised by the first instruction of a count-limited run: it returns
        at once, forever. Such an instruction must run without a count (run_to_next_event)."""
        stalled = self._stalled_at == rip
        self._stalled_at = None
        return stalled

    def run_to_next_event(self, rip: int):
        """Run without a count and stop at the next event our hooks see (a syscall, or a
        fault once fixed), reported as "tick"; other reasons as ``run``."""
        self._entry.stop_at_event = 1
        return self._run(rip, 0)

    def _run(self, rip: int, budget: int):
        self.stop_reason = None
        entry = self._entry
        entry.left_for_syscall = entry.stopped_at_event = 0
        entry.exception_vector = -1
        counted = budget and self._shim is None      # Unicorn's count, which can stall
        started = time.perf_counter_ns() if counted else 0
        try:
            self._emu_start(rip, budget)
        finally:
            entry.stop_at_event = 0
        if self.stop_reason is None:
            if entry.exception_vector >= 0:
                self.stop_reason = ("exception", entry.exception_vector)
            elif entry.left_for_syscall:
                self.stop_reason = "syscall"
            elif entry.stopped_at_event:
                self.stop_reason = "tick"
        if self.stop_reason is None and budget:
            self.stop_reason = "tick"
        elif self.stop_reason is None or isinstance(self.stop_reason, tuple):
            # Stopped from outside: a fault may have been raised but never handed to our
            # hook. Or a fault the kernel did not fix (it answers with a signal). Either
            # way the emulator's fault state is still set, and this instance's next #PF
            # would become a double fault.
            self._clear_fault_state()
        # A stall returns at once; a tight loop that ran its whole budget takes milliseconds.
        stalled = (counted and self.stop_reason == "tick"
                   and time.perf_counter_ns() - started < STALL_NS and self.read_reg("rip") == rip)
        self._stalled_at = rip if stalled else None
        return self.stop_reason

    def interrupt(self) -> None:
        """Called from another thread: make ``run`` return soon (host signal). Unsafe for a
        guest that goes on running afterwards (apic_timer.py): only on the way to the end."""
        _fast.uc_emu_stop(self._uch)

    # ----- registers ----------------------------------------------------------------------

    def read_regs(self) -> dict:
        """All of pt_regs as a dict name → value (one C call).

        Inside the syscall hook the emulator has not yet stepped rip past `syscall`; the
        saved context must resume after it, so rip is reported as it will be.
        """
        batch = self._all
        _fast.uc_reg_read_batch(self._uch, batch.ids, batch.ptrs, batch.count)
        regs = dict(zip(PT_REGS, _PT_REGS_VALUES.unpack_from(batch.buf)))
        if self._entry.in_hook:
            regs["rip"] += SYSCALL_INSN_LEN
        return regs

    def write_regs(self, regs: dict) -> None:
        """Load every pt_regs register from regs (one C call)."""
        batch = self._all
        _PT_REGS_VALUES.pack_into(batch.buf, 0,
                                  *[v & 0xFFFF_FFFF_FFFF_FFFF for v in _GET_PT_REGS(regs)])
        _fast.uc_reg_write_batch(self._uch, batch.ids, batch.ptrs, batch.count)

    def set_return(self, value: int) -> None:
        """A syscall's result, for rax: inside the syscall hook only (the hook writes it).
        The hottest caller stores into ``return_slot`` itself, at RET_WORD and
        RET_VALID_WORD: a method call is a sixth of getpid's Python time."""
        words = self._entry_words
        words[RET_WORD] = value & 0xFFFF_FFFF_FFFF_FFFF
        words[RET_VALID_WORD] = 1

    def read_reg(self, name: str) -> int:
        _fast.uc_reg_read(self._uch, _UC_REG[name], self._one_ref)
        return self._one.value

    def write_reg(self, name: str, value: int) -> None:
        self._one.value = value & 0xFFFF_FFFF_FFFF_FFFF
        _fast.uc_reg_write(self._uch, _UC_REG[name], self._one_ref)

    def set_tsc_disabled(self, disabled: bool) -> None:
        """CR4.TSD: rdtsc at CPL 3 raises #GP (the emulator checks it before our hook)."""
        _fast.uc_reg_read(self._uch, x86.UC_X86_REG_CR4, self._one_ref)
        if bool(self._one.value & _CR4_TSD) != disabled:
            self._one.value ^= _CR4_TSD
            _fast.uc_reg_write(self._uch, x86.UC_X86_REG_CR4, self._one_ref)

    # ----- the whole user context at once (a task switch) ---------------------------------

    def save_context(self, ctx=None) -> "CpuContext":
        """Every register a task owns (pt_regs, FPU/SSE, segment bases) in one blob: one C
        call copying the emulator's CPU structure. ``ctx`` is reused when given."""
        if ctx is None:
            return CpuContext(self._uc.context_save())
        _fast.uc_context_save(self._uch, ctx.ref)
        return ctx

    def restore_context(self, ctx: "CpuContext") -> None:
        """Load a ``save_context`` blob (from this instance or its pair). The blob also holds
        CR3: the caller makes sure it names the loaded address space (the TLB is kept)."""
        _fast.uc_context_restore(self._uch, ctx.ref)

    def switch_context(self, save, restore: "CpuContext", cr3: int) -> "CpuContext":
        """A task switch in one call: save the live context into ``save`` (a new blob if
        None; returned), load ``restore``, then load CR3 unless ``cr3`` is 0."""
        if self._shim is None:                  # the same three calls through ctypes
            save = self.save_context(save)
            self.restore_context(restore)
            if cr3:
                self.load_cr3(cr3)
            return save
        save = save or CpuContext(self._uc.context_save())     # a blob to save into
        if self._shim.gk_switch_context(self._entry_ref, save.ref, restore.ref, _U64(cr3)):
            raise EmulatorFault("context switch failed in the emulator")
        self.current_cr3 = cr3 or self.current_cr3
        return save

    def fault_address(self) -> int:
        """CR2: the linear address of the page fault being handled (read by the hook)."""
        return self._entry.cr2

    # ----- memory management unit ---------------------------------------------------------

    def load_cr3(self, pgd: int) -> None:
        """switch_mm: point the MMU at another address space (flushes the TLB)."""
        self._one.value = pgd
        _fast.uc_reg_write(self._uch, x86.UC_X86_REG_CR3, self._one_ref)
        self.current_cr3 = pgd

    def flush_tlb(self) -> None:
        """Drop cached translations after a PTE was changed or removed."""
        _fast.uc_ctl(self._uch, _CTL_TLB_FLUSH)

    flush_tlb_deferred = flush_tlb          # a lone instance cannot wait (see CpuPair's)

    def invalidate_code(self, start: int, end: int) -> None:
        """Forget translated code for a user range whose bytes the kernel just wrote.

        The emulator tracks code by physical page but cannot see our writes into the
        physical buffer, so a reused frame could still run its old translation. The range
        must be mapped executable in the current address space.
        """
        self._uc.ctl_remove_cache(start, end)

    def flush_code(self) -> None:
        """Forget every translated block (a debugger wrote breakpoints into code pages of
        address spaces that may not be loaded, or changed its memory hooks)."""
        self._uc.ctl_flush_tb()


__all__ = ["Cpu", "CpuContext", "EmulatorFault", "PT_REGS", "KERNEL_TEXT"]

