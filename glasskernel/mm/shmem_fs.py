"""tmpfs on /dev/shm (mm/shmem.c): named in-memory files for shm_open(3).

The files are the memfd's shmem inodes (mm/memfd.py) with a name in one flat directory:
open/O_CREAT, read/write, ftruncate, MAP_SHARED (the inode's own frames, shared by every
process) and unlink work as on Linux's /dev/shm. The directory's contents live in the
devtmpfs superblock of the run (``ShmFs``), since dentries are made afresh by each lookup.
Hard links work (sem_open(3) makes its semaphore under a temporary name and links it to
the real one); subdirectories are not supported (EPERM).
"""
import os
import time

from glasskernel.fs.libfs import SimpleDir
from glasskernel.mm.memfd import F_SEAL_SEAL, MemfdDentry, ShmemInode
from glasskernel.uapi.errno import Errno, KernelError

SHM_DEV = os.makedev(0, 26)          # its own tmpfs mount
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2


class ShmFs:
    """The tmpfs instance: name -> inode (the directory holds one reference each)."""

    __slots__ = ("files", "mtime")

    def __init__(self, when):
        self.files = {}
        self.mtime = when


def shm_fs(sb) -> ShmFs:
    """The /dev/shm tmpfs of this devtmpfs superblock (one per run)."""
    fs = getattr(sb, "shm_fs", None)
    if fs is None:
        fs = sb.shm_fs = ShmFs(sb.boot)
    return fs


class ShmDir(SimpleDir):
    """/dev/shm: world-writable and sticky, as the tmpfs systemd mounts there."""

    MODE = 0o041777

    def children(self, task) -> dict:
        return {name: _file(name, inode) for name, inode in shm_fs(self.sb).files.items()}

    def entry(self, task, name: str):
        inode = shm_fs(self.sb).files.get(name)
        return None if inode is None else _file(name, inode)

    def create(self, task, name: str, mode: int):
        """shmem_create: a new empty file owned by the caller's fs ids."""
        cred = task.cred
        inode = ShmemInode(task.mm.phys, name, F_SEAL_SEAL)
        inode.mode = 0o100000 | (mode & 0o7777)
        inode.uid, inode.gid = cred.fsuid, cred.fsgid
        inode.nlink = 1
        shm_fs(self.sb).files[name] = inode
        return ShmFileDentry(inode, name, self)

    def link(self, task, old, name: str) -> None:
        """shmem_link: one more name for a file of this directory."""
        files = shm_fs(self.sb).files
        inode = getattr(old, "inode", None)
        if inode is None or files.get(getattr(old, "name", None)) is not inode:
            raise KernelError(Errno.EXDEV)
        if name in files:
            raise KernelError(Errno.EEXIST)
        files[name] = inode.get()
        inode.nlink += 1
        inode.ctime = divmod(time.time_ns(), 10**9)

    def unlink(self, task, child) -> None:
        inode = shm_fs(self.sb).files.pop(child.name, None)
        if inode is None:
            raise KernelError(Errno.ENOENT)
        inode.nlink -= 1
        inode.put()                     # open files and mappings keep their own

    def rename(self, task, old, new_dir, new_name: str, new, flags: int) -> None:
        """shmem_rename2 within the directory: NOREPLACE, EXCHANGE, or a plain rename
        that drops the file it replaces."""
        if not isinstance(new_dir, ShmDir):
            raise KernelError(Errno.EXDEV)
        if flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) or flags == RENAME_NOREPLACE | RENAME_EXCHANGE:
            raise KernelError(Errno.EINVAL)
        files = shm_fs(self.sb).files
        if old.name not in files:
            raise KernelError(Errno.ENOENT)
        if flags & RENAME_EXCHANGE:
            if new_name not in files:
                raise KernelError(Errno.ENOENT)
            files[old.name], files[new_name] = files[new_name], files[old.name]
            return
        if new_name in files and flags & RENAME_NOREPLACE:
            raise KernelError(Errno.EEXIST)
        inode = files.pop(old.name)
        if new_name == old.name:
            files[new_name] = inode
            return
        replaced = files.get(new_name)
        files[new_name] = inode
        if replaced is not None:
            replaced.nlink -= 1
            replaced.put()


def _file(name, inode):
    return lambda parent: ShmFileDentry(inode, name, parent)


class ShmFileDentry(MemfdDentry):
    """A named shmem file: the memfd dentry's attribute and open methods, a real path
    (with " (deleted)" once unlinked, as d_path says)."""

    dev = SHM_DEV

    def __init__(self, inode: ShmemInode, name: str, parent):
        super().__init__(inode)
        self.name = name
        self.parent = parent
        self._path = f"{parent.path}/{name}"
        self.mnt_id = parent.mnt_id

    @property
    def path(self) -> str:
        return self._path if self.inode.nlink else f"{self._path} (deleted)"

    @path.setter
    def path(self, value: str) -> None:
        self._path = value

    def mode(self) -> int:
        return self.inode.mode
