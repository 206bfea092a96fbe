"""fcntl(2) (fs/fcntl.c): descriptor duplication, FD_CLOEXEC, the status flags, the
owner and signal of SIGIO (F_SETOWN, F_SETSIG); record locks and leases are fs/locks*.py.
"""
import struct

from glasskernel.fs.internal import fd_arg, uint_arg
from glasskernel.fs.locks_fcntl import fcntl_getlk, fcntl_setlk
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import (FASYNC, FD_CLOEXEC, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL,
                                    F_GETLEASE, F_GETLK, F_GETOWN, F_GETOWN_EX, F_GETSIG,
                                    F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETFD, F_SETFL,
                                    F_SETLEASE, F_SETLK, F_SETLKW, F_SETOWN, F_SETOWN_EX,
                                    F_SETSIG, O_APPEND, O_DIRECT, O_NOATIME, O_NONBLOCK, O_PATH)

F_GETPIPE_SZ, F_SETPIPE_SZ = 1032, 1031
F_ADD_SEALS, F_GET_SEALS = 1033, 1034
F_NOTIFY = 1026

_OWNER_CMDS = frozenset((F_GETOWN, F_SETOWN, F_GETOWN_EX, F_SETOWN_EX, F_GETSIG, F_SETSIG))

# Status flags F_SETFL may change (SETFL_MASK in fs/fcntl.c).
SETFL_MASK = O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME


def f_dupfd(task, file, start: int, cloexec: bool) -> int:
    """F_DUPFD(_CLOEXEC): the lowest free fd >= start; EINVAL past RLIMIT_NOFILE."""
    files = task.files
    if start < 0 or start >= files.limit(task):
        raise KernelError(Errno.EINVAL)
    return files.install_new(file.get(), cloexec=cloexec, start=start, task=task)


def setfl(file, arg: int, fd: int = -1) -> int:
    """setfl: only O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT and O_NOATIME change; a file
    that can signal readiness (->fasync) starts or stops for O_ASYNC."""
    if (arg ^ file.flags) & FASYNC and hasattr(file, "fasync"):
        file.fasync(fd, bool(arg & FASYNC))
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
        return setfl(file, uint_arg(arg), fd)
    if cmd in (F_GETLK, F_OFD_GETLK):
        return fcntl_getlk(task, file, cmd, arg)
    if cmd in (F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW):
        return fcntl_setlk(task, fd, file, cmd, arg)
    if cmd in _OWNER_CMDS:
        from glasskernel.fs.fcntl_owner import fcntl_owner
        return fcntl_owner(task, file, cmd, arg)
    if cmd in (F_SETLEASE, F_GETLEASE):
        from glasskernel.fs.locks_lease import fcntl_getlease, fcntl_setlease
        if cmd == F_GETLEASE:
            return fcntl_getlease(task, file)
        return fcntl_setlease(task, fd, file, arg)
    if cmd in (F_GETPIPE_SZ, F_SETPIPE_SZ):
        from glasskernel.fs.pipe import pipe_fcntl
        return pipe_fcntl(file, cmd, uint_arg(arg))
    if cmd in (F_ADD_SEALS, F_GET_SEALS):
        from glasskernel.mm.memfd import memfd_fcntl
        return memfd_fcntl(file, cmd, arg)
    if cmd == F_NOTIFY:
        from glasskernel.fs.notify.dnotify.dnotify import fcntl_dirnotify
        return fcntl_dirnotify(task, fd, file, arg)
    raise KernelError(Errno.EINVAL)


def sys_fcntl(task, fd, cmd, arg) -> int:
    """fcntl(2): EBADF for a bad descriptor, EINVAL for an unknown command."""
    return do_fcntl(task, fd_arg(fd), uint_arg(cmd), arg)


# ----- fcntl of i386 (do_compat_fcntl64) ---------------------------------------------------

_COMPAT_FLOCK = struct.Struct("<hhiii")        # struct compat_flock: 16 bytes
_COMPAT_FLOCK64 = struct.Struct("<hhqqi")      # struct compat_flock64 (packed): 24 bytes
F_GETLK64, F_SETLK64, F_SETLKW64 = 12, 13, 14
COMPAT_OFF_T_MAX = 0x7FFFFFFF
_LK64_TO_LK = {F_GETLK64: F_GETLK, F_SETLK64: F_SETLK, F_SETLKW64: F_SETLKW}


def fixup_compat_flock(l: list) -> None:
    """fixup_compat_flock: a conflicting lock must start where compat_off_t reaches
    (EOVERFLOW); its length is cut to COMPAT_OFF_T_MAX."""
    if l[2] > COMPAT_OFF_T_MAX:
        raise KernelError(Errno.EOVERFLOW)
    l[3] = min(l[3], COMPAT_OFF_T_MAX)


# compat_sys_fcntl64: fcntl64(2): the lock commands read compat_flock (F_GETLK, F_SETLK*) or
# the packed compat_flock64 (the *64 and OFD commands); the others are fcntl's.
def compat_sys_fcntl64(task, fd, cmd, arg) -> int:
    fd, cmd, arg = fd_arg(fd), uint_arg(cmd), arg & 0xFFFFFFFF
    lock_cmds = (F_GETLK, F_SETLK, F_SETLKW, F_GETLK64, F_SETLK64, F_SETLKW64, F_OFD_GETLK,
                 F_OFD_SETLK, F_OFD_SETLKW)
    if cmd not in lock_cmds:
        return do_fcntl(task, fd, cmd, arg)
    file = task.files.fdget(fd)
    if file.flags & O_PATH:
        raise KernelError(Errno.EBADF)
    layout = _COMPAT_FLOCK if cmd in (F_GETLK, F_SETLK, F_SETLKW) else _COMPAT_FLOCK64
    native = _LK64_TO_LK.get(cmd, cmd)
    if native in (F_GETLK, F_OFD_GETLK):
        fixup = fixup_compat_flock if cmd == F_GETLK else None
        return fcntl_getlk(task, file, native, arg, layout, fixup)
    return fcntl_setlk(task, fd, file, native, arg, layout)


# compat_sys_fcntl: fcntl(2) of i386 (number 55): the 64-bit lock commands are EINVAL.
def compat_sys_fcntl(task, fd, cmd, arg) -> int:
    if uint_arg(cmd) in (F_GETLK64, F_SETLK64, F_SETLKW64, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW):
        raise KernelError(Errno.EINVAL)
    return compat_sys_fcntl64(task, fd, cmd, arg)
