"""mincore(2) (mm/mincore.c): which pages of a range are resident.

A page is resident when its PTE is present, or, for a file mapping, when the page cache
holds the file's page (mincore_page): pages another process faulted in count too. An
anonymous page never touched reads as not resident.
"""
from glasskernel.mm.mm_types import TASK_SIZE, page_align
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.uaccess import copy_to_user
from glasskernel.uapi.errno import Errno, KernelError

PAGE_SHIFT = 12


def _page_cache_pages(mm, vma, low: int, high: int, start: int, out: bytearray) -> None:
    """Mark the pages of [low, high) whose file page is in the page cache."""
    from glasskernel.mm.filemap import file_cache_key, find_address_space
    space = find_address_space(vma.file)
    pages = space.pages if space is not None else None
    key = file_cache_key(vma.file) if space is None else None
    if pages is None and key is None:
        return
    find = mm.phys.page_cache.find_page
    for va in range(low, high, PAGE_SIZE):
        index = vma.file_offset(va) // PAGE_SIZE
        if (index in pages) if pages is not None else find(key, index) is not None:
            out[(va - start) >> PAGE_SHIFT] = 1


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
        low, high = max(start, vma.start), min(end, vma.end)
        for va, _pte in mm.pgtable.present_ptes(low, high):
            out[(va - start) >> PAGE_SHIFT] = 1
        if vma.file is not None:
            _page_cache_pages(mm, vma, low, high, start, out)
        cursor = vma.end
    if cursor < end:
        raise KernelError(Errno.ENOMEM)
    copy_to_user(task, vec, bytes(out))
    return 0
