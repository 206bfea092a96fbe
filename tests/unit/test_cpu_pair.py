"""The CPU as a pair of emulator instances (arch/x86/cpu_pair.py): one runs without an
instruction budget, one with, so switching between the two never drops translated code.

Each test runs hand-assembled user code on a real Cpu.paired over a small physical memory,
once with the C entry shim (budgets count blocks) and once without it (budgets count
instructions, through Unicorn's count).
"""
import struct

import pytest

from glasskernel.arch.x86 import entry_shim
from glasskernel.arch.x86.cpu import Cpu
from glasskernel.arch.x86.mm.pgtable import PageTable, pte_flags
from glasskernel.mm.page_alloc import PAGE_SIZE, PhysicalMemory

CODE = 0x400000
DATA = 0x600000
SYSCALL = b"\x0f\x05"
# inc rax; dec rcx; jnz back to inc; syscall: rcx iterations of 3 instructions.
COUNT_LOOP = b"\x48\xff\xc0\x48\xff\xc9\x75\xf8" + SYSCALL
LOOP_INSNS = 3


def mov_eax(value: int) -> bytes:
    return b"\xb8" + struct.pack("<I", value)


class Machine:
    """A CpuPair, address spaces built by hand, and a syscall hook that always stops."""

    def __init__(self, cpu=None):
        self.phys = PhysicalMemory(32 << 20)
        self.cpu = cpu(self.phys) if cpu else Cpu.paired(self.phys)
        self.cpu.on_syscall = lambda: False
        self.cpu.on_exception = lambda vector: False

    def address_space(self, code: bytes) -> PageTable:
        table = PageTable(self.phys, self.cpu.kernel_pgd_entry)
        table.set_pte(CODE, self.frame(code) | pte_flags(False, True))
        return table

    def frame(self, data: bytes = b"") -> int:
        pa = self.phys.alloc_page()
        self.phys.view[pa:pa + len(data)] = data
        return pa

    def rewrite(self, table: PageTable, va: int, data: bytes) -> None:
        pa = table.get_pte(va) & 0x000F_FFFF_FFFF_F000
        self.phys.view[pa:pa + len(data)] = data

    def run(self, budget: int = 0, **regs):
        for name, value in regs.items():
            self.cpu.write_reg(name, value)
        return self.cpu.run(CODE, budget)


@pytest.fixture(params=["shim", "ctypes"], autouse=True)
def entry_path(request, monkeypatch):
    """Every test runs with the C shim and with its ctypes stand-in."""
    if request.param == "shim":
        if entry_shim.load() is None:
            pytest.skip("the C entry shim cannot be built here (no C compiler)")
    else:
        monkeypatch.setattr(entry_shim, "_loaded", False)
    return request.param


@pytest.fixture
def machine():
    return Machine()


