"""Dentries: the nodes a path walk goes through (include/linux/dcache.h, fs/dcache.c).

A ``Dentry`` names one inode at one guest path, with a link to its parent so that ``..``
works without string games. Dentries are cheap and made afresh by every lookup; long-lived
ones (cwd, an open directory used as dirfd) are revalidated by the walker before use.

The methods below are the union of inode_operations and file_operations.open that this
kernel needs; the defaults are what Linux does when a file system leaves the op NULL.
"""
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.stat import S_ISDIR, S_ISLNK, S_ISREG


class Dentry:
    """Base dentry: subclasses are overlay (host-backed), procfs and devtmpfs nodes."""

    mnt_id = 0          # the mount this dentry belongs to (statx stx_mnt_id, EXDEV checks)

    def __init__(self, name: str, parent: "Dentry | None", path: str):
        self.name = name
        self.parent = parent if parent is not None else self   # the root is its own parent
        self.path = path    # guest absolute path, what d_path() prints

    def pin(self) -> None:
        """A file or working directory holds this dentry: keep naming the same object
        across renames and unlinks (file systems with host objects need to do work)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path}>"

    # --- attributes -------------------------------------------------------------------
    def stat(self):
        """getattr: the inode's attributes as a StatResult."""
        raise NotImplementedError

    def mode(self) -> int:
        return self.stat().st_mode

    def is_dir(self) -> bool:
        return S_ISDIR(self.mode())

    def is_symlink(self) -> bool:
        return S_ISLNK(self.mode())

    def is_reg(self) -> bool:
        return S_ISREG(self.mode())

    def permission(self, mask: int, cred=None) -> None:
        """inode_permission: raise EACCES unless ``cred`` may do the access in ``mask``
        (MAY_*)."""
        from glasskernel.fs.internal import generic_permission
        if not generic_permission(self.stat(), mask, cred):
            raise KernelError(Errno.EACCES)

    # --- directories -------------------------------------------------------------------
    def lookup(self, task, name: str) -> "Dentry":
        """Find the child ``name``; ENOENT if there is none."""
        raise KernelError(Errno.ENOTDIR)

    def iterate(self, task) -> list:
        """The directory's entries as (name, ino, d_type), without ``.`` and ``..``."""
        raise KernelError(Errno.ENOTDIR)

    def create(self, task, name: str, mode: int) -> "Dentry":
        raise KernelError(Errno.EACCES)

    def tmpfile(self, task, mode: int, flags: int):
        """An open, nameless regular file in this directory (O_TMPFILE)."""
        raise KernelError(Errno.EOPNOTSUPP)

    def mkdir(self, task, name: str, mode: int) -> "Dentry":
        raise KernelError(Errno.EPERM)

    def symlink(self, task, name: str, target: str) -> None:
        raise KernelError(Errno.EPERM)

    def mknod(self, task, name: str, mode: int, dev: int = 0) -> None:
        """Make a FIFO, socket or device inode (mode carries the type bits; dev the
        device number)."""
        raise KernelError(Errno.EPERM)

    def link(self, task, old: "Dentry", name: str) -> None:
        raise KernelError(Errno.EPERM)

    def unlink(self, task, child: "Dentry") -> None:
        raise KernelError(Errno.EPERM)

    def rmdir(self, task, child: "Dentry") -> None:
        raise KernelError(Errno.EPERM)

    def rename(self, task, old: "Dentry", new_dir: "Dentry", new_name: str,
               new: "Dentry | None", flags: int) -> None:
        raise KernelError(Errno.EPERM)

    # --- symlinks -----------------------------------------------------------------------
    def get_link(self, task):
        """The link body as a str to walk, or a Dentry to jump to (proc magic links)."""
        raise KernelError(Errno.EINVAL)

    def readlink(self, task) -> str:
        """What readlink(2) returns for this symlink."""
        link = self.get_link(task)
        return link.path if isinstance(link, Dentry) else link

    # --- attribute changes ----------------------------------------------------------------
    def chmod(self, mode: int) -> None:
        raise KernelError(Errno.EPERM)

    def chown(self, uid, gid) -> None:
        """Set owner and group; None leaves that id unchanged."""
        raise KernelError(Errno.EPERM)

    def truncate(self, length: int) -> None:
        raise KernelError(Errno.EPERM)

    def utimes(self, atime_ns, mtime_ns) -> None:
        """Set times in nanoseconds; None leaves a time unchanged (UTIME_OMIT)."""
        raise KernelError(Errno.EPERM)

    # --- extended attributes (a filesystem without xattr handlers) ------------------------
    def getxattr(self, name: str) -> bytes:
        raise KernelError(Errno.EOPNOTSUPP)

    def listxattr(self) -> list:
        return []

    def setxattr(self, name: str, value: bytes, flags: int) -> None:
        raise KernelError(Errno.EOPNOTSUPP)

    def removexattr(self, name: str) -> None:
        raise KernelError(Errno.EOPNOTSUPP)

    # --- opening ------------------------------------------------------------------------
    def open(self, task, flags: int):
        """Make a File for this dentry (the file system's ->open)."""
        raise KernelError(Errno.ENXIO)
