"""The host's stdin/stdout/stderr and /dev/tty as guest files (drivers/tty/tty_io.c).

The guest's descriptors 0-2 start out as these. Reads and writes go to the host
descriptor, but never block the host process: a task whose descriptor is not ready
sleeps on it (drivers/tty/host_io.py) while other tasks run. When the descriptor is a
terminal, it is a ``TtyStruct`` to the guest: the controlling terminal of the first
program's session, with Linux's job control (tty_jobctrl.py) and the termios ioctls
passed to the host terminal, whose answers are already in the kernel's struct layout.
The host's stdio is never closed.
"""
import fcntl
import os
import stat as pystat
import struct
import termios

from glasskernel.drivers.tty import tty_jobctrl as jobctrl
from glasskernel.drivers.tty.host_io import POLLIN, POLLOUT, host_fd_ready
from glasskernel.fs.dcache import Dentry
from glasskernel.fs.file_table import HostFdFile
from glasskernel.fs.internal import host_errors
from glasskernel.fs.kstat import StatResult
from glasskernel.kernel.sched.wait import wait_event
from glasskernel.mm.uaccess import copy_from_user, copy_to_user, get_user_i32, put_user_i32
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_LARGEFILE, O_NONBLOCK
from glasskernel.uapi.ioctls import SIZEOF_KTERMIOS, SIZEOF_WINSIZE, Ioctl

SIGPIPE = 13
SIGWINCH = 28
DEFAULT_POLLMASK = 0x1 | 0x4 | 0x40 | 0x100


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
        return HostStdioFile(self, flags, self.host_fd, owned=False,
                             kernel=task.kernel if task is not None else None)


