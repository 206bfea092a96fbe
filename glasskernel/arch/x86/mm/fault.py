"""The page-fault entry of x86 (arch/x86/mm/fault.c): exc_page_fault, do_user_addr_fault.

The emulator gives no error code, so ``do_user_addr_fault`` classifies the access from
the PTE: not present means demand paging (or SIGSEGV outside the VMAs); present but
read-only in a writable VMA means copy-on-write; anything else is a real protection
violation. The generic work (which page, from where) is mm/memory.py's handle_mm_fault.
"""
from glasskernel.arch.x86.mm.pgtable import pte_present, pte_write
from glasskernel.kernel.sys import task_rlimit
from glasskernel.mm.memory import (_DEFAULT_STACK_LIMIT, SEGV_ACCERR, VmFault, __handle_mm_fault,
                                   do_wp_page)
from glasskernel.mm.page_alloc import PAGE_MASK, OutOfMemory
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.resource import Rlimit

SIGSEGV = 11
X86_TRAP_PF = 14                      # the #PF vector (asm/trapnr.h)
X86_PF_PROT, X86_PF_USER = 0x1, 0x4
_RLIMIT_STACK = int(Rlimit.RLIMIT_STACK)      # a plain int: the cheapest dict key

# exc_page_fault's answer when no memory could be found (VM_FAULT_OOM): the OOM killer
# has sent the task SIGKILL, which the way out to user mode delivers; no fault signal.
VM_FAULT_OOM = "oom"


def exc_page_fault(kernel, task, cr2: int):
    """#PF: None if the fault was fixed and the instruction may retry, else the signal
    (a FaultSignal) or VM_FAULT_OOM.

    The error code has the user bit and, for a protection fault, the present bit; whether
    the access was a write is not known (the emulator does not say)."""
    try:
        do_user_addr_fault(task.mm, cr2, task_rlimit(task, _RLIMIT_STACK))
    except OutOfMemory:
        return VM_FAULT_OOM
    except VmFault as fault:
        from glasskernel.arch.x86.kernel.traps import FaultSignal
        protection = fault.signo == SIGSEGV and fault.si_code == SEGV_ACCERR
        error_code = X86_PF_USER | (X86_PF_PROT if protection else 0)
        return FaultSignal(fault.signo, fault.si_code, cr2, X86_TRAP_PF, error_code)
    return None


def do_user_addr_fault(mm, addr: int, stack_limit: int = _DEFAULT_STACK_LIMIT) -> None:
    """#PF from user mode with only CR2 known. Raises VmFault for SIGSEGV."""
    page_va = addr & PAGE_MASK
    pte = mm.pgtable.get_pte(page_va)
    if not pte_present(pte):
        __handle_mm_fault(mm, addr, False, stack_limit, pte)
        return
    vma = mm.vma_containing(addr)
    if vma is not None and vma.flags & VmFlags.VM_WRITE and not pte_write(pte):
        do_wp_page(mm, vma, page_va, pte, from_cpu=True)   # the access must have been a write
        return
    # Present with every permission the VMA grants: a genuine protection violation.
    raise VmFault(SEGV_ACCERR, addr)


__all__ = ["VM_FAULT_OOM", "do_user_addr_fault", "exc_page_fault"]
