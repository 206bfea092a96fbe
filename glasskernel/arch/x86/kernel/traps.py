"""Exceptions raised by user code (arch/x86/kernel/traps.c, arch/x86/mm/fault.c).

Page faults are fixed on the spot when they are demand paging, stack growth or
copy-on-write; anything the kernel cannot fix becomes a signal for the task, with the
si_code and si_addr Linux would report.
"""
from dataclasses import dataclass

from glasskernel.arch.x86.entry.common import (X86_TRAP_AC, X86_TRAP_BP, X86_TRAP_DB, X86_TRAP_DE,
                                               X86_TRAP_DF, X86_TRAP_MF, X86_TRAP_PF, X86_TRAP_UD, X86_TRAP_XF)
from glasskernel.mm.memory import VmFault, do_user_addr_fault

SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV = 4, 5, 7, 8, 11
ILL_ILLOPN = 2
FPE_INTDIV, FPE_FLTINV = 1, 7
TRAP_BRKPT = 1
BUS_ADRALN = 1
SI_KERNEL = 0x80


@dataclass
class FaultSignal:
    """What a failed user access turns into: force_sig_fault(signo, code, addr)."""

    signo: int
    code: int
    addr: int


def exc_page_fault(kernel, task, cr2: int):
    """#PF: None if the fault was fixed and the instruction may retry, else the signal."""
    try:
        do_user_addr_fault(task.mm, cr2, kernel.stack_limit(task))
    except VmFault as fault:
        return FaultSignal(SIGSEGV, fault.si_code, cr2)
    return None


def trap_signal(vector: int, rip: int) -> FaultSignal:
    """The signal an x86 exception vector delivers to user mode (do_trap / do_error_trap)."""
    if vector == X86_TRAP_DE:
        return FaultSignal(SIGFPE, FPE_INTDIV, rip)
    if vector == X86_TRAP_UD:
        return FaultSignal(SIGILL, ILL_ILLOPN, rip)
    if vector in (X86_TRAP_BP, X86_TRAP_DB):
        return FaultSignal(SIGTRAP, TRAP_BRKPT if vector == X86_TRAP_BP else SI_KERNEL, 0)
    if vector in (X86_TRAP_MF, X86_TRAP_XF):
        return FaultSignal(SIGFPE, FPE_FLTINV, rip)
    if vector == X86_TRAP_AC:
        return FaultSignal(SIGBUS, BUS_ADRALN, rip)
    # #GP, int $0x80 without IA32 emulation, #OF, #BR, #NP, #SS, double fault…
    return FaultSignal(SIGSEGV, SI_KERNEL, 0)


def handle_exception(kernel, task, cpu, vector: int) -> bool:
    """The CPU's exception hook: True if fixed (retry), False to leave with a signal."""
    if vector in (X86_TRAP_PF, X86_TRAP_DF):
        # A double fault here is a #PF whose predecessor's state the emulator kept:
        # CR2 names the address, handle it as the page fault it is.
        signal = exc_page_fault(kernel, task, cpu.fault_address())
    else:
        signal = trap_signal(vector, cpu.read_reg("rip"))
    if signal is None:
        return True
    task.pending_fault = signal
    return False
