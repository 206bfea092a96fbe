"""Switching address spaces (arch/x86/mm/tlb.c): CR3 follows the task that runs.

Loading CR3 empties the CPU's TLB of user translations, so it is written only when the
next address space differs from the loaded one. A kernel thread has no mm: it borrows
the one that was loaded (Linux's lazy TLB mode).
"""
from glasskernel.kernel.trace.tracepoint import traced


@traced(args=lambda prev, nxt: {"cr3": f"{nxt.mm.pgtable.pgd:#x}" if nxt.mm else "kernel"},
        ret=lambda _r: {})
def switch_mm(prev, nxt) -> None:
    """Load the next address space's page tables (kernel threads borrow the old one)."""
    mm = nxt.mm
    if mm is not None:
        cpu = nxt.kernel.cpu
        mm.cpu = cpu
        if cpu.current_cr3 != mm.pgtable.pgd:
            cpu.load_cr3(mm.pgtable.pgd)


def exec_switch_mm(task, old, new) -> None:
    """execve installed a new mm in task (activate_mm): load it if the task is the one
    running."""
    kernel = task.kernel
    new.cpu = kernel.cpu
    if task is kernel.current:
        kernel.cpu.load_cr3(new.pgtable.pgd)


__all__ = ["exec_switch_mm", "switch_mm"]
