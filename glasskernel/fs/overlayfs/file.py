"""Open files of the overlay and the host objects behind them (fs/overlayfs/file.c).

``OvlFile`` is a regular file open on a host descriptor of one layer; writes are charged to
the upper layer's quota. ``HostInode`` is what a pinned dentry holds: an O_PATH descriptor
of the host object, through which a file that has been unlinked or replaced since is still
reached (fchmod, /proc/self/fd/N, execveat(fd, "", AT_EMPTY_PATH)), never by its old name.
``UpperName`` makes the same changes by name, through the parent's descriptor.
"""
import os
import weakref

FALLOC_FL_KEEP_SIZE = 0x01

from glasskernel.fs.file_table import HostFile
from glasskernel.fs.overlayfs.copy_up import set_mode_at
from glasskernel.fs.internal import host_errors
from glasskernel.fs.overlayfs.layer import chmod_fd, fd_path, host_fallocate
from glasskernel.uapi.errno import Errno, KernelError


class OvlFile(HostFile):
    """A regular file of the overlay; its attributes are the dentry's (the visible layer)."""

    def stat(self):
        return self.dentry.stat()

    def write_at(self, data: bytes, pos: int) -> int:
        """Write, within the room the upper layer's quota leaves (ENOSPC when none)."""
        before = os.fstat(self.host_fd)
        if pos + len(data) > before.st_size:
            keep = max(0, before.st_size - pos) + self.dentry.ofs.room()
            if keep <= 0:
                raise KernelError(Errno.ENOSPC)
            data = data[:keep]
        n = super().write_at(data, pos)
        self._account(before.st_blocks)
        return n

    def fallocate(self, mode: int, offset: int, length: int) -> None:
        """The host file system's fallocate, the blocks it adds charged to the quota."""
        before = os.fstat(self.host_fd).st_blocks
        if (not mode or mode == FALLOC_FL_KEEP_SIZE) and length > self.dentry.ofs.room():
            raise KernelError(Errno.ENOSPC)
        with host_errors():
            host_fallocate(self.host_fd, mode, offset, length)
        self._account(before)

    def truncate(self, length: int) -> None:
        before = os.fstat(self.host_fd).st_blocks
        super().truncate(length)
        self._account(before)

    def _account(self, blocks_before: int) -> None:
        """The quota follows what the host file really allocated since ``blocks_before``
        (after the fact: the checks that refuse come before the change)."""
        self.dentry.ofs.used += (os.fstat(self.host_fd).st_blocks - blocks_before) * 512


class HostInode:
    """The host object a pinned dentry names, held by an O_PATH descriptor."""

    __slots__ = ("layer", "upper", "fd", "__weakref__")

    def __init__(self, layer, path: str, upper: bool):
        self.layer = layer
        self.upper = upper          # an upper object may be changed; a lower one never
        self.fd = layer.open(path, os.O_PATH)
        weakref.finalize(self, os.close, self.fd)

    @classmethod
    def adopt(cls, layer, fd: int) -> "HostInode":
        """The upper object behind our open descriptor ``fd`` (an O_TMPFILE file)."""
        inode = cls.__new__(cls)
        inode.layer, inode.upper = layer, True
        inode.fd = os.open(fd_path(fd), os.O_PATH | os.O_CLOEXEC)
        weakref.finalize(inode, os.close, inode.fd)
        return inode

    def stat(self):
        return os.fstat(self.fd)

    def readlink(self) -> str:
        return os.readlink("", dir_fd=self.fd)

    def reopen(self, host_flags: int, writing: bool) -> int:
        """A new descriptor of the same object (what opening /proc/self/fd/N does)."""
        if writing and not self.upper:
            raise KernelError(Errno.ENOENT)     # a deleted lower file cannot be copied up
        return os.open(fd_path(self.fd), host_flags | os.O_CLOEXEC)

    def chmod(self, mode: int) -> None:
        chmod_fd(self.fd, mode)

    def chown(self, uid: int, gid: int) -> None:
        os.chown(fd_path(self.fd), uid, gid)

    def truncate(self, length: int) -> None:
        fd = os.open(fd_path(self.fd), os.O_WRONLY | os.O_CLOEXEC)
        try:
            os.ftruncate(fd, length)
        finally:
            os.close(fd)

    def utimes(self, atime_ns, mtime_ns) -> None:
        os.utime(fd_path(self.fd), ns=_times(os.fstat(self.fd), atime_ns, mtime_ns))

    def setxattr(self, name: str, value: bytes, flags: int) -> None:
        os.setxattr(fd_path(self.fd), name, value, flags)

    def removexattr(self, name: str) -> None:
        os.removexattr(fd_path(self.fd), name)


class UpperName:
    """An upper object changed by name, through its parent directory's descriptor."""

    __slots__ = ("layer", "path")

    def __init__(self, layer, path: str):
        self.layer, self.path = layer, path

    def chmod(self, mode: int) -> None:
        with self.layer.parent(self.path) as (pfd, name):
            set_mode_at(pfd, name, mode)

    def chown(self, uid: int, gid: int) -> None:
        with self.layer.parent(self.path) as (pfd, name):
            os.chown(name, uid, gid, dir_fd=pfd, follow_symlinks=False)

    def truncate(self, length: int) -> None:
        fd = self.layer.open(self.path, os.O_WRONLY)
        try:
            os.ftruncate(fd, length)
        finally:
            os.close(fd)

    def utimes(self, atime_ns, mtime_ns) -> None:
        with self.layer.parent(self.path) as (pfd, name):
            st = os.stat(name, dir_fd=pfd, follow_symlinks=False)
            os.utime(name, ns=_times(st, atime_ns, mtime_ns), dir_fd=pfd, follow_symlinks=False)

    def setxattr(self, name: str, value: bytes, flags: int) -> None:
        fd = self.layer.open(self.path, os.O_PATH)
        try:
            os.setxattr(fd_path(fd), name, value, flags)
        finally:
            os.close(fd)

    def removexattr(self, name: str) -> None:
        fd = self.layer.open(self.path, os.O_PATH)
        try:
            os.removexattr(fd_path(fd), name)
        finally:
            os.close(fd)


def _times(st, atime_ns, mtime_ns) -> tuple:
    """utimensat's pair, with None (UTIME_OMIT) keeping the current time."""
    return (st.st_atime_ns if atime_ns is None else atime_ns,
            st.st_mtime_ns if mtime_ns is None else mtime_ns)
