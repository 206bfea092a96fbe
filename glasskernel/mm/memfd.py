"""memfd_create(2) and file seals (mm/memfd.c, mm/shmem.c).

A memfd is an unlinked tmpfs file: its pages live in memory (a ShmemFile keyed by page
index, the object shared anonymous memory uses too), read/write/ftruncate work on them and
a MAP_SHARED mapping maps the very same frames. /proc/<pid>/fd shows
"/memfd:NAME (deleted)". Seals (F_ADD_SEALS, F_GET_SEALS) forbid shrinking, growing or
writing from then on.
"""
import itertools
import os
import time

from glasskernel.fs.dcache import Dentry
from glasskernel.fs.file_table import File
from glasskernel.fs.kstat import StatResult
from glasskernel.mm.filemap import SharedPageFault
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.shmem import ShmemFile
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_RDWR, O_TRUNC

MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB = 0x1, 0x2, 0x4
MFD_NAME_MAX_LEN = 255 - len("memfd:")
F_ADD_SEALS, F_GET_SEALS = 1033, 1034
F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE = 1, 2, 4, 8, 0x10
_ALL_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE
SHMEM_DEV = os.makedev(0, 1)        # the internal shm_mnt
_inos = itertools.count(1024)


class ShmemInode(ShmemFile):
    """The tmpfs inode behind a memfd: pages by index, size, seals, attributes."""

    def __init__(self, phys, name: str, seals: int):
        super().__init__(phys)
        self.name = name
        self.size = 0
        self.seals = seals
        self.ino = next(_inos)
        self.when = divmod(time.time_ns(), 10**9)


class MemfdDentry(Dentry):
    """The unlinked file's name: what d_path shows for it."""

    def __init__(self, inode: ShmemInode):
        path = f"/memfd:{inode.name} (deleted)"
        super().__init__(path, None, path)
        self.inode = inode

    def stat(self):
        inode = self.inode
        st = StatResult.synthetic(SHMEM_DEV, inode.ino, 0o100777, size=inode.size, nlink=0,
                                  when=inode.when)
        st.st_blocks = len(inode.pages) * (PAGE_SIZE // 512)
        return st

    def open(self, task, flags: int):
        """A reopen through /proc/<pid>/fd/N: a new description of the same inode
        (O_TRUNC empties it, if the seals allow)."""
        file = MemfdFile(self.inode.get(), flags, self)
        if flags & O_TRUNC and self.inode.size:
            try:
                file.truncate(0)
            except KernelError:
                file.put()
                raise
        return file


class MemfdFile(File):
    """An open memfd: shmem_file_operations over the inode's pages."""

    can_mmap = True

    def __init__(self, inode: ShmemInode, flags: int, dentry=None):
        super().__init__(dentry or MemfdDentry(inode), flags)
        self.inode = inode

    def release(self) -> None:
        self.inode.put()

    def size(self) -> int:
        return self.inode.size

    def read_at(self, count: int, pos: int) -> bytes:
        inode = self.inode
        end = min(pos + count, inode.size)
        out = bytearray()
        view = inode.phys.view
        while pos < end:
            index, off = divmod(pos, PAGE_SIZE)
            chunk = min(end - pos, PAGE_SIZE - off)
            frame = inode.pages.get(index)
            out += bytes(chunk) if frame is None else view[frame + off:frame + off + chunk]
            pos += chunk
        return bytes(out)

    def write_at(self, data: bytes, pos: int) -> int:
        inode = self.inode
        if inode.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE):
            raise KernelError(Errno.EPERM)
        if pos + len(data) > inode.size and inode.seals & F_SEAL_GROW:
            raise KernelError(Errno.EPERM)
        view = inode.phys.view
        done = 0
        while done < len(data):
            index, off = divmod(pos + done, PAGE_SIZE)
            chunk = min(len(data) - done, PAGE_SIZE - off)
            frame = inode.find_or_create_page(index * PAGE_SIZE)
            view[frame + off:frame + off + chunk] = data[done:done + chunk]
            done += chunk
        inode.size = max(inode.size, pos + len(data))
        return len(data)

    def truncate(self, length: int) -> None:
        """shmem_setattr: the seals first, then the pages past the new end go."""
        inode = self.inode
        if length < inode.size and inode.seals & F_SEAL_SHRINK:
            raise KernelError(Errno.EPERM)
        if length > inode.size and inode.seals & F_SEAL_GROW:
            raise KernelError(Errno.EPERM)
        if length < inode.size:
            view = inode.phys.view
            for index in list(inode.pages):
                start = length - index * PAGE_SIZE
                if start <= 0:
                    inode.phys.put_page(inode.pages.pop(index))
                elif start < PAGE_SIZE:
                    frame = inode.pages[index]
                    view[frame + start:frame + PAGE_SIZE] = bytes(PAGE_SIZE - start)
        inode.size = length

    def find_or_create_page(self, offset: int) -> int:
        """shmem_fault: the page of a shared mapping; SIGBUS past the end of the file."""
        if offset >= self.inode.size:
            raise SharedPageFault(offset // PAGE_SIZE)
        return self.inode.find_or_create_page(offset)

    def deny_mmap(self, vm_flags: int) -> None:
        """A write seal forbids new writable shared mappings (mapping_map_writable)."""
        from glasskernel.mm.vm_flags import VmFlags
        shared_write = VmFlags.VM_SHARED | VmFlags.VM_WRITE
        if vm_flags & shared_write == shared_write and \
                self.inode.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE):
            raise KernelError(Errno.EPERM)


def sys_memfd_create(task, uname, flags) -> int:
    """memfd_create: EINVAL for unknown flags or a name longer than 249 bytes; without
    MFD_ALLOW_SEALING the file starts with F_SEAL_SEAL (no seal can be added)."""
    flags &= 0xFFFFFFFF
    if flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING) or flags & MFD_HUGETLB:
        raise KernelError(Errno.EINVAL)      # no hugetlbfs here
    try:
        name = task.mm.read_cstring(uname, MFD_NAME_MAX_LEN + 1)
    except KernelError as err:
        raise KernelError(Errno.EINVAL if err.errno == Errno.ENAMETOOLONG else err.errno) from None
    seals = 0 if flags & MFD_ALLOW_SEALING else F_SEAL_SEAL
    inode = ShmemInode(task.mm.phys, name.decode("utf-8", "surrogateescape"), seals)
    return task.files.install_new(MemfdFile(inode, O_RDWR), cloexec=bool(flags & MFD_CLOEXEC),
                                  task=task)


def memfd_fcntl(file, cmd: int, arg: int) -> int:
    """F_ADD_SEALS / F_GET_SEALS: EINVAL on a file that is not a memfd."""
    if not isinstance(file, MemfdFile):
        raise KernelError(Errno.EINVAL)
    inode = file.inode
    if cmd == F_GET_SEALS:
        return inode.seals
    arg &= 0xFFFFFFFF
    if not file.writable:
        raise KernelError(Errno.EPERM)
    if arg & ~_ALL_SEALS:
        raise KernelError(Errno.EINVAL)
    if inode.seals & F_SEAL_SEAL:
        raise KernelError(Errno.EPERM)
    inode.seals |= arg
    return 0
