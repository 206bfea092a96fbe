"""The host's stdin/stdout/stderr and /dev/tty as guest files (drivers/tty/tty_io.c).

The guest's descriptors 0-2 start out as these: reads and writes go straight to the host
descriptor (os.read/os.write); terminal ioctls are passed to the host terminal, whose
answers are already in the kernel's struct layout. The host's stdio is never closed.
"""
import fcntl
import os
import stat as pystat

from glasskernel.fs.dcache import Dentry
from glasskernel.fs.file_table import HostFdFile
from glasskernel.fs.internal import host_errors
from glasskernel.fs.kstat import StatResult
from glasskernel.mm.uaccess import copy_from_user, copy_to_user, put_user_i32
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_LARGEFILE
from glasskernel.uapi.ioctls import SIZEOF_KTERMIOS, SIZEOF_WINSIZE, Ioctl


class HostFdDentry(Dentry):
    """An anonymous dentry for a host descriptor: its path is what the host's
    /proc/self/fd shows (``/dev/pts/3``, ``pipe:[1234]``)."""

    def __init__(self, host_fd: int):
        super().__init__(str(host_fd), None, _host_fd_name(host_fd))
        self.host_fd = host_fd

    def stat(self):
        with host_errors():
            return StatResult.from_host(os.fstat(self.host_fd))

    def open(self, task, flags: int):
        """Reopening through /proc/self/fd/N shares the host descriptor."""
        return HostStdioFile(self, flags, self.host_fd, owned=False)


def _host_fd_name(host_fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{host_fd}")
    except OSError:
        return f"anon_inode:[fd{host_fd}]"


class HostStdioFile(HostFdFile):
    """A guest file on a host descriptor (terminal, pipe or redirected file)."""

    def __init__(self, dentry, flags: int, host_fd: int, owned: bool):
        super().__init__(dentry, flags, host_fd)
        self.owned = owned      # True only for descriptors we opened (/dev/tty)
        with host_errors():
            mode = os.fstat(host_fd).st_mode
        self.seekable = pystat.S_ISREG(mode) or pystat.S_ISBLK(mode)

    def release(self) -> None:
        if self.owned:
            os.close(self.host_fd)

    def read(self, count: int) -> bytes:
        self.check_read()
        with host_errors():
            return os.read(self.host_fd, count)

    def write(self, data: bytes) -> int:
        self.check_write()
        with host_errors():
            return os.write(self.host_fd, data)

    def lseek(self, offset: int, whence: int) -> int:
        """The host descriptor's own offset is the shared one (it may be a host file)."""
        with host_errors():
            return os.lseek(self.host_fd, offset, whence)

    def isatty(self) -> bool:
        return os.isatty(self.host_fd)

    def ioctl(self, cmd: int, arg: int, task) -> int:
        """tty_ioctl: get/set termios and window size on the host terminal."""
        if not self.isatty():
            raise KernelError(Errno.ENOTTY)
        if cmd == Ioctl.TCGETS:
            return self._ioctl_out(task, cmd, arg, SIZEOF_KTERMIOS)
        if cmd == Ioctl.TIOCGWINSZ:
            return self._ioctl_out(task, cmd, arg, SIZEOF_WINSIZE)
        if cmd in (Ioctl.TCSETS, Ioctl.TCSETSW, Ioctl.TCSETSF):
            return self._ioctl_in(task, cmd, arg, SIZEOF_KTERMIOS)
        if cmd == Ioctl.TIOCSWINSZ:
            return self._ioctl_in(task, cmd, arg, SIZEOF_WINSIZE)
        if cmd == Ioctl.TIOCGPGRP:
            # The guest process group owns the terminal as far as the guest can tell.
            put_user_i32(task, arg, task.tgid)
            return 0
        raise KernelError(Errno.ENOTTY)

    def _ioctl_out(self, task, cmd: int, arg: int, size: int) -> int:
        with host_errors():
            data = fcntl.ioctl(self.host_fd, cmd, bytes(size))
        copy_to_user(task, arg, data)
        return 0

    def _ioctl_in(self, task, cmd: int, arg: int, size: int) -> int:
        data = copy_from_user(task, arg, size)
        with host_errors():
            fcntl.ioctl(self.host_fd, cmd, data)
        return 0


def open_host_stdio(host_fd: int) -> HostStdioFile:
    """A File for host descriptor 0, 1 or 2 with the access mode the host gave it."""
    with host_errors():
        acc = fcntl.fcntl(host_fd, fcntl.F_GETFL) & os.O_ACCMODE
    return HostStdioFile(HostFdDentry(host_fd), acc | O_LARGEFILE, host_fd, owned=False)


def open_dev_tty(dentry, flags: int) -> HostStdioFile:
    """tty_open for /dev/tty: the host's controlling terminal (ENXIO without one)."""
    acc = {0: os.O_RDONLY, 1: os.O_WRONLY}.get(flags & 3, os.O_RDWR)
    with host_errors():
        fd = os.open("/dev/tty", acc | os.O_NOCTTY | os.O_CLOEXEC)
    return HostStdioFile(dentry, flags, fd, owned=True)
