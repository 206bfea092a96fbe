"""msync(2) (mm/msync.c): write a shared file mapping's pages back to the file.

Pages of a MAP_SHARED file mapping are the file's page cache (mm/filemap.py), which
read(2) and write(2) already see, so MS_ASYNC has nothing to wait for; MS_SYNC writes the
range back to the host file (vfs_fsync_range). MS_INVALIDATE has nothing to drop: there is
no other copy of the pages to make the mapping stale.
"""
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError

MS_ASYNC, MS_INVALIDATE, MS_SYNC = 1, 2, 4


def sys_msync(task, start, length, flags) -> int:
    """msync: EINVAL for unknown flags, an unaligned start or ASYNC with SYNC; ENOMEM when
    part of the range is unmapped (after syncing the mapped parts, as Linux does)."""
    flags &= 0xFFFFFFFF
    if flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC):
        raise KernelError(Errno.EINVAL)
    if start & (PAGE_SIZE - 1) or (flags & MS_ASYNC and flags & MS_SYNC):
        raise KernelError(Errno.EINVAL)
    mask = (1 << 64) - 1                       # unsigned long arithmetic, as in C
    end = (start + (((length + PAGE_SIZE - 1) & mask) & ~(PAGE_SIZE - 1))) & mask
    if end < start:
        raise KernelError(Errno.ENOMEM)
    if end == start:
        return 0
    unmapped = False
    mm = task.mm
    while True:
        vma = mm.find_vma(start)
        if vma is None:
            raise KernelError(Errno.ENOMEM)
        if start < vma.start:                  # a hole in the range
            if flags == MS_ASYNC:
                raise KernelError(Errno.ENOMEM)
            start = vma.start
            if start >= end:
                raise KernelError(Errno.ENOMEM)
            unmapped = True
        if flags & MS_INVALIDATE and vma.flags & VmFlags.VM_LOCKED:
            raise KernelError(Errno.EBUSY)     # locked pages cannot be dropped
        stop = min(end, vma.end)
        sync = getattr(vma.file, "fsync_range", None)
        if flags & MS_SYNC and sync is not None and vma.flags & VmFlags.VM_SHARED:
            sync(vma.file_offset(start), vma.file_offset(stop) - 1)
        start = vma.end
        if start >= end:
            break
    if unmapped:
        raise KernelError(Errno.ENOMEM)
    return 0