def iterations(cpu, budget: int) -> int:
    """COUNT_LOOP iterations a run with budget completes: one block per iteration, or
    LOOP_INSNS instructions (the last one started counts)."""
    if cpu.budget_unit == "block":
        return budget
    return -(-budget // LOOP_INSNS)


def flushes_when_counting_starts(cpu) -> int:
    """Unicorn's count drops all code once when it is first installed; the shim never."""
    return 0 if cpu.budget_unit == "block" else 1


def test_routes_each_kind_of_run_to_its_own_instance(machine):
    cpu = machine.cpu
    cpu.load_cr3(machine.address_space(mov_eax(7) + SYSCALL).pgd)
    staying = cpu.counted.budget_unit == "block"     # unbudgeted runs stay on `counted`
    for n, budget in enumerate((0, 1000, 0, 1000, 1000, 0)):
        assert machine.run(budget, rax=0) == "syscall"
        assert cpu.read_reg("rax") == 7
        assert cpu.live is (cpu.counted if budget or (staying and n > 0) else cpu.free)
    assert cpu.mode_switches == (1 if staying else 4)
    # Neither instance ever dropped its code; the counting one only when its hook went in.
    assert cpu.free.tb_flushes == 0
    assert cpu.counted.tb_flushes == flushes_when_counting_starts(cpu.counted)


def test_long_unbudgeted_run_moves_from_counted_to_free(machine):
    """With the shim, an unbudgeted run that starts on `counted` stays there only for
    STAY_BLOCKS blocks; then the context moves to `free` and the run completes there."""
    from glasskernel.arch.x86.cpu_pair import STAY_BLOCKS
    cpu = machine.cpu
    cpu.load_cr3(machine.address_space(COUNT_LOOP).pgd)
    assert machine.run(1000, rax=0, rcx=5) == "syscall"        # context on `counted`
    assert machine.run(0, rax=0, rcx=3 * STAY_BLOCKS) == "syscall"
    assert cpu.read_reg("rax") == 3 * STAY_BLOCKS
    if cpu.counted.budget_unit == "block":
        assert cpu.stays_ended == 1
    assert cpu.live is cpu.free


def test_budget_counts_code_first_run_unbounded(machine):
    machine.cpu.load_cr3(machine.address_space(COUNT_LOOP).pgd)
    assert machine.run(0, rax=0, rcx=1000) == "syscall"
    assert machine.cpu.read_reg("rax") == 1000
    assert machine.run(100, rax=0, rcx=1000) == "tick"
    assert machine.cpu.read_reg("rax") == iterations(machine.cpu.counted, 100)


def test_ticks_never_repeat_a_memory_update(machine):
    """Many short budgets over `inc qword [DATA]`: each stop falls between two blocks, so
    the counter in memory ends equal to the iterations (an asynchronous stop could run
    the read-modify-write twice)."""
    # inc qword [DATA]; dec rcx; jnz back; syscall
    code = b"\x48\xff\x04\x25" + struct.pack("<I", DATA) + b"\x48\xff\xc9\x75\xf4" + SYSCALL
    table = machine.address_space(code)
    counter = machine.frame()
    table.set_pte(DATA, counter | pte_flags(True, False))
    machine.cpu.load_cr3(table.pgd)
    machine.cpu.write_reg("rcx", 5000)
    rip, reason, ticks = CODE, None, 0
    while reason != "syscall":
        reason = machine.cpu.run(rip, 7)
        rip = machine.cpu.read_reg("rip")
        ticks += reason == "tick"
    assert ticks > 100
    assert struct.unpack_from("<Q", machine.phys.view, counter)[0] == 5000


def test_single_cpu_counts_code_translated_without_a_budget():
    """A lone Cpu drops the uncounted translations itself when a budget starts."""
    machine = Machine(Cpu)
    machine.cpu.load_cr3(machine.address_space(COUNT_LOOP).pgd)
    assert machine.run(0, rax=0, rcx=1000) == "syscall"
    assert machine.run(100, rax=0, rcx=1000) == "tick"
    assert machine.cpu.read_reg("rax") == iterations(machine.cpu, 100)
    assert machine.cpu.tb_flushes == flushes_when_counting_starts(machine.cpu)


def test_user_context_moves_with_the_kind_of_run(machine):
    # movq rsi, xmm0; add rax, rbx; mov rdx, fs:[0]; syscall
    code = b"\x66\x48\x0f\x7e\xc6" + b"\x48\x01\xd8" + b"\x64\x48\x8b\x14\x25\0\0\0\0" + SYSCALL
    table = machine.address_space(code)
    table.set_pte(DATA, machine.frame(struct.pack("<Q", 0x1122334455667788)) | pte_flags(True, False))
    cpu = machine.cpu
    cpu.load_cr3(table.pgd)
    fxsave = bytearray(Cpu.default_fxsave())
    fxsave[160:168] = struct.pack("<Q", 0xFEEDFACE)          # xmm0, low quadword
    cpu.write_fxsave(bytes(fxsave))
    regs = cpu.read_regs()
    regs.update(rax=40, rbx=2, r15=0xABC, fs_base=DATA, rip=CODE)
    cpu.write_regs(regs)
    assert cpu.run(CODE, 1000) == "syscall"                 # the context moved to `counted`
    after = cpu.read_regs()
    assert (after["rax"], after["rsi"], after["rdx"]) == (42, 0xFEEDFACE, 0x1122334455667788)
    assert (after["r15"], after["fs_base"], after["rip"]) == (0xABC, DATA, CODE + len(code))
    # what `syscall` itself saves: the return rip in rcx, rflags in r11
    assert (after["rcx"], after["r11"]) == (CODE + len(code), after["rflags"])
    assert cpu.read_fxsave()[160:168] == bytes(fxsave[160:168])
    cpu.write_reg("rbx", 100)
    assert cpu.run(CODE, 0) == "syscall"                    # and back to `free`
    assert cpu.read_reg("rax") == 142
    assert cpu.read_fxsave() == cpu.counted.read_fxsave()


def run_both(machine, budgets=(1000, 0)):
    """rax after a run on each instance, in the order of budgets."""
    results = []
    for budget in budgets:
        assert machine.run(budget, rax=0) == "syscall"
        results.append(machine.cpu.read_reg("rax"))
    return results


def test_idle_instance_follows_cr3_and_tlb_flushes(machine):
    cpu = machine.cpu
    first = machine.address_space(mov_eax(1) + SYSCALL)
    second = machine.address_space(mov_eax(2) + SYSCALL)     # same address, other frame
    cpu.load_cr3(first.pgd)
    assert run_both(machine, (0, 1000)) == [1, 1]
    cpu.load_cr3(second.pgd)                                  # while `counted` is live
    assert run_both(machine) == [2, 2]
    # A PTE of the current mm changes (while `free` is live): both must see the new frame.
    second.set_pte(CODE, machine.frame(mov_eax(4) + SYSCALL) | pte_flags(False, True))
    cpu.flush_tlb()
    assert run_both(machine) == [4, 4]


def test_invalidate_code_reaches_the_idle_instance(machine):
    cpu = machine.cpu
    first = machine.address_space(mov_eax(1) + SYSCALL)
    second = machine.address_space(mov_eax(2) + SYSCALL)
    cpu.load_cr3(first.pgd)
    assert run_both(machine) == [1, 1]                        # both translated the first frame
    cpu.load_cr3(second.pgd)
    assert run_both(machine) == [2, 2]
    # Back to the first mm while `free` is live: the idle `counted` still has the second's
    # tables, through which the address would name the other frame.
    cpu.load_cr3(first.pgd)
    machine.rewrite(first, CODE, mov_eax(3) + SYSCALL)
    cpu.invalidate_code(CODE, CODE + PAGE_SIZE)
    assert run_both(machine) == [3, 3]
    # And with `counted` live.
    machine.rewrite(first, CODE, mov_eax(6) + SYSCALL)
    cpu.invalidate_code(CODE, CODE + PAGE_SIZE)
    assert run_both(machine, (0, 1000)) == [6, 6]


def test_fault_fixed_inside_the_counting_run(machine):
    """The fault handler maps new code and invalidates it on both instances mid-run."""
    cpu = machine.cpu
    table = machine.address_space(b"\xe9" + struct.pack("<i", PAGE_SIZE - 5))   # jmp CODE+4096
    next_page = CODE + PAGE_SIZE
    faults = []

    def on_exception(vector):
        faults.append((vector, cpu.fault_address()))
        table.set_pte(next_page, machine.frame(mov_eax(5) + SYSCALL) | pte_flags(False, True))
        cpu.invalidate_code(next_page, next_page + PAGE_SIZE)
        return True

    cpu.on_exception = on_exception
    cpu.load_cr3(table.pgd)
    assert machine.run(1000) == "syscall"
    assert faults == [(14, next_page)]
    assert cpu.read_reg("rax") == 5
    assert machine.run(0, rax=0) == "syscall"
    assert cpu.read_reg("rax") == 5


@pytest.mark.parametrize("budget", [0, 1000])
def test_unfixed_fault_leaves_no_fault_in_flight(machine, budget):
    """A fault the kernel does not fix (it sends a signal instead) must not stay in
    flight: the instance's next page fault would arrive as a double fault (vector 8)."""
    cpu = machine.cpu
    # mov rax, [DATA]; syscall
    table = machine.address_space(b"\x48\x8b\x04\x25" + struct.pack("<I", DATA) + SYSCALL)
    cpu.load_cr3(table.pgd)
    vectors = []
    cpu.on_exception = lambda vector: vectors.append(vector) or False
    assert machine.run(budget) == ("exception", 14)

    def map_data(vector):
        vectors.append(vector)
        table.set_pte(DATA, machine.frame(struct.pack("<Q", 77)) | pte_flags(True, False))
        return True

    cpu.on_exception = map_data
    assert machine.run(budget) == "syscall"
    assert vectors == [14, 14]
    assert cpu.read_reg("rax") == 77


def test_stalled_counting_run_steps_on_the_unbounded_instance(machine):
    cpu = machine.cpu
    cpu.load_cr3(machine.address_space(COUNT_LOOP).pgd)
    assert machine.run(100, rax=0, rcx=1000) == "tick"
    flushes = cpu.counted.tb_flushes
    # As Cpu.run records a budgeted run that came back at once without moving.
    cpu.counted._stalled_at = CODE
    assert machine.run(100, rax=0, rcx=1000) == "syscall"    # stepped without a count
    assert cpu.live is cpu.free
    assert cpu.read_reg("rax") == 1000
    assert cpu.counted.tb_flushes == flushes                  # the counting instance kept its code
    assert machine.run(100, rax=0, rcx=1000) == "tick"        # the stall is forgotten


def test_interrupt_between_runs_is_harmless(machine):
    cpu = machine.cpu
    cpu.load_cr3(machine.address_space(mov_eax(9) + SYSCALL).pgd)
    cpu.interrupt()
    assert machine.run(0, rax=0) == "syscall"
    cpu.interrupt()
    assert machine.run(1000, rax=0) == "syscall"
    assert cpu.read_reg("rax") == 9


def test_instances_must_share_the_kernel_half():
    phys = PhysicalMemory(16 << 20)
    from glasskernel.arch.x86.cpu_pair import CpuPair
    with pytest.raises(ValueError):
        CpuPair(Cpu(phys), Cpu(phys))


def test_kernel_bug_in_the_syscall_hook_is_raised_after_the_run(machine):
    """do_syscall_64 is called straight from the C hook; a Python exception outside a
    handler cannot cross the emulator's C frames, so it is kept and raised by run()."""
    import functools

    from glasskernel.arch.x86.entry.common import do_syscall_64

    class BrokenKernel:
        cpu = machine.cpu

        @property
        def current(self):
            raise RuntimeError("no current task")

    cpu = machine.cpu
    cpu.load_cr3(machine.address_space(mov_eax(39) + SYSCALL).pgd)
    cpu.on_syscall = functools.partial(do_syscall_64, BrokenKernel())
    for budget in (0, 1000):
        with pytest.raises(RuntimeError, match="no current task"):
            machine.run(budget)


def test_deferred_flush_after_a_write_fault(machine):
    """Copy-on-write as the fault path does it: the CPU reads a read-only page, its write
    faults, the handler maps a copy writable and defers the TLB flush to the end of the
    run. The retried write and every read after it must reach the copy, not the
    original the TLB held; the kernel's own write to the copy after the run shows too."""
    cpu = machine.cpu
    # mov rax,[DATA]; mov [DATA],rbx; mov rsi,[DATA]; syscall; mov rdx,[DATA]; syscall
    load = lambda reg: b"\x48\x8b" + bytes([0x04 | reg << 3]) + b"\x25" + struct.pack("<I", DATA)
    code = (load(0) + b"\x48\x89\x1c\x25" + struct.pack("<I", DATA) + load(6) + SYSCALL
            + load(2) + SYSCALL)
    table = machine.address_space(code)
    original = machine.frame(struct.pack("<Q", 0x1111))
    table.set_pte(DATA, original | pte_flags(False, False))
    copies = []

    def cow(vector):
        new = machine.frame(bytes(machine.phys.view[original:original + PAGE_SIZE]))
        table.set_pte(DATA, new | pte_flags(True, False))
        copies.append(new)
        cpu.flush_tlb_deferred()
        return True

    cpu.on_exception = cow
    cpu.load_cr3(table.pgd)
    for budget in (0, 1000):
        copies.clear()
        table.set_pte(DATA, original | pte_flags(False, False))
        cpu.flush_tlb()
        assert machine.run(budget, rax=0, rbx=0x2222, rsi=0) == "syscall"
        assert (cpu.read_reg("rax"), cpu.read_reg("rsi")) == (0x1111, 0x2222)
        assert len(copies) == 1
        assert machine.phys.view[original:original + 8].tobytes() == struct.pack("<Q", 0x1111)
        assert machine.phys.view[copies[0]:copies[0] + 8].tobytes() == struct.pack("<Q", 0x2222)
        machine.phys.view[copies[0]:copies[0] + 8] = struct.pack("<Q", 0x3333)
        assert cpu.run(cpu.read_reg("rip"), budget) == "syscall"
        assert cpu.read_reg("rdx") == 0x3333
