"""File-control constants (include/uapi/asm-generic/fcntl.h, include/uapi/linux/fcntl.h).

Values are those of x86-64, which uses the generic octal encodings.
"""
from enum import IntEnum, IntFlag

from glasskernel.uapi import c_names


class OpenFlag(IntFlag):
    """open(2) flags; the low two bits are the access mode, not a flag."""

    O_RDONLY = 0o0
    O_WRONLY = 0o1
    O_RDWR = 0o2
    O_ACCMODE = 0o3
    O_CREAT = 0o100
    O_EXCL = 0o200
    O_NOCTTY = 0o400
    O_TRUNC = 0o1000
    O_APPEND = 0o2000
    O_NONBLOCK = 0o4000
    O_DSYNC = 0o10000
    FASYNC = 0o20000
    O_DIRECT = 0o40000
    O_LARGEFILE = 0o100000
    O_DIRECTORY = 0o200000
    O_NOFOLLOW = 0o400000
    O_NOATIME = 0o1000000
    O_CLOEXEC = 0o2000000
    O_SYNC = 0o4000000 | 0o10000
    O_PATH = 0o10000000
    O_TMPFILE = 0o20000000 | 0o200000
    O_NDELAY = 0o4000


# The kernel-internal halves of O_SYNC and O_TMPFILE (a double underscore inside the class body
# would be name-mangled, so they live here).
__O_SYNC = 0o4000000
__O_TMPFILE = 0o20000000


class AtFlag(IntFlag):
    """The *at() family's flags argument (include/uapi/linux/fcntl.h)."""

    AT_STATX_SYNC_AS_STAT = 0x0000
    AT_SYMLINK_NOFOLLOW = 0x100
    AT_EACCESS = 0x200            # faccessat: same bit as AT_REMOVEDIR
    AT_REMOVEDIR = 0x200          # unlinkat
    AT_SYMLINK_FOLLOW = 0x400
    AT_NO_AUTOMOUNT = 0x800
    AT_EMPTY_PATH = 0x1000
    AT_STATX_FORCE_SYNC = 0x2000
    AT_STATX_DONT_SYNC = 0x4000
    AT_STATX_SYNC_TYPE = 0x6000
    AT_RECURSIVE = 0x8000


AT_FDCWD = -100                   # "relative to the current directory" in place of a dirfd


class FcntlCmd(IntEnum):
    """fcntl(2) commands."""

    F_DUPFD = 0
    F_GETFD = 1
    F_SETFD = 2
    F_GETFL = 3
    F_SETFL = 4
    F_GETLK = 5
    F_SETLK = 6
    F_SETLKW = 7
    F_SETOWN = 8
    F_GETOWN = 9
    F_SETSIG = 10
    F_GETSIG = 11
    F_SETOWN_EX = 15
    F_GETOWN_EX = 16
    F_GETOWNER_UIDS = 17
    F_OFD_GETLK = 36
    F_OFD_SETLK = 37
    F_OFD_SETLKW = 38
    F_SETLEASE = 1024
    F_GETLEASE = 1025
    F_NOTIFY = 1026
    F_DUPFD_CLOEXEC = 1030
    F_SETPIPE_SZ = 1031
    F_GETPIPE_SZ = 1032
    F_ADD_SEALS = 1033
    F_GET_SEALS = 1034


FD_CLOEXEC = 1                    # the only file-descriptor flag (F_GETFD/F_SETFD)


class LockType(IntEnum):
    """struct flock l_type and F_SETLEASE arguments."""

    F_RDLCK = 0
    F_WRLCK = 1
    F_UNLCK = 2


class SealFlag(IntFlag):
    """memfd seals (F_ADD_SEALS)."""

    F_SEAL_SEAL = 0x1
    F_SEAL_SHRINK = 0x2
    F_SEAL_GROW = 0x4
    F_SEAL_WRITE = 0x8
    F_SEAL_FUTURE_WRITE = 0x10


class Seek(IntEnum):
    """lseek(2) whence values (include/uapi/linux/fs.h)."""

    SEEK_SET = 0
    SEEK_CUR = 1
    SEEK_END = 2
    SEEK_DATA = 3
    SEEK_HOLE = 4


class AccessMode(IntFlag):
    """access(2) mode bits; F_OK (0) asks only whether the file exists."""

    F_OK = 0
    X_OK = 1
    W_OK = 2
    R_OK = 4


class RenameFlag(IntFlag):
    """renameat2(2) flags (include/uapi/linux/fs.h)."""

    RENAME_NOREPLACE = 1
    RENAME_EXCHANGE = 2
    RENAME_WHITEOUT = 4


# Plain names as C code spells them (O_CREAT, AT_EMPTY_PATH, F_GETFL, SEEK_SET, ...).
globals().update(c_names(OpenFlag, AtFlag, FcntlCmd, LockType, SealFlag, Seek, AccessMode, RenameFlag))
