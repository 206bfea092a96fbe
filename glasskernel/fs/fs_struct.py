"""struct fs_struct: a task's root, working directory and umask (fs/fs_struct.c).

Shared between tasks created with CLONE_FS, copied otherwise (``copy``).
"""
from glasskernel.uapi.errno import KernelError


class FsStruct:
    """root and pwd dentries plus the file-creation mask."""

    __slots__ = ("root", "cwd", "umask", "users")

    def __init__(self, root, cwd, umask: int = 0o022):
        self.root = root      # the guest root (no chroot yet: always the vfs root)
        self.cwd = cwd        # pwd; revalidated by the walker before each use
        self.umask = umask
        self.users = 1        # tasks sharing this fs_struct (CLONE_FS)

    @classmethod
    def initial(cls, vfs, host_cwd: str) -> "FsStruct":
        """init's fs_struct: root at the guest root, cwd = the host cwd seen in the guest.

        With ``--root DIR`` a host cwd outside DIR becomes ``/``; so does a cwd the guest
        cannot reach (a directory hidden under /proc or /dev, say).
        """
        root = vfs.root
        fs = cls(root, root)
        guest = vfs.host_to_guest(host_cwd)
        if guest is not None:
            fs.set_pwd(_lookup_dir(vfs, fs, guest))
        return fs

    def copy(self) -> "FsStruct":
        """copy_fs_struct: a private copy for a child created without CLONE_FS."""
        return FsStruct(self.root, self.cwd, self.umask)

    def set_pwd(self, dentry) -> None:
        dentry.pin()            # the working directory follows renames of its name
        self.cwd = dentry


class _BootTask:
    """The minimal task a walk needs before the first real task exists."""

    __slots__ = ("fs", "files", "cred")

    def __init__(self, fs):
        self.fs = fs
        self.files = None
        self.cred = None        # no cred: the walk has the host user's access


def _lookup_dir(vfs, fs: FsStruct, guest_path: str):
    from glasskernel.fs.namei import Nameidata, walk
    nd = Nameidata(_BootTask(fs))
    try:
        dentry = walk(nd, vfs.root, guest_path, follow_last=True)
    except KernelError:
        return vfs.root
    return dentry if dentry.is_dir() else vfs.root
