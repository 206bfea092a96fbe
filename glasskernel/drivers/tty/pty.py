"""Unix 98 pseudo-terminals the guest makes: /dev/ptmx and /dev/pts/ptmx (drivers/tty/pty.c).

Each open of ptmx gives the guest a new pair on the host's pty driver (a host
/dev/ptmx master), so the line discipline, echo and canonical mode are the host's n_tty,
while sessions, controlling terminals and job control are ours (tty_jobctrl.py) once the
slave is opened in the guest. The pair's number is the host's: TIOCGPTN reports it,
ptsname(3) makes /dev/pts/N of it, and /dev/pts lists it (fs/devpts/inode.py) for as
long as the guest holds the master. The slave starts locked, as on Linux, until
unlockpt(3) (TIOCSPTLCK).
"""
import fcntl
import os
import struct
import termios

from glasskernel.drivers.tty.tty_io import HostStdioFile
from glasskernel.fs.internal import host_errors
from glasskernel.mm.uaccess import get_user_i32, put_user_i32
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.ioctls import SIZEOF_KTERMIOS, SIZEOF_WINSIZE, Ioctl

TIOCPKT = 0x5420
PTS_MAJOR = 136                     # UNIX98_PTY_SLAVE_MAJOR: the slaves' rdev
SIGINT, SIGQUIT, SIGTSTP, SIGWINCH = 2, 3, 20, 28


def guest_ptys(kernel) -> dict:
    """pty number -> master file of each pair the guest holds (kernel-wide)."""
    table = kernel.guest_ptys
    if table is None:
        table = kernel.guest_ptys = {}
    return table


def ptmx_open(dentry, flags: int, task=None):
    """ptmx_open: a new locked pair; the caller gets its master side."""
    acc = os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC
    with host_errors():
        host_fd = os.open("/dev/ptmx", acc)
    try:
        with host_errors():
            index, = struct.unpack("I", fcntl.ioctl(host_fd, Ioctl.TIOCGPTN, bytes(4)))
            fcntl.ioctl(host_fd, Ioctl.TIOCSPTLCK, struct.pack("i", 1))
    except KernelError:
        os.close(host_fd)
        raise
    kernel = task.kernel if task is not None else None
    master = PtyMasterFile(dentry, flags, host_fd, kernel, index)
    if kernel is not None:
        guest_ptys(kernel)[index] = master
    return master


class PtyMasterFile(HostStdioFile):
    """The master side of a pair: data to and from the slave, and the pty ioctls."""

    def __init__(self, dentry, flags, host_fd, kernel, index: int):
        super().__init__(dentry, flags, host_fd, owned=True, kernel=kernel)
        self.index = index

    @staticmethod
    def find_tty(kernel, host_fd: int):
        return None                 # a master is never anyone's controlling terminal

    def isatty(self) -> bool:
        return True

    def release(self) -> None:
        if self.kernel is not None:
            guest_ptys(self.kernel).pop(self.index, None)
        super().release()

    def write(self, data: bytes) -> int:
        """pty_write: the bytes reach the slave's line discipline, the host's n_tty. Its
        signal characters must reach the guest's foreground group, which the host cannot
        see: n_tty_receive_signal_char, done here for the keys in what is written."""
        self._signal_chars(bytes(data))
        return super().write(data)

    def _signal_chars(self, data: bytes) -> None:
        tty = self._slave_tty()
        if tty is None or not tty.pgrp:
            return
        try:
            attrs = termios.tcgetattr(self.host_fd)
        except (termios.error, OSError):
            return
        if not attrs[3] & termios.ISIG:
            return
        from glasskernel.drivers.tty.tty_jobctrl import kill_pgrp
        cc = attrs[6]
        for index, signo in ((termios.VINTR, SIGINT), (termios.VQUIT, SIGQUIT),
                             (termios.VSUSP, SIGTSTP)):
            key = cc[index]
            if key not in (b"\0", 0) and key in data:
                kill_pgrp(self.kernel, tty.pgrp, signo)

    def _slave_tty(self):
        """The TtyStruct of this pair's slave, once the guest has opened it."""
        if self.kernel is None:
            return None
        return self.kernel.ttys.get(os.makedev(PTS_MAJOR, self.index))

    def ioctl(self, cmd: int, arg: int, task) -> int:
        """pty_unix98_ioctl, then the termios ioctls, which act on the pair."""
        if cmd == Ioctl.TIOCGPTN:
            put_user_i32(task, arg, self.index)
            return 0
        if cmd == Ioctl.TIOCSPTLCK:
            locked = get_user_i32(task, arg)
            with host_errors():
                fcntl.ioctl(self.host_fd, cmd, struct.pack("i", 1 if locked else 0))
            return 0
        if cmd == Ioctl.TIOCGPTPEER:
            return self._open_peer(task, arg & 0xFFFFFFFF)
        if cmd in (Ioctl.TCGETS, Ioctl.TIOCGWINSZ):
            size = SIZEOF_KTERMIOS if cmd == Ioctl.TCGETS else SIZEOF_WINSIZE
            return self._ioctl_out(task, cmd, arg, size)
        if cmd in (Ioctl.TCSETS, Ioctl.TCSETSW, Ioctl.TCSETSF, Ioctl.TIOCSWINSZ):
            size = SIZEOF_WINSIZE if cmd == Ioctl.TIOCSWINSZ else SIZEOF_KTERMIOS
            self._ioctl_in(task, cmd, arg, size)
            if cmd == Ioctl.TIOCSWINSZ:
                self._winch()
            return 0
        if cmd in (Ioctl.FIONREAD, Ioctl.TIOCOUTQ):
            return self._ioctl_int_out(task, cmd, arg)
        if cmd == TIOCPKT:
            with host_errors():
                fcntl.ioctl(self.host_fd, cmd, struct.pack("i", get_user_i32(task, arg)))
            return 0
        raise KernelError(Errno.ENOTTY)

    def _winch(self) -> None:
        """A new size reaches the slave's foreground group as SIGWINCH (tty_do_resize)."""
        from glasskernel.drivers.tty.tty_jobctrl import kill_pgrp
        tty = self._slave_tty()
        if tty is not None and tty.pgrp:
            kill_pgrp(self.kernel, tty.pgrp, SIGWINCH)

    def _open_peer(self, task, flags: int) -> int:
        """TIOCGPTPEER: open the slave without going through its name."""
        from glasskernel.fs.devpts.inode import guest_pts_dentry, open_guest_pts
        slave = open_guest_pts(task, self.index, flags, guest_pts_dentry(task, self.index))
        return task.files.install_new(slave, bool(flags & os.O_CLOEXEC), task=task)
