"""memfd_create(2) and file seals (mm/memfd.c, mm/shmem.c).

A memfd is an unlinked tmpfs file: its pages live in memory (a ShmemFile keyed by page
index, the object shared anonymous memory uses too), read/write/ftruncate work on them and
a MAP_SHARED mapping maps the very same frames. /proc/<pid>/fd shows
"/memfd:NAME (deleted)". Seals (F_ADD_SEALS, F_GET_SEALS) forbid shrinking, growing or
writing from then on.
"""
import os
import time

from glasskernel.fs import inode_numbers
from glasskernel.fs.dcache import Dentry
from glasskernel.fs.file_table import File
from glasskernel.fs.kstat import StatResult
from glasskernel.mm.filemap import SharedPageFault
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.shmem import ShmemFile
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_LARGEFILE, O_RDWR, O_TRUNC, SEEK_DATA, SEEK_HOLE

MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB = 0x1, 0x2, 0x4
MFD_HUGE_SHIFT, MFD_HUGE_MASK = 26, 0x3F
MFD_NAME_MAX_LEN = 255 - len("memfd:")
F_ADD_SEALS, F_GET_SEALS = 1033, 1034
F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE = 1, 2, 4, 8, 0x10
_ALL_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE
SHMEM_DEV = os.makedev(0, 1)        # the internal shm_mnt
inode_numbers.register("memfd", 1024)
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE = 0x01, 0x02
FIONREAD = 0x541B


class ShmemInode(ShmemFile):
    """The tmpfs inode behind a memfd: pages by index, size, seals, attributes."""

    def __init__(self, phys, name: str, seals: int):
        super().__init__(phys)
        self.name = name
        self.size = 0
        self.seals = seals
        self.ino = inode_numbers.next_ino("memfd")
        self.when = divmod(time.time_ns(), 10**9)
        self.mmap_writable = 0      # i_mmap_writable: shared mappings of writable files
        self.mode = 0o100777        # S_IFREG | 0777, as shmem_file_setup makes it
        self.uid, self.gid = os.getuid(), os.getgid()
        self.atime = self.mtime = self.ctime = self.when
        self.unwritten = set()      # pages fallocate made that hold no data yet (holes)
        self.nlink = 0              # a memfd has no name; a /dev/shm file has one

    def resize(self, length: int) -> None:
        """shmem_setattr's size change: the seals first, then pages past the end go and
        the last page's tail reads as zeros."""
        if length < self.size and self.seals & F_SEAL_SHRINK:
            raise KernelError(Errno.EPERM)
        if length > self.size and self.seals & F_SEAL_GROW:
            raise KernelError(Errno.EPERM)
        if length < self.size:
            view = self.phys.view
            for index in list(self.pages):
                start = length - index * PAGE_SIZE
                if start <= 0:
                    self.phys.put_page(self.pages.pop(index))
                    self.unwritten.discard(index)
                elif start < PAGE_SIZE:
                    frame = self.pages[index]
                    view[frame + start:frame + PAGE_SIZE] = bytes(PAGE_SIZE - start)
        self.size = length
        self.mtime = self.ctime = divmod(time.time_ns(), 10**9)


