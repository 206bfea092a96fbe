"""/dev/pts as the guest sees it (fs/devpts/inode.c).

The guest's terminals are the host's: a program started on a terminal reads and writes
the host's /dev/pts/N through glasskernel. That terminal keeps its host name inside the
guest (readlink of /proc/self/fd/0 says /dev/pts/N), so /dev/pts lists each host terminal
the kernel holds (``kernel.ttys``) under that number, with the host's own attributes:
glibc's ttyname checks that the name's inode, device and rdev are those of the
descriptor (is_mytty), and coreutils' ``tty``, ``ps`` and ``who`` go through it. No other
host terminal is reachable. The directory carries the host devpts instance's device
number, so ``stat -c %m`` and mountinfo agree on the mount.
"""
import os

from glasskernel.fs.internal import host_errors
from glasskernel.fs.kstat import StatResult
from glasskernel.fs.libfs import DeviceNode, SimpleDentry, SimpleDir, SyntheticFs

PTS_PREFIX = "/dev/pts/"
DEVPTS_MNT_ID = 24
PTS_MAJOR = 136                     # UNIX98_PTY_SLAVE_MAJOR
PTMX_RDEV = os.makedev(5, 2)
# What the host's devpts carries when glasskernel holds no terminal: an anonymous device.
_FALLBACK_DEV = os.makedev(0, 24)


def host_pts(kernel) -> dict:
    """name ("3") -> TtyStruct of each host pseudo-terminal the kernel holds."""
    found = {}
    for tty in list(kernel.ttys.values()):
        try:
            path = os.ttyname(tty.host_fd)
        except OSError:
            continue
        if path.startswith(PTS_PREFIX) and path[len(PTS_PREFIX):].isdigit():
            found[path[len(PTS_PREFIX):]] = tty
    return found


def devpts_dev(kernel) -> int:
    """The device number of the devpts instance: the host's, where a terminal shows it."""
    for tty in host_pts(kernel).values():
        try:
            return os.fstat(tty.host_fd).st_dev
        except OSError:
            continue
    return _FALLBACK_DEV


class DevptsRoot(SimpleDir):
    """/dev/pts: one node per host pseudo-terminal the guest was given."""

    MODE = 0o040755

    def __init__(self, devfs, name, parent, kernel):
        sb = SyntheticFs("devpts", devpts_dev(kernel), DEVPTS_MNT_ID)
        sb.boot = devfs.boot
        super().__init__(sb, name, parent)
        self.kernel = kernel

    def children(self, task) -> dict:
        from glasskernel.drivers.tty.pty import guest_ptys, ptmx_open
        entries = {name: _pts_node(self.sb, name, tty)
                   for name, tty in host_pts(self.kernel).items()}
        for index in guest_ptys(self.kernel):
            entries.setdefault(str(index), _guest_pts_node(self.sb, str(index), index))
        sb = self.sb
        # ptmxmode=000: only a privileged opener may use this one (mknod's is /dev/ptmx)
        entries["ptmx"] = lambda parent: DeviceNode(sb, "ptmx", parent, PTMX_RDEV, ptmx_open,
                                                    mode=0o020000)
        return dict(sorted(entries.items(),
                           key=lambda item: (not item[0].isdigit(), int(item[0])
                                             if item[0].isdigit() else 0, item[0])))


def _pts_node(sb, name, tty):
    return lambda parent: PtsNode(sb, name, parent, tty)


def _guest_pts_node(sb, name, index):
    return lambda parent: GuestPtsNode(sb, name, parent, index)


def _host_pts_path(index: int) -> str:
    return f"{PTS_PREFIX}{index}"


def open_guest_pts(task, index: int, flags: int, dentry=None):
    """The slave of a pair the guest made, opened again on the host's pty driver."""
    from glasskernel.drivers.tty.tty_io import HostStdioFile
    acc = {0: os.O_RDONLY, 1: os.O_WRONLY}.get(flags & 3, os.O_RDWR)
    with host_errors():
        fd = os.open(_host_pts_path(index), acc | os.O_NOCTTY | os.O_CLOEXEC)
    kernel = task.kernel if task is not None else None
    try:
        file = HostStdioFile(dentry, flags, fd, owned=True, kernel=kernel)
    except BaseException:
        os.close(fd)
        raise
    if file.tty is not None and file.tty.users == 1:
        file.tty.guest_pty = True
    return file


def guest_pts_dentry(task, index: int):
    """/dev/pts/N of a pair, reached without a path walk (TIOCGPTPEER's file)."""
    vfs = task.kernel.vfs
    root = DevptsRoot(vfs.devfs, "pts", None, task.kernel)
    root.path = "/dev/pts"
    return GuestPtsNode(root.sb, str(index), root, index)


class GuestPtsNode(SimpleDentry):
    """/dev/pts/N of a pair made through ptmx: EIO while locked, as pts_unix98_lookup."""

    MODE = 0o020620

    def __init__(self, sb, name, parent, index: int):
        super().__init__(sb, name, parent, rdev=os.makedev(PTS_MAJOR, index))
        self.index = index

    def stat(self):
        with host_errors():
            return StatResult.from_host(os.stat(_host_pts_path(self.index)))

    def open(self, task, flags: int):
        return open_guest_pts(task, self.index, flags, self)


class PtsNode(SimpleDentry):
    """/dev/pts/N of a host terminal: the host's inode attributes; opening it opens the
    same host terminal again (as open_dev_tty does for /dev/tty)."""

    MODE = 0o020620

    def __init__(self, sb, name, parent, tty):
        super().__init__(sb, name, parent, rdev=tty.rdev)
        self.tty = tty

    def stat(self):
        with host_errors():
            return StatResult.from_host(os.fstat(self.tty.host_fd))

    def open(self, task, flags: int):
        from glasskernel.drivers.tty.tty_io import HostStdioFile
        acc = {0: os.O_RDONLY, 1: os.O_WRONLY}.get(flags & 3, os.O_RDWR)
        with host_errors():
            fd = os.open(os.ttyname(self.tty.host_fd), acc | os.O_NOCTTY | os.O_CLOEXEC)
        return HostStdioFile(self, flags, fd, owned=True,
                             kernel=task.kernel if task is not None else None)
