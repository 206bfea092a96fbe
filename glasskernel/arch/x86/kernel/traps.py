"""Exceptions raised by user code (arch/x86/kernel/traps.c).

Page faults (arch/x86/mm/fault.py) are fixed on the spot when they are demand paging,
stack growth or copy-on-write; anything the kernel cannot fix becomes a signal for the
task, with the si_code and si_addr Linux would report.
"""
from dataclasses import dataclass

from glasskernel.arch.x86.entry.common import (X86_TRAP_AC, X86_TRAP_BP, X86_TRAP_DB, X86_TRAP_DE,
                                               X86_TRAP_DF, X86_TRAP_MF, X86_TRAP_PF, X86_TRAP_UD, X86_TRAP_XF)
from glasskernel.arch.x86.entry.entry_64_compat import IA32_SYSCALL_VECTOR, entry_INT80_compat
from glasskernel.arch.x86.entry.vsyscall_64 import emulate_vsyscall, in_vsyscall_page
from glasskernel.arch.x86.mm.fault import VM_FAULT_OOM, exc_page_fault
from glasskernel.kernel.signal import force_sig_fault

SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV = 4, 5, 7, 8, 11
ILL_ILLOPN = 2
FPE_INTDIV, FPE_FLTINV = 1, 7
TRAP_TRACE = 2
BUS_ADRALN = 1
SI_KERNEL = 0x80


@dataclass
class FaultSignal:
    """What a failed user access turns into: force_sig_fault(signo, code, addr), with the
    exception vector and error code a signal frame reports (trapno, err)."""

    signo: int
    code: int
    addr: int
    trapno: int = 0
    error_code: int = 0
    vsyscall: bool = False      # not a signal yet: a fetch in the vsyscall page to emulate


def trap_signal(vector: int, rip: int) -> FaultSignal:
    """The signal an x86 exception vector delivers to user mode (do_trap / do_error_trap).

    int3 and #GP send a plain SI_KERNEL signal (force_sig), without an address."""
    if vector == X86_TRAP_DE:
        return FaultSignal(SIGFPE, FPE_INTDIV, rip, vector)
    if vector == X86_TRAP_UD:
        return FaultSignal(SIGILL, ILL_ILLOPN, rip, vector)
    if vector == X86_TRAP_BP:
        return FaultSignal(SIGTRAP, SI_KERNEL, 0, vector)
    if vector == X86_TRAP_DB:
        return FaultSignal(SIGTRAP, TRAP_TRACE, rip, vector)
    if vector in (X86_TRAP_MF, X86_TRAP_XF):
        return FaultSignal(SIGFPE, FPE_FLTINV, rip, vector)
    if vector == X86_TRAP_AC:
        return FaultSignal(SIGBUS, BUS_ADRALN, rip, vector)
    # #GP, int $0x80 without IA32 emulation, #OF, #BR, #NP, #SS, double fault…
    return FaultSignal(SIGSEGV, SI_KERNEL, 0, vector)


def handle_exception(kernel, vector: int) -> bool:
    """The CPU's exception hook, for the current task: True if fixed (retry), False to
    leave with a signal."""
    task, cpu = kernel.current, kernel.cpu
    if vector == IA32_SYSCALL_VECTOR:
        return entry_INT80_compat(kernel)
    if vector in (X86_TRAP_PF, X86_TRAP_DF):
        # A double fault here is a #PF whose predecessor's state the emulator kept:
        # CR2 names the address, handle it as the page fault it is.
        signal = exc_page_fault(kernel, task, cpu.fault_address())
    else:
        rip = cpu.read_reg("rip")
        if vector == X86_TRAP_BP and in_vsyscall_page(rip - 1):
            # The int3 filling the vsyscall page: emulate_vsyscall, on the way out.
            task.pending_fault = FaultSignal(SIGSEGV, SI_KERNEL, rip - 1, vsyscall=True)
            return False
        debugger = kernel.debugger
        if vector in (X86_TRAP_BP, X86_TRAP_DB) and debugger is not None \
                and debugger.on_trap(task, vector, rip):
            task.pending_fault = None                # a debugger's breakpoint or step
            return False
        signal = trap_signal(vector, rip)
    if signal is None:
        return True
    if signal is VM_FAULT_OOM:
        task.pending_fault = None
        return False
    thread = task.thread
    thread.trap_nr, thread.error_code = signal.trapno, signal.error_code
    if signal.trapno == X86_TRAP_PF:
        thread.cr2 = signal.addr
    task.pending_fault = signal
    return False


def exc_user_fault(kernel, task) -> None:
    """On the way back to user mode after a fault the CPU hook left: the signal, or the
    vsyscall the fault really was."""
    fault = task.pending_fault
    if fault.vsyscall:
        task.pending_fault = None
        emulate_vsyscall(kernel, task, fault.addr)
    else:
        # A fault in user code: its signal with si_code and si_addr; the way back to
        # user mode runs the handler, or the default action if blocked or ignored.
        task.pending_fault = None
        force_sig_fault(task, fault.signo, fault.code, fault.addr)
