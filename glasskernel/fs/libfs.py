"""In-memory file systems' building blocks (fs/libfs.c simple_* helpers).

procfs and devtmpfs are trees of these dentries, built on demand by lookups: a directory
says what children it has *now* (so /proc follows the task list), a symlink computes its
target, a file renders its text, a device node opens a driver.
"""
import os
import time

from glasskernel.fs.dcache import Dentry
from glasskernel.fs.file_table import DirFile, SeqFile
from glasskernel.fs.internal import child_path
from glasskernel.fs.kstat import StatResult
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.stat import dt_from_mode


class SyntheticFs:
    """struct super_block of an in-memory file system: device number, inode numbers."""

    def __init__(self, name: str, dev: int, mnt_id: int):
        self.name = name
        self.dev = dev
        self.mnt_id = mnt_id
        self.boot = divmod(time.time_ns(), 10**9)
        self._inos = {}

    def ino(self, key: str) -> int:
        """A stable inode number per path (iunique)."""
        return self._inos.setdefault(key, len(self._inos) + 1)


class SimpleDentry(Dentry):
    """A node of a SyntheticFs with a fixed mode."""

    MODE = 0o100444

    def __init__(self, sb: SyntheticFs, name: str, parent, *, mode: int | None = None,
                 rdev: int = 0):
        path = "/" if parent is None else child_path(parent.path, name)
        super().__init__(name, parent, path)
        self.sb = sb
        self.mnt_id = sb.mnt_id
        self._mode = self.MODE if mode is None else mode
        self._rdev = rdev

    def mode(self) -> int:
        return self._mode

    def stat(self):
        return StatResult.synthetic(self.sb.dev, self.sb.ino(self.path), self._mode,
                                    rdev=self._rdev, when=self.sb.boot,
                                    nlink=2 if self.is_dir() else 1)


class SimpleDir(SimpleDentry):
    """A read-only directory whose children come from ``children(task)``."""

    MODE = 0o040555

    def children(self, task) -> dict:
        """name -> factory(parent) making the child dentry."""
        return {}

    def entry(self, task, name: str):
        """The factory of child ``name``, or None. A directory that can make one child
        without listing them all overrides this (proc_pident_lookup)."""
        return self.children(task).get(name)

    def lookup(self, task, name: str):
        factory = self.entry(task, name)
        if factory is None:
            raise KernelError(Errno.ENOENT)
        return factory(self)

    def iterate(self, task) -> list:
        entries = []
        for name, factory in self.children(task).items():
            child = factory(self)
            entries.append((name, child.stat().st_ino, dt_from_mode(child.mode())))
        return entries

    def open(self, task, flags: int):
        return DirFile(self, flags, task)


class SimpleLink(SimpleDentry):
    """A symlink whose body ``target(task)`` is a str, or a Dentry for a magic link."""

    MODE = 0o120777

    def __init__(self, sb, name, parent, target, text=None):
        super().__init__(sb, name, parent)
        self._target = target
        self._text = text

    def get_link(self, task):
        return self._target(task)

    def readlink(self, task) -> str:
        if self._text is not None:
            return self._text(task)
        return super().readlink(task)


class SimpleFile(SimpleDentry):
    """A read-only file whose contents ``render(task)`` makes at read time."""

    def __init__(self, sb, name, parent, render, mode: int = 0o100444):
        super().__init__(sb, name, parent, mode=mode)
        self._render = render

    def permission(self, mask: int, cred=None) -> None:
        """Generated files are read-only whoever asks (no ->write op)."""
        if mask & 2:
            raise KernelError(Errno.EACCES)
        super().permission(mask, cred)

    def open(self, task, flags: int):
        return SeqFile(self, flags, task, self._render)


class StoreFile(SimpleFile):
    """A generated file that also takes writes (a proc_write handler): each write's bytes
    go to ``store(task, data)``, which raises KernelError to refuse them."""

    def __init__(self, sb, name, parent, render, store, mode: int = 0o100644):
        super().__init__(sb, name, parent, render, mode=mode)
        self._store = store

    def permission(self, mask: int, cred=None) -> None:
        SimpleDentry.permission(self, mask, cred)    # the mode decides, as for any inode

    def truncate(self, length: int) -> None:
        """O_TRUNC on open: nothing to cut in generated text."""

    def open(self, task, flags: int):
        from glasskernel.fs.file_table import SeqFile
        store = self._store

        class _StoreSeqFile(SeqFile):
            def write_at(self, data, pos: int) -> int:
                store(self._task, bytes(data))
                return len(data)

        return _StoreSeqFile(self, flags, task, self._render)


class DeviceNode(SimpleDentry):
    """A character device node; ``opener(dentry, flags)`` makes the driver's File."""

    def __init__(self, sb, name, parent, rdev: int, opener, mode: int = 0o020666):
        super().__init__(sb, name, parent, mode=mode, rdev=rdev)
        self._opener = opener

    def open(self, task, flags: int):
        return self._opener(self, flags, task)


def makedev(major: int, minor: int) -> int:
    return os.makedev(major, minor)
