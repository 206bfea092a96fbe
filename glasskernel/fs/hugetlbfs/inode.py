"""The kernel's internal hugetlbfs (fs/hugetlbfs/inode.c): the files behind MAP_HUGETLB
and SHM_HUGETLB, and where their mappings may go.

``hugetlb_file_setup`` makes an unlinked file of one huge page size; ``hugetlbfs_file_mmap``
reserves the pages a new mapping of it may fault in; ``hugetlb_get_unmapped_area`` places
mappings on huge page boundaries. The page pool and the faults are mm/hugetlb.py's.
(Mounting hugetlbfs with mount(2) is not supported: these files have no directory.)
"""
import itertools
import os

from glasskernel.mm.hugetlb import (hugetlb_fault, hugetlb_release_range,
                                    hugetlb_reserve_pages)
from glasskernel.mm.mm_types import MMAP_MIN_ADDR, TASK_SIZE
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError

HUGETLBFS_DEV = os.makedev(0, 16)        # the internal mount's anonymous device
_inos = itertools.count(1000)


class HugetlbFile:
    """An unlinked hugetlbfs inode and its open file: pages by huge page index, and the
    indices reserved for it that have no page yet (the inode's resv_map). A private
    one backs one MAP_PRIVATE mapping in one address space."""

    __slots__ = ("hstate", "pages", "reserved", "size", "private", "path", "ino", "_refs",
                 "shm")
    flags = 2                               # O_RDWR
    readable = writable = can_mmap = True

    def __init__(self, hstate, size: int, path: str, private: bool = False, shm: bool = False):
        self.hstate = hstate
        self.pages = {}
        self.reserved = set()
        self.size = size
        self.private = private
        self.path = path
        self.ino = next(_inos)
        self.shm = shm                  # S_PRIVATE: shmget reserved the pages already
        self._refs = 1

    def get(self) -> "HugetlbFile":
        self._refs += 1
        return self

    def put(self) -> None:
        """fput: the last reference frees the pages and the unused reservations."""
        self._refs -= 1
        if self._refs == 0:
            hugetlb_release_range(self, 0, 1 << 64)

    def stat(self):
        from glasskernel.fs.kstat import StatResult
        return StatResult.synthetic(HUGETLBFS_DEV, self.ino, 0o100777, size=self.size,
                                    nlink=0)

    def pread(self, count: int, offset: int) -> bytes:
        return bytes(count)

    def fault(self, mm, vma, page_va: int, write: bool) -> None:
        hugetlb_fault(self, mm, vma, page_va, write)

    def mmap_reserve(self, start: int, end: int, pgoff: int, vm_flags: int) -> None:
        """hugetlbfs_file_mmap: EINVAL for an offset off a huge page boundary; reserve
        the pages of the range (ENOMEM), unless NORESERVE or shmget did it."""
        size = self.hstate.size
        if pgoff & (size - 1):
            raise KernelError(Errno.EINVAL)
        first = pgoff // size
        noreserve = bool(vm_flags & VmFlags.VM_NORESERVE) or self.shm
        hugetlb_reserve_pages(self, first, first + (end - start) // size, noreserve)
        if vm_flags & VmFlags.VM_WRITE and self.size < pgoff + end - start:
            self.size = pgoff + end - start

    def unmap_vma(self, mm, vma) -> None:
        """hugetlb_vm_op_close: a private mapping's range goes with its pages and the
        reservations it did not use (a shared file keeps its pages). What another area
        of the same file still covers stays (mremap inserts the moved area first)."""
        if not self.private:
            return
        size = self.hstate.size
        keep = [(v.pgoff // size, v.file_offset(v.end) // size) for v in mm.vmas
                if v.file is self and v is not vma] if self._refs > 1 else []
        hugetlb_release_range(self, vma.pgoff // size, vma.file_offset(vma.end) // size, keep)

    def drop_private_pages(self, vma, start: int, end: int) -> None:
        """MADV_DONTNEED on a private mapping: its pages of [start, end) are freed (the
        reservations they used are not given back, as Linux's region map says)."""
        if not self.private:
            return
        h = self.hstate
        first, last = vma.file_offset(start) // h.size, vma.file_offset(end) // h.size
        for index in [i for i in self.pages if first <= i < last]:
            h.put_page(self.pages.pop(index))

    def dup_private(self, memo: dict) -> "HugetlbFile":
        """fork: the child's own file holding the same pages, copy-on-write, and no
        reservations (those stay the parent's, as HPAGE_RESV_OWNER)."""
        child = memo.get(id(self))
        if child is not None:
            return child.get()
        child = memo[id(self)] = HugetlbFile(self.hstate, self.size, self.path, private=True)
        child.ino = self.ino
        for index, page in self.pages.items():
            page.refs += 1
            child.pages[index] = page
        return child


def hugetlb_file_setup(task, hstate, size: int, path: str, reserve: bool, shm: bool,
                       private: bool = False) -> HugetlbFile:
    """An unlinked file of ``size`` bytes; for shm, EPERM without CAP_IPC_LOCK or
    membership of vm.hugetlb_shm_group, and its pages reserved now unless not
    ``reserve`` (ENOMEM)."""
    if shm and not can_do_hugetlb_shm(task):
        raise KernelError(Errno.EPERM)
    file = HugetlbFile(hstate, size, path, private, shm)
    if reserve:
        try:
            hugetlb_reserve_pages(file, 0, size // hstate.size, False)
        except KernelError:
            file.put()
            raise
    return file


def can_do_hugetlb_shm(task) -> bool:
    from glasskernel.ipc.util import in_group_p
    from glasskernel.kernel.capability import capable
    from glasskernel.mm.hugetlb import hugetlb_of
    from glasskernel.uapi.capability import CAP_IPC_LOCK
    group = hugetlb_of(task.mm.phys).shm_group
    return capable(task, CAP_IPC_LOCK) or in_group_p(task.cred, group)


def hugetlb_get_unmapped_area(mm, hstate, addr: int, length: int, fixed: bool) -> int:
    """x86's hugetlb_get_unmapped_area: EINVAL for a length or a MAP_FIXED address off a
    huge page boundary; else the hint rounded down if free, else the highest aligned
    hole below mmap_base (ENOMEM if none)."""
    size = hstate.size
    if length & (size - 1):
        raise KernelError(Errno.EINVAL)
    if length > TASK_SIZE:
        raise KernelError(Errno.ENOMEM)
    if fixed:
        if addr & (size - 1):
            raise KernelError(Errno.EINVAL)
        return addr
    if addr:
        addr &= ~(size - 1)
        if MMAP_MIN_ADDR <= addr and addr + length <= TASK_SIZE and mm.is_free(addr, addr + length):
            return addr
    top = mm.mmap_base
    for vma in reversed(mm.overlapping(0, top)):
        if vma.end <= top:
            candidate = (top - length) & ~(size - 1)
            if candidate >= vma.end:
                return candidate
        top = min(top, vma.start)
    candidate = (top - length) & ~(size - 1)
    if candidate < max(MMAP_MIN_ADDR, PAGE_SIZE) or top < length:
        raise KernelError(Errno.ENOMEM)
    return candidate