class MemfdDentry(Dentry):
    """The unlinked file's name: what d_path shows for it."""

    dev = SHMEM_DEV

    def __init__(self, inode: ShmemInode):
        path = f"/memfd:{inode.name} (deleted)"
        super().__init__(path, None, path)
        self.inode = inode

    def stat(self):
        inode = self.inode
        return StatResult(self.dev, inode.ino, inode.mode, inode.nlink, inode.uid, inode.gid, 0,
                          inode.size, PAGE_SIZE, len(inode.pages) * (PAGE_SIZE // 512),
                          inode.atime, inode.mtime, inode.ctime)

    # Attribute changes (shmem_setattr), through the fd or /proc/<pid>/fd/N.
    def chmod(self, mode: int) -> None:
        self.inode.mode = (self.inode.mode & ~0o7777) | (mode & 0o7777)
        self.inode.ctime = divmod(time.time_ns(), 10**9)

    def chown(self, uid, gid) -> None:
        inode = self.inode
        inode.uid = inode.uid if uid is None else uid
        inode.gid = inode.gid if gid is None else gid
        inode.ctime = divmod(time.time_ns(), 10**9)

    def utimes(self, atime_ns, mtime_ns) -> None:
        inode = self.inode
        if atime_ns is not None:
            inode.atime = divmod(atime_ns, 10**9)
        if mtime_ns is not None:
            inode.mtime = divmod(mtime_ns, 10**9)
        inode.ctime = divmod(time.time_ns(), 10**9)

    def truncate(self, length: int) -> None:
        self.inode.resize(length)

    def statfs(self):
        """shm_mnt's statfs: tmpfs with no size limit."""
        from glasskernel.fs.statfs import TMPFS_MAGIC, simple_statfs
        return simple_statfs(TMPFS_MAGIC, 0, SHMEM_DEV)

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

    def fsync(self) -> None:
        """shmem's noop_fsync: the data is in memory already."""

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
            inode.unwritten.discard(index)
            view[frame + off:frame + off + chunk] = data[done:done + chunk]
            done += chunk
        inode.size = max(inode.size, pos + len(data))
        return len(data)

    def truncate(self, length: int) -> None:
        self.inode.resize(length)

    def fallocate(self, mode: int, offset: int, length: int) -> None:
        """shmem_fallocate: allocate (growing the file unless FALLOC_FL_KEEP_SIZE) or
        punch a hole (with KEEP_SIZE); other modes are EOPNOTSUPP."""
        inode = self.inode
        first, last = offset // PAGE_SIZE, (offset + length - 1) // PAGE_SIZE
        if mode == FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE:
            if inode.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE):
                raise KernelError(Errno.EPERM)
            self._zero(offset, min(offset + length, inode.size))
            return
        if mode not in (0, FALLOC_FL_KEEP_SIZE):
            raise KernelError(Errno.EOPNOTSUPP)
        if offset + length > inode.size and inode.seals & F_SEAL_GROW:
            raise KernelError(Errno.EPERM)      # even with KEEP_SIZE, as shmem_fallocate
        for index in range(first, last + 1):
            if index not in inode.pages:
                inode.unwritten.add(index)
                inode.find_or_create_page(index * PAGE_SIZE)
        if not mode and offset + length > inode.size:
            inode.size = offset + length

    def _zero(self, start: int, end: int) -> None:
        """Zero the bytes [start, end) of the pages that exist."""
        view = self.inode.phys.view
        while start < end:
            index, off = divmod(start, PAGE_SIZE)
            chunk = min(end - start, PAGE_SIZE - off)
            frame = self.inode.pages.get(index)
            if frame is not None:
                view[frame + off:frame + off + chunk] = bytes(chunk)
            start += chunk

    def ioctl(self, cmd: int, arg: int, task) -> int:
        """FIONREAD on a regular file: the bytes from the offset to the end."""
        from glasskernel.mm.uaccess import put_user_i32
        if cmd == FIONREAD:
            put_user_i32(task, arg, max(0, min(self.inode.size - self.pos, 0x7FFFFFFF)))
            return 0
        raise KernelError(Errno.ENOTTY)

    def find_or_create_page(self, offset: int) -> int:
        """shmem_fault: the page of a shared mapping; SIGBUS past the end of the file."""
        if offset >= self.inode.size:
            raise SharedPageFault(offset // PAGE_SIZE)
        self.inode.unwritten.discard(offset // PAGE_SIZE)
        return self.inode.find_or_create_page(offset)

    def lseek(self, offset: int, whence: int) -> int:
        """SEEK_DATA/SEEK_HOLE by page, as shmem answers: a page holds data once written
        or mapped; pages never allocated or only fallocated are holes."""
        if whence not in (SEEK_DATA, SEEK_HOLE):
            return super().lseek(offset, whence)
        inode = self.inode
        if offset < 0 or offset >= inode.size:
            raise KernelError(Errno.ENXIO)
        pos = offset
        while pos < inode.size:
            index = pos // PAGE_SIZE
            data = index in inode.pages and index not in inode.unwritten
            if data == (whence == SEEK_DATA):
                break
            pos = (index + 1) * PAGE_SIZE
        if pos >= inode.size:
            if whence == SEEK_DATA:
                raise KernelError(Errno.ENXIO)
            pos = inode.size
        self.pos = pos
        return pos

    def shared_vm_file(self):
        """The vm_file of a MAP_SHARED mapping: it counts as a writable mapping of the
        inode while it lives if this description may write (mapping_map_writable)."""
        return SharedMemfdMapping(self) if self.writable else self

    def deny_mmap(self, vm_flags: int) -> None:
        """A write seal forbids new writable shared mappings (mapping_map_writable)."""
        from glasskernel.mm.vm_flags import VmFlags
        shared_write = VmFlags.VM_SHARED | VmFlags.VM_WRITE
        if vm_flags & shared_write == shared_write and \
                self.inode.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE):
            raise KernelError(Errno.EPERM)


class SharedMemfdMapping:
    """vm_file of a shared mapping of a writable memfd: each VMA reference is one on the
    file and one in the inode's count of writable mappings, which F_SEAL_WRITE must find
    at zero (EBUSY otherwise); everything else is the file's."""

    __slots__ = ("file",)

    def __init__(self, file: MemfdFile):
        self.file = file

    def __getattr__(self, name):
        return getattr(self.file, name)

    def get(self) -> "SharedMemfdMapping":
        self.file.get()
        self.file.inode.mmap_writable += 1
        return self

    def put(self) -> None:
        self.file.inode.mmap_writable -= 1
        self.file.put()

    def find_or_create_page(self, offset: int) -> int:
        return self.file.find_or_create_page(offset)


def sys_memfd_create(task, uname, flags) -> int:
    """memfd_create: EINVAL for unknown flags or a name longer than 249 bytes; without
    MFD_ALLOW_SEALING the file starts with F_SEAL_SEAL (no seal can be added)."""
    flags &= 0xFFFFFFFF
    allowed = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB
    if flags & MFD_HUGETLB:
        allowed |= MFD_HUGE_MASK << MFD_HUGE_SHIFT      # the huge page size's encoding
    if flags & ~allowed:
        raise KernelError(Errno.EINVAL)
    try:
        name = task.mm.read_cstring(uname, MFD_NAME_MAX_LEN + 1)
    except KernelError as err:
        raise KernelError(Errno.EINVAL if err.errno == Errno.ENAMETOOLONG else err.errno) from None
    if flags & MFD_HUGETLB:
        from glasskernel.fs.hugetlbfs.inode import memfd_hugetlb_file
        file = memfd_hugetlb_file(task, name.decode("utf-8", "surrogateescape"),
                                  O_RDWR | O_LARGEFILE, (flags >> MFD_HUGE_SHIFT) & MFD_HUGE_MASK)
        return task.files.install_new(file, cloexec=bool(flags & MFD_CLOEXEC), task=task)
    seals = 0 if flags & MFD_ALLOW_SEALING else F_SEAL_SEAL
    inode = ShmemInode(task.mm.phys, name.decode("utf-8", "surrogateescape"), seals)
    file = MemfdFile(inode, O_RDWR | O_LARGEFILE)          # (memfd_create sets O_LARGEFILE)
    return task.files.install_new(file, cloexec=bool(flags & MFD_CLOEXEC), task=task)


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
    if arg & F_SEAL_WRITE and not inode.seals & F_SEAL_WRITE and inode.mmap_writable:
        raise KernelError(Errno.EBUSY)      # shared mappings could still write
    inode.seals |= arg
    return 0
