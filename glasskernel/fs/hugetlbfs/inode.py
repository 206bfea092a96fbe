"""The kernel's internal hugetlbfs (fs/hugetlbfs/inode.c): the files behind MAP_HUGETLB
and SHM_HUGETLB, and where their mappings may go.

``hugetlb_file_setup`` makes an unlinked file of one huge page size; ``hugetlbfs_file_mmap``
reserves the pages a new mapping of it may fault in; ``hugetlb_get_unmapped_area`` places
mappings on huge page boundaries. The page pool and the faults are mm/hugetlb.py's.
(Mounting hugetlbfs with mount(2) is not supported: these files have no directory.)
"""
import os

from glasskernel.fs import inode_numbers
from glasskernel.fs.dcache import Dentry
from glasskernel.fs.file_table import File
from glasskernel.mm.hugetlb import (hugetlb_fault, hugetlb_release_range,
                                    hugetlb_reserve_pages)
from glasskernel.mm.mm_types import MMAP_MIN_ADDR, TASK_SIZE
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError

HUGETLBFS_DEV = os.makedev(0, 16)        # the internal mount's anonymous device
inode_numbers.register("hugetlbfs", 1000)


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
        self.ino = inode_numbers.next_ino("hugetlbfs")
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


# ----- memfd_create(MFD_HUGETLB): an open hugetlbfs file ----------------------------------

class HugetlbMemfdFile(File):
    """hugetlbfs_file_operations on an unlinked file: read from its pages, no write(2)
    (EINVAL), ftruncate in whole huge pages, mmap in huge pages. A MAP_SHARED mapping
    maps the file's own pages; a MAP_PRIVATE one gets pages of its own (it does not see
    pages a shared mapping put in the file: a simplification)."""

    can_mmap = True

    def __init__(self, inode: HugetlbFile, name: str, flags: int):
        path = f"/memfd:{name} (deleted)"
        super().__init__(_HugetlbDentry(inode, path), flags)
        self.inode = inode

    @property
    def hstate(self):
        return self.inode.hstate

    def release(self) -> None:
        self.inode.put()

    def size(self) -> int:
        return self.inode.size

    def read_at(self, count: int, pos: int) -> bytes:
        """hugetlbfs_read_iter: the pages' bytes up to the size, holes as zeros."""
        inode = self.inode
        hsize = inode.hstate.size
        view = inode.hstate.phys.view
        end = min(pos + count, inode.size)
        out = bytearray()
        while pos < end:
            index, off = divmod(pos, hsize)
            frame_index, in_frame = divmod(off, PAGE_SIZE)
            chunk = min(end - pos, PAGE_SIZE - in_frame)
            page = inode.pages.get(index)
            if page is None:
                out += bytes(chunk)
            else:
                frame = page.frames[frame_index]
                out += view[frame + in_frame:frame + in_frame + chunk]
            pos += chunk
        return bytes(out)

    def write_at(self, data: bytes, pos: int) -> int:
        raise KernelError(Errno.EINVAL)         # hugetlbfs has no write_iter

    def truncate(self, length: int) -> None:
        """hugetlb_vmtruncate: whole huge pages only (EINVAL); pages and reservations
        past the new end go."""
        inode = self.inode
        size = inode.hstate.size
        if length & (size - 1):
            raise KernelError(Errno.EINVAL)
        if length < inode.size:
            hugetlb_release_range(inode, length // size, 1 << 64)
        inode.size = length

    def shared_vm_file(self):
        """What a MAP_SHARED mapping maps: the inode's pages."""
        return self.inode

    def private_vm_file(self):
        """What a MAP_PRIVATE mapping maps: pages of its own (the caller puts it)."""
        inode = self.inode
        return HugetlbFile(inode.hstate, inode.size, inode.path, private=True)


class _HugetlbDentry(Dentry):
    """The unlinked file's name, for /proc/PID/fd and fstat."""

    def __init__(self, inode: HugetlbFile, path: str):
        super().__init__(path, None, path)
        self.inode = inode
        inode.path = path

    def stat(self):
        from glasskernel.fs.kstat import StatResult
        inode = self.inode
        blocks = len(inode.pages) * (inode.hstate.size // 512)
        return StatResult(HUGETLBFS_DEV, inode.ino, 0o100777, 0, os.getuid(), os.getgid(), 0,
                          inode.size, inode.hstate.size, blocks, (0, 0), (0, 0), (0, 0))

    def truncate(self, length: int) -> None:
        raise KernelError(Errno.EINVAL)         # only through the open file here


def memfd_hugetlb_file(task, name: str, flags: int, page_size_log: int) -> HugetlbMemfdFile:
    """memfd_create(MFD_HUGETLB): an empty file of the size the flags name (ENODEV if
    there is no such pool)."""
    from glasskernel.mm.hugetlb import hstate_sizelog
    hstate = hstate_sizelog(task.mm.phys, page_size_log)
    if hstate is None:
        raise KernelError(Errno.ENODEV)
    inode = HugetlbFile(hstate, 0, f"/memfd:{name} (deleted)")
    return HugetlbMemfdFile(inode, name, flags)
