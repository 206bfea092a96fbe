"""madvise(2) (mm/madvise.c): advice about a range of the address space.

Some advice changes what the kernel does: MADV_DONTNEED and MADV_FREE drop private pages
(they read back as zeros, or as the file's bytes), MADV_DONTFORK/MADV_DOFORK decide
whether fork copies the area at all, MADV_WIPEONFORK gives the child zero pages instead
of a copy, MADV_POPULATE_READ/WRITE fault pages in, MADV_REMOVE frees a shared range.
The rest (access patterns, huge pages, KSM, core-dump filters) only changes what Linux's
reclaim or dumps would do, which this kernel has none of: checked as Linux checks it, then
accepted. As in Linux, advice is applied to each area of the range, and a hole in the
range is ENOMEM after the areas around it got their advice.
"""
from glasskernel.mm.memory import VmFault, handle_mm_fault, zap_page_range
from glasskernel.mm.mm_types import page_align
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError

MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED = 0, 1, 2, 3, 4
MADV_FREE, MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK = 8, 9, 10, 11
MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE, MADV_NOHUGEPAGE = 12, 13, 14, 15
MADV_DONTDUMP, MADV_DODUMP, MADV_WIPEONFORK, MADV_KEEPONFORK = 16, 17, 18, 19
MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE = 20, 21, 22, 23
MADV_DONTNEED_LOCKED, MADV_COLLAPSE = 24, 25
MADV_HWPOISON, MADV_SOFT_OFFLINE = 100, 101
_KNOWN_ADVICE = set(range(0, 5)) | set(range(8, 26)) | {MADV_HWPOISON, MADV_SOFT_OFFLINE}
_NO_LRU = VmFlags.VM_LOCKED | VmFlags.VM_PFNMAP        # can_madv_lru_vma says no
VM_SPECIAL = VmFlags.VM_IO | VmFlags.VM_DONTEXPAND | VmFlags.VM_PFNMAP


def sys_madvise(task, start, length, advice) -> int:
    """do_madvise: EINVAL for an unaligned start, an unknown advice or a range that wraps,
    EPERM for the memory-failure injections without CAP_SYS_ADMIN, ENOMEM for a hole."""
    advice &= 0xFFFFFFFF
    if start & (PAGE_SIZE - 1) or advice not in _KNOWN_ADVICE:
        raise KernelError(Errno.EINVAL)
    size = page_align(length)
    if length and not size:
        raise KernelError(Errno.EINVAL)
    end = start + size
    if end < start or end > 1 << 64:
        raise KernelError(Errno.EINVAL)
    if advice in (MADV_HWPOISON, MADV_SOFT_OFFLINE):
        from glasskernel.kernel.capability import capable
        from glasskernel.uapi.capability import CAP_SYS_ADMIN
        if not capable(task, CAP_SYS_ADMIN):
            raise KernelError(Errno.EPERM)
        raise KernelError(Errno.EINVAL)          # no memory-failure handling here
    if end == start:
        return 0
    return madvise_walk_vmas(task.mm, start, end, advice)


def madvise_walk_vmas(mm, start: int, end: int, advice: int) -> int:
    """Apply the advice to each area of [start, end); ENOMEM at the end if there were
    holes (or no area at all)."""
    vmas = mm.overlapping(start, end)
    if not vmas:
        raise KernelError(Errno.ENOMEM)
    holes = vmas[0].start > start or vmas[-1].end < end or \
        any(a.end < b.start for a, b in zip(vmas, vmas[1:]))
    for vma in vmas:
        madvise_vma_behavior(mm, vma, max(start, vma.start), min(end, vma.end), advice)
    if holes:
        raise KernelError(Errno.ENOMEM)
    return 0