def _host_fd_name(host_fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{host_fd}")
    except OSError:
        return f"anon_inode:[fd{host_fd}]"


class HostStdioFile(HostFdFile):
    """A guest file on a host descriptor (terminal, pipe or redirected file)."""

    def __init__(self, dentry, flags: int, host_fd: int, owned: bool, kernel=None):
        super().__init__(dentry, flags, host_fd)
        self.owned = owned      # True only for descriptors we opened (/dev/tty)
        self.kernel = kernel
        with host_errors():
            mode = os.fstat(host_fd).st_mode
        self.seekable = pystat.S_ISREG(mode) or pystat.S_ISBLK(mode)
        self.tty = self.find_tty(kernel, host_fd)
        if self.tty is not None:
            self.tty.users += 1

    @staticmethod
    def find_tty(kernel, host_fd: int):
        """The TtyStruct the guest sees on this descriptor (None: not a terminal)."""
        return jobctrl.tty_for(kernel, host_fd) if kernel is not None else None

    def release(self) -> None:
        if self.owned:
            os.close(self.host_fd)
        tty = self.tty
        if tty is not None:
            tty.users -= 1
            if tty.guest_pty and tty.users == 0 and self.kernel is not None:
                # The guest's last descriptor on a pty slave it opened: let go of the
                # host slave too, so its master sees the hang-up (EIO), as on Linux.
                self.kernel.ttys.pop(tty.rdev, None)
                jobctrl.forget_tty(self.kernel, tty)

    # ----- data -----------------------------------------------------------------------------

    def read(self, count: int) -> bytes:
        self.check_read()
        if self.kernel is not None and not self.seekable:
            task = self.kernel.current
            if self.tty is not None:
                jobctrl.job_control_read(self.tty, task)
            self._wait_ready(task, POLLIN)
        with host_errors():
            return os.read(self.host_fd, count)

    def write(self, data: bytes) -> int:
        self.check_write()
        if self.kernel is not None and not self.seekable:
            task = self.kernel.current
            if self.tty is not None:
                jobctrl.job_control_write(self.tty, task)
            self._wait_ready(task, POLLOUT)
        try:
            with host_errors():
                return os.write(self.host_fd, data)
        except KernelError as err:
            if err.errno == Errno.EPIPE and self.kernel is not None:
                # The host pipe's reader is gone: the writer gets SIGPIPE, as pipe_write
                # gives it (the host's own SIGPIPE is ignored by Python).
                from glasskernel.kernel.signal import send_signal
                send_signal(self.kernel.current, SIGPIPE)
            raise

    def _wait_ready(self, task, event: int) -> None:
        """Sleep (other tasks run) until the host descriptor can do event without blocking."""
        fd = self.host_fd
        if host_fd_ready(fd, event):
            return
        if self.flags & O_NONBLOCK:
            raise KernelError(Errno.EAGAIN)
        queue = self.kernel.host_io.wait_queue(fd, event)
        wait_event(task, queue, lambda: host_fd_ready(fd, event) != 0)

    def poll(self, pt) -> int:
        """tty_poll / pipe_poll on the host side: ready now, and whom to wake later."""
        if self.seekable or self.kernel is None:
            return DEFAULT_POLLMASK
        if pt is not None:
            from glasskernel.fs.select import poll_wait
            for event in (POLLIN, POLLOUT):          # both: epoll may change its mind later
                poll_wait(self, self.kernel.host_io.wait_queue(self.host_fd, event), pt)
        return host_fd_ready(self.host_fd, POLLIN | POLLOUT)

    @property
    def can_poll(self) -> bool:
        """Regular files have no poll method in Linux (epoll refuses them with EPERM)."""
        return not self.seekable

    def lseek(self, offset: int, whence: int) -> int:
        """The host descriptor's own offset is the shared one (it may be a host file)."""
        with host_errors():
            return os.lseek(self.host_fd, offset, whence)

    def isatty(self) -> bool:
        return os.isatty(self.host_fd)

    def fsync(self) -> None:
        """A redirected regular file syncs; a pipe or a terminal has no ->fsync: EINVAL."""
        if not self.seekable:
            raise KernelError(Errno.EINVAL)

    # ----- ioctls ---------------------------------------------------------------------------

    def ioctl(self, cmd: int, arg: int, task) -> int:
        """tty_ioctl: termios and window size on the host terminal, job control here."""
        if cmd == Ioctl.FIONREAD and not self.seekable:
            return self._ioctl_int_out(task, cmd, arg)
        tty = self.tty
        if tty is None:
            raise KernelError(Errno.ENOTTY)
        handler = _TTY_IOCTLS.get(cmd)
        if handler is None:
            raise KernelError(Errno.ENOTTY)
        return handler(self, tty, task, cmd, arg)

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

    def _ioctl_int_out(self, task, cmd: int, arg: int) -> int:
        with host_errors():
            value, = struct.unpack("i", fcntl.ioctl(self.host_fd, cmd, bytes(4)))
        put_user_i32(task, arg, value)
        return 0


# ----- the terminal ioctls, one function each ----------------------------------------------

def _tcgets(file, tty, task, cmd, arg):
    return file._ioctl_out(task, cmd, arg, SIZEOF_KTERMIOS)


def _tcsets(file, tty, task, cmd, arg):
    """TCSETS/TCSETSW/TCSETSF: a background process is stopped (SIGTTOU) first."""
    jobctrl.tty_check_change(tty, task)
    return file._ioctl_in(task, cmd, arg, SIZEOF_KTERMIOS)


def _tiocgwinsz(file, tty, task, cmd, arg):
    return file._ioctl_out(task, cmd, arg, SIZEOF_WINSIZE)


def _tiocswinsz(file, tty, task, cmd, arg):
    """A new size reaches the foreground group as SIGWINCH."""
    with host_errors():
        old = fcntl.ioctl(tty.host_fd, Ioctl.TIOCGWINSZ, bytes(SIZEOF_WINSIZE))
    file._ioctl_in(task, cmd, arg, SIZEOF_WINSIZE)
    if copy_from_user(task, arg, SIZEOF_WINSIZE) != old:
        jobctrl.kill_pgrp(task.kernel, tty.pgrp, SIGWINCH)
    return 0


def _tiocgpgrp(file, tty, task, cmd, arg):
    put_user_i32(task, arg, jobctrl.tiocgpgrp(tty, task))
    return 0


def _tiocspgrp(file, tty, task, cmd, arg):
    jobctrl.tiocspgrp(tty, task, get_user_i32(task, arg))
    return 0


def _tiocgsid(file, tty, task, cmd, arg):
    put_user_i32(task, arg, jobctrl.tiocgsid(tty, task))
    return 0


def _tiocsctty(file, tty, task, cmd, arg):
    jobctrl.tiocsctty(tty, task, arg & 0xFFFFFFFF, file.readable)
    return 0


def _tiocnotty(file, tty, task, cmd, arg):
    jobctrl.tiocnotty(tty, task)
    return 0


def _int_out(file, tty, task, cmd, arg):
    return file._ioctl_int_out(task, cmd, arg)


def _tcflsh(file, tty, task, cmd, arg):
    """TCFLSH / TCXONC / TCSBRK: plain integer arguments, foreground only."""
    jobctrl.tty_check_change(tty, task)
    with host_errors():
        if cmd == Ioctl.TCFLSH:
            termios.tcflush(file.host_fd, arg & 0xFFFFFFFF)
        elif cmd == Ioctl.TCXONC:
            termios.tcflow(file.host_fd, arg & 0xFFFFFFFF)
        else:
            termios.tcdrain(file.host_fd)
    return 0


_TTY_IOCTLS = {
    Ioctl.TCGETS: _tcgets,
    Ioctl.TCSETS: _tcsets, Ioctl.TCSETSW: _tcsets, Ioctl.TCSETSF: _tcsets,
    Ioctl.TIOCGWINSZ: _tiocgwinsz, Ioctl.TIOCSWINSZ: _tiocswinsz,
    Ioctl.TIOCGPGRP: _tiocgpgrp, Ioctl.TIOCSPGRP: _tiocspgrp, Ioctl.TIOCGSID: _tiocgsid,
    Ioctl.TIOCSCTTY: _tiocsctty, Ioctl.TIOCNOTTY: _tiocnotty,
    Ioctl.TIOCOUTQ: _int_out, Ioctl.TIOCGETD: _int_out,
    Ioctl.TCFLSH: _tcflsh, Ioctl.TCXONC: _tcflsh, Ioctl.TCSBRK: _tcflsh,
}


# ----- opening --------------------------------------------------------------------------------

def open_host_stdio(host_fd: int, kernel=None) -> HostStdioFile:
    """A File for host descriptor 0, 1 or 2 with the access mode the host gave it."""
    with host_errors():
        acc = fcntl.fcntl(host_fd, fcntl.F_GETFL) & os.O_ACCMODE
    return HostStdioFile(HostFdDentry(host_fd), acc | O_LARGEFILE, host_fd, owned=False,
                         kernel=kernel)


def open_dev_tty(dentry, flags: int, task=None) -> HostStdioFile:
    """tty_open for /dev/tty: the caller's controlling terminal (ENXIO without one)."""
    tty = task.signal.tty if task is not None else None
    if tty is None:
        raise KernelError(Errno.ENXIO)
    acc = {0: os.O_RDONLY, 1: os.O_WRONLY}.get(flags & 3, os.O_RDWR)
    with host_errors():
        fd = os.open(os.ttyname(tty.host_fd), acc | os.O_NOCTTY | os.O_CLOEXEC)
    return HostStdioFile(dentry, flags, fd, owned=True, kernel=task.kernel)
