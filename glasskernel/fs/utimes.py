"""utimensat and friends (fs/utimes.c)."""
import struct
import time

from glasskernel.fs.namei import user_path_at
from glasskernel.fs.internal import fd_arg, uint_arg
from glasskernel.fs.namespace import mnt_want_write
from glasskernel.kernel.capability import cred_capable
from glasskernel.uapi.capability import CAP_FOWNER
from glasskernel.fs.notify import fsnotify
from glasskernel.mm.uaccess import copy_from_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW
from glasskernel.uapi.stat import UTIME_NOW, UTIME_OMIT

_TIMESPEC2 = struct.Struct("<qqqq")
_TIMEVAL2 = struct.Struct("<qqqq")
MAY_WRITE = 2


def _ns(sec: int, nsec: int, now: int):
    """One timespec as nanoseconds; None for UTIME_OMIT; EINVAL for a bad tv_nsec."""
    if nsec == UTIME_OMIT:
        return None
    if nsec == UTIME_NOW:
        return now
    if not 0 <= nsec < 10**9:
        raise KernelError(Errno.EINVAL)
    return sec * 10**9 + nsec


def utimes_permission(task, dentry, explicit: bool) -> None:
    """setattr_prepare's ATTR_TIMES_SET (explicit times: the owner or CAP_FOWNER, EPERM)
    and notify_change's ATTR_TOUCH (now: the owner, CAP_FOWNER or write permission,
    EACCES)."""
    cred = task.cred
    if cred.fsuid == dentry.stat().st_uid or cred_capable(cred, CAP_FOWNER):
        return
    if explicit:
        raise KernelError(Errno.EPERM)
    dentry.permission(MAY_WRITE, cred)


def do_utimes(task, dfd, filename, times, flags, *, layout=_TIMESPEC2, spec=None) -> int:
    """do_utimes: NULL times means now; a NULL path means the dirfd itself (futimens).
    layout: the user timespec[2] (old_timespec32 for the compat call); spec: the four
    values already read (utime32's utimbuf)."""
    flags = uint_arg(flags)
    if flags & ~int(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise KernelError(Errno.EINVAL)
    now = time.time_ns()
    explicit = False
    if spec is not None or times:
        a_s, a_ns, m_s, m_ns = spec or layout.unpack(copy_from_user(task, times, layout.size))
        atime, mtime = _ns(a_s, a_ns, now), _ns(m_s, m_ns, now)
        explicit = not a_ns == m_ns == UTIME_NOW
    else:
        atime = mtime = now
    if filename == 0:
        if fd_arg(dfd) == AT_FDCWD:
            raise KernelError(Errno.EFAULT)
        if flags:
            raise KernelError(Errno.EINVAL)
        dentry = task.files.fdget(fd_arg(dfd)).dentry
    else:
        dentry = user_path_at(task, dfd, filename, flags)
    if atime is None and mtime is None:
        return 0
    mnt_want_write(task, dentry)
    utimes_permission(task, dentry, explicit)
    dentry.utimes(atime, mtime)
    if fsnotify.nr_marks:
        fsnotify.fsnotify_change(dentry, utimes_mask(atime, mtime))
    return 0


def utimes_mask(atime, mtime) -> int:
    """fsnotify_change's mask for new times: both ATTRIB, atime ACCESS, mtime MODIFY."""
    if atime is not None and mtime is not None:
        return fsnotify.FS_ATTRIB
    return fsnotify.FS_ACCESS if atime is not None else fsnotify.FS_MODIFY


def sys_utimensat(task, dfd, filename, utimes, flags) -> int:
    return do_utimes(task, dfd, filename, utimes, flags)


def sys_utimes(task, filename, utimes) -> int:
    """utimes(2): struct timeval[2] (microseconds)."""
    return do_futimesat(task, AT_FDCWD, filename, utimes, _TIMEVAL2)


def do_futimesat(task, dfd, filename, utimes, layout) -> int:
    """do_futimesat: futimesat/utimes with a timeval[2] of the given layout."""
    if not utimes:
        return do_utimes(task, dfd, filename, 0, 0)
    a_s, a_us, m_s, m_us = layout.unpack(copy_from_user(task, utimes, layout.size))
    if not (0 <= a_us < 10**6 and 0 <= m_us < 10**6):
        raise KernelError(Errno.EINVAL)
    dentry = user_path_at(task, dfd, filename)
    mnt_want_write(task, dentry)
    utimes_permission(task, dentry, True)
    dentry.utimes(a_s * 10**9 + a_us * 1000, m_s * 10**9 + m_us * 1000)
    if fsnotify.nr_marks:
        fsnotify.fsnotify_change(dentry, fsnotify.FS_ATTRIB)
    return 0


# ----- the 32-bit time calls of i386 (fs/utimes.c, CONFIG_COMPAT_32BIT_TIME) ---------------

_OLD_TIMESPEC32_2 = struct.Struct("<iiii")
_OLD_TIMEVAL32_2 = struct.Struct("<iiii")
_OLD_UTIMBUF32 = struct.Struct("<ii")


# sys_utime32: utime(2) (number 30): whole seconds from an old_utimbuf32, NULL for now.
def sys_utime32(task, filename, times) -> int:
    if not times:
        return do_utimes(task, AT_FDCWD, filename, 0, 0)
    actime, modtime = _OLD_UTIMBUF32.unpack(copy_from_user(task, times, _OLD_UTIMBUF32.size))
    return do_utimes(task, AT_FDCWD, filename, times, 0, spec=(actime, 0, modtime, 0))


# sys_utimes_time32: utimes(2) of i386 with old_timeval32[2].
def sys_utimes_time32(task, filename, utimes) -> int:
    return do_futimesat(task, AT_FDCWD, filename, utimes, _OLD_TIMEVAL32_2)


# sys_futimesat_time32: futimesat(2) of i386 with old_timeval32[2].
def sys_futimesat_time32(task, dfd, filename, utimes) -> int:
    return do_futimesat(task, dfd, filename, utimes, _OLD_TIMEVAL32_2)


# sys_utimensat_time32: utimensat(2) of i386 with old_timespec32[2].
def sys_utimensat_time32(task, dfd, filename, utimes, flags) -> int:
    return do_utimes(task, dfd, filename, utimes, flags, layout=_OLD_TIMESPEC32_2)