def madvise_vma_behavior(mm, vma, start: int, end: int, advice: int) -> None:
    """One area's part of the range."""
    flags = vma.flags
    if flags & VmFlags.VM_HUGETLB and advice in (MADV_DONTNEED, MADV_FREE, MADV_DONTNEED_LOCKED,
                                                 MADV_COLD, MADV_PAGEOUT):
        madvise_dontneed_hugetlb(mm, vma, start, end, advice)
    elif advice in (MADV_DONTNEED, MADV_FREE, MADV_DONTNEED_LOCKED, MADV_COLD, MADV_PAGEOUT):
        if flags & _NO_LRU and advice != MADV_DONTNEED_LOCKED:
            raise KernelError(Errno.EINVAL)
        if advice == MADV_FREE and (vma.file is not None or flags & VmFlags.VM_SHARED):
            raise KernelError(Errno.EINVAL)      # MADV_FREE is for private anonymous memory
        if advice in (MADV_DONTNEED, MADV_FREE, MADV_DONTNEED_LOCKED) \
                and not flags & VmFlags.VM_SHARED:
            zap_page_range(mm, start, end)
    elif advice == MADV_REMOVE:
        madvise_remove(vma)
    elif advice in (MADV_POPULATE_READ, MADV_POPULATE_WRITE):
        madvise_populate(mm, vma, start, end, advice == MADV_POPULATE_WRITE)
    elif advice in _FLAG_CHANGES:
        new = _FLAG_CHANGES[advice](vma)
        if new != flags:
            for part in mm.split_range(start, end):
                part.flags = new


def madvise_dontneed_hugetlb(mm, vma, start: int, end: int, advice: int) -> None:
    """Huge pages take only MADV_DONTNEED(_LOCKED), from a huge page boundary to the end
    rounded up to one (EINVAL otherwise): a private range's pages go back to the pool and
    read as zeros again; a shared one's stay in their file."""
    size = vma.file.hstate.size
    if advice not in (MADV_DONTNEED, MADV_DONTNEED_LOCKED) or start & (size - 1):
        raise KernelError(Errno.EINVAL)
    end = min((end + size - 1) & ~(size - 1), vma.end)
    zap_page_range(mm, start, end)
    drop = getattr(vma.file, "drop_private_pages", None)
    if drop is not None:
        drop(vma, start, end)


def madvise_remove(vma) -> None:
    """MADV_REMOVE frees a range of a shared writable file or shmem mapping: EINVAL for a
    locked or private one, EACCES for one not writable."""
    if vma.flags & VmFlags.VM_LOCKED or vma.file is None:
        raise KernelError(Errno.EINVAL)
    if vma.flags & (VmFlags.VM_SHARED | VmFlags.VM_WRITE) != VmFlags.VM_SHARED | VmFlags.VM_WRITE:
        raise KernelError(Errno.EACCES if vma.flags & VmFlags.VM_SHARED else Errno.EINVAL)
    # Accepted, but the range is not freed: punching a hole through every mapping of a
    # shared object is not done here (the data stays; Linux would read zeros after it).


def madvise_populate(mm, vma, start: int, end: int, write: bool) -> None:
    """Fault the pages in as a read or a write would: EINVAL for a VM_IO/VM_PFNMAP area,
    EFAULT where the access is not allowed."""
    if vma.flags & (VmFlags.VM_IO | VmFlags.VM_PFNMAP):
        raise KernelError(Errno.EINVAL)
    for addr in range(start, end, PAGE_SIZE):
        try:
            handle_mm_fault(mm, addr, write)
        except VmFault:
            raise KernelError(Errno.EFAULT) from None


def _wipeonfork(vma) -> int:
    if vma.file is not None or vma.flags & VmFlags.VM_SHARED:
        raise KernelError(Errno.EINVAL)          # only private anonymous memory
    return vma.flags | VmFlags.VM_WIPEONFORK


def _dofork(vma) -> int:
    if vma.flags & VmFlags.VM_IO:
        raise KernelError(Errno.EINVAL)
    return vma.flags & ~VmFlags.VM_DONTCOPY


def _dodump(vma) -> int:
    if vma.flags & VM_SPECIAL and not vma.flags & VmFlags.VM_DONTDUMP:
        raise KernelError(Errno.EINVAL)
    return vma.flags & ~VmFlags.VM_DONTDUMP


_FLAG_CHANGES = {
    MADV_DONTFORK: lambda vma: vma.flags | VmFlags.VM_DONTCOPY,
    MADV_DOFORK: _dofork,
    MADV_WIPEONFORK: _wipeonfork,
    MADV_KEEPONFORK: lambda vma: vma.flags & ~VmFlags.VM_WIPEONFORK,
    MADV_DONTDUMP: lambda vma: vma.flags | VmFlags.VM_DONTDUMP,
    MADV_DODUMP: _dodump,
}
