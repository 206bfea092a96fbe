"""ioctl(2) (fs/ioctl.c): the generic commands, then the file's own ioctl.

FIOCLEX/FIONCLEX/FIONBIO/FIOASYNC apply to any descriptor; FIONREAD and the terminal
commands are the driver's (regular files, the host tty). Anything else is ENOTTY.
"""
from glasskernel.fs.internal import fd_arg, uint_arg
from glasskernel.mm.uaccess import get_user_u32
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import FASYNC, O_NONBLOCK, O_PATH
from glasskernel.uapi.ioctls import Ioctl


def do_vfs_ioctl(task, fd: int, file, cmd: int, arg: int) -> int | None:
    """The commands every file supports; None when the file's own ioctl must decide."""
    if cmd == Ioctl.FIOCLEX:
        task.files.set_cloexec(fd, True)
        return 0
    if cmd == Ioctl.FIONCLEX:
        task.files.set_cloexec(fd, False)
        return 0
    if cmd in (Ioctl.FIONBIO, Ioctl.FIOASYNC):
        flag = O_NONBLOCK if cmd == Ioctl.FIONBIO else FASYNC
        on = get_user_u32(task, arg) != 0
        file.flags = (file.flags | flag) if on else (file.flags & ~int(flag))
        return 0
    return None


def sys_ioctl(task, fd, cmd, arg) -> int:
    """ioctl(2): EBADF for a bad or O_PATH descriptor."""
    fd, cmd = fd_arg(fd), uint_arg(cmd)
    file = task.files.fdget(fd)
    if file.flags & O_PATH:
        raise KernelError(Errno.EBADF)
    result = do_vfs_ioctl(task, fd, file, cmd, arg)
    if result is not None:
        return result
    return file.ioctl(cmd, arg, task)
