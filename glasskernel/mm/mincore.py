"""mincore(2) (mm/mincore.c): which pages of a range are resident.

A page is resident when its PTE is present. An anonymous page never touched, or a file
page not yet faulted into this mm, reads as not resident (Linux would also count file
pages in the page cache; ours fault in per mm, so the two differ only for file pages
other processes touched).
"""
from glasskernel.mm.mm_types import TASK_SIZE, page_align
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.uaccess import copy_to_user
from glasskernel.uapi.errno import Errno, KernelError

PAGE_SHIFT = 12


def sys_mincore(task, start, length, vec) -> int:
    """EINVAL for an unaligned start, ENOMEM for a range past TASK_SIZE or with a hole,
    EFAULT for a vector the task cannot write: one byte per page, bit 0 = resident."""
    if start & (PAGE_SIZE - 1):
        raise KernelError(Errno.EINVAL)
    pages = page_align(length) >> PAGE_SHIFT
    if length and not pages or start + (pages << PAGE_SHIFT) > TASK_SIZE:
        raise KernelError(Errno.ENOMEM)
    mm = task.mm
    end = start + (pages << PAGE_SHIFT)
    out = bytearray(pages)
    cursor = start
    for vma in mm.overlapping(start, end):
        if vma.start > cursor:
            raise KernelError(Errno.ENOMEM)
        for va, _pte in mm.pgtable.present_ptes(max(start, vma.start), min(end, vma.end)):
            out[(va - start) >> PAGE_SHIFT] = 1
        cursor = vma.end
    if cursor < end:
        raise KernelError(Errno.ENOMEM)
    copy_to_user(task, vec, bytes(out))
    return 0
