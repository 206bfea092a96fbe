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


FS_IOC32_GETFLAGS, FS_IOC32_SETFLAGS = 0x80046601, 0x40046602
_FS_IOC32 = {FS_IOC32_GETFLAGS: 0x80086601, FS_IOC32_SETFLAGS: 0x40086602}   # -> FS_IOC_*


# compat_sys_ioctl: ioctl(2) of i386: the generic commands (FS_IOC32_*FLAGS as FS_IOC_*FLAGS,
# FIONREAD, which do_vfs_ioctl hands to any file), then the file's compat_ioctl: a file
# without one is ENOTTY (timerfd, pipes).
def compat_sys_ioctl(task, fd, cmd, arg) -> int:
    fd, cmd, arg = fd_arg(fd), uint_arg(cmd), arg & 0xFFFFFFFF
    file = task.files.fdget(fd)
    if file.flags & O_PATH:
        raise KernelError(Errno.EBADF)
    cmd = _FS_IOC32.get(cmd, cmd)
    result = do_vfs_ioctl(task, fd, file, cmd, arg)
    if result is not None:
        return result
    if cmd != Ioctl.FIONREAD and not file.compat_ioctl:
        raise KernelError(Errno.ENOTTY)
    return file.ioctl(cmd, arg, task)
