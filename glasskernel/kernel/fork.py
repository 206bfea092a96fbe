"""Task creation and the reference counting of shared objects (kernel/fork.c).

The clone family arrives with the lifecycle work; for now this holds ``mmput``, the
release of an address space when its last user lets go.
"""
from glasskernel.mm.memory import zap_page_range
from glasskernel.mm.mm_types import TASK_SIZE


def exit_mmap(mm) -> None:
    """Tear down every mapping and the page tables themselves (mm/mmap.c: exit_mmap)."""
    for vma in list(mm.vmas):
        if vma.file is not None and hasattr(vma.file, "put"):
            vma.file.put()
    if mm.exe_file is not None:
        mm.exe_file.put()
        mm.exe_file = None
    mm.vmas.clear()
    mm._starts.clear()
    zap_page_range(mm, 0, TASK_SIZE)
    mm.pgtable.free_tables()


def mmput(mm) -> None:
    """Drop one user of mm; the last one frees it."""
    mm.users -= 1
    if mm.users == 0:
        exit_mmap(mm)


def sys_set_tid_address(task, tidptr) -> int:
    """Remember where to clear the tid at exit (CLONE_CHILD_CLEARTID); return the tid."""
    task.clear_child_tid = tidptr
    return task.pid
