"""fcntl(2) (fs/fcntl.c): descriptor duplication, FD_CLOEXEC and the status flags.

Record locks are accepted and ignored for now: the guest is the only user of its sandbox.
"""
from glasskernel.fs.internal import fd_arg, uint_arg
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import (FASYNC, FD_CLOEXEC, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL,
                                    F_GETLK, F_GETOWN, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW,
                                    F_SETFD, F_SETFL, F_SETLK, F_SETLKW, F_SETOWN, O_APPEND,
                                    O_DIRECT, O_NOATIME, O_NONBLOCK, O_PATH)

F_GETPIPE_SZ, F_SETPIPE_SZ = 1032, 1031
F_ADD_SEALS, F_GET_SEALS = 1033, 1034

# Status flags F_SETFL may change (SETFL_MASK in fs/fcntl.c).
SETFL_MASK = O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME


def f_dupfd(task, file, start: int, cloexec: bool) -> int:
    """F_DUPFD(_CLOEXEC): the lowest free fd >= start; EINVAL past RLIMIT_NOFILE."""
    files = task.files
    if start < 0 or start >= files.limit(task):
        raise KernelError(Errno.EINVAL)
    return files.install_new(file.get(), cloexec=cloexec, start=start, task=task)


def setfl(file, arg: int) -> int:
    """setfl: only O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT and O_NOATIME change."""
    file.flags = int((file.flags & ~int(SETFL_MASK)) | (arg & SETFL_MASK))
    return 0


def do_fcntl(task, fd: int, cmd: int, arg: int) -> int:
    files = task.files
    file = files.fdget(fd)
    if file.flags & O_PATH and cmd not in (F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD,
                                           F_GETFL):
        raise KernelError(Errno.EBADF)      # fdget_raw only serves these for O_PATH
    if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
        return f_dupfd(task, file, fd_arg(arg), cmd == F_DUPFD_CLOEXEC)
    if cmd == F_GETFD:
        return FD_CLOEXEC if fd in files.cloexec else 0
    if cmd == F_SETFD:
        files.set_cloexec(fd, bool(arg & FD_CLOEXEC))
        return 0
    if cmd == F_GETFL:
        return file.flags
    if cmd == F_SETFL:
        return setfl(file, uint_arg(arg))
    if cmd in (F_GETLK, F_OFD_GETLK):
        return 0
    if cmd in (F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW):
        return 0
    if cmd in (F_GETOWN, F_SETOWN):
        return 0
    if cmd in (F_GETPIPE_SZ, F_SETPIPE_SZ):
        from glasskernel.fs.pipe import pipe_fcntl
        return pipe_fcntl(file, cmd, uint_arg(arg))
    if cmd in (F_ADD_SEALS, F_GET_SEALS):
        from glasskernel.mm.memfd import memfd_fcntl
        return memfd_fcntl(file, cmd, arg)
    raise KernelError(Errno.EINVAL)


def sys_fcntl(task, fd, cmd, arg) -> int:
    """fcntl(2): EBADF for a bad descriptor, EINVAL for an unknown command."""
    return do_fcntl(task, fd_arg(fd), uint_arg(cmd), arg)
