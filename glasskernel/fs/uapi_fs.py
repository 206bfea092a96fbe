"""File-system ABI constants for x86-64 Linux, local to the fs/ subsystem.

Values come from include/uapi/asm-generic/fcntl.h, include/uapi/linux/fcntl.h,
include/uapi/linux/stat.h, include/uapi/asm-generic/ioctls.h and include/linux/limits.h.
They are IntFlag/IntEnum so traces print names rather than numbers.

Beware: ``~`` of an IntFlag only inverts the bits the class defines, so masks that must
reject *unknown* bits are written ``flags & ~int(A | B)``.
"""
from enum import IntEnum, IntFlag

PATH_MAX = 4096          # include/uapi/linux/limits.h, counting the NUL
NAME_MAX = 255
MAXSYMLINKS = 40         # include/linux/namei.h
NR_OPEN_DEFAULT = 1024   # RLIMIT_NOFILE soft limit a fresh process gets
MAX_RW_COUNT = 0x7FFFF000  # INT_MAX & PAGE_MASK (include/linux/fs.h)
UIO_MAXIOV = 1024
AT_FDCWD = -100
RLIMIT_NOFILE = 7


class O(IntFlag):
    """open(2) flags (include/uapi/asm-generic/fcntl.h)."""

    RDONLY = 0
    WRONLY = 0o1
    RDWR = 0o2
    CREAT = 0o100
    EXCL = 0o200
    NOCTTY = 0o400
    TRUNC = 0o1000
    APPEND = 0o2000
    NONBLOCK = 0o4000
    DSYNC = 0o10000
    ASYNC = 0o20000
    DIRECT = 0o40000
    LARGEFILE = 0o100000
    DIRECTORY = 0o200000
    NOFOLLOW = 0o400000
    NOATIME = 0o1000000
    CLOEXEC = 0o2000000
    SYNC = 0o4010000
    PATH = 0o10000000
    TMPFILE = 0o20200000


O_ACCMODE = 0o3
# Flags open() accepts and keeps (VALID_OPEN_FLAGS in include/linux/fcntl.h).
VALID_OPEN_FLAGS = (O.WRONLY | O.RDWR | O.CREAT | O.EXCL | O.NOCTTY | O.TRUNC | O.APPEND
                    | O.NONBLOCK | O.DSYNC | O.ASYNC | O.DIRECT | O.LARGEFILE | O.DIRECTORY
                    | O.NOFOLLOW | O.NOATIME | O.CLOEXEC | O.SYNC | O.PATH | O.TMPFILE)
# Status flags F_SETFL may change (SETFL_MASK in fs/fcntl.c).
SETFL_MASK = O.APPEND | O.NONBLOCK | O.ASYNC | O.DIRECT | O.NOATIME


class AT(IntFlag):
    """*at() flags (include/uapi/linux/fcntl.h)."""

    SYMLINK_NOFOLLOW = 0x100
    EACCESS = 0x200          # faccessat: same value as AT_REMOVEDIR
    REMOVEDIR = 0x200
    SYMLINK_FOLLOW = 0x400
    NO_AUTOMOUNT = 0x800
    EMPTY_PATH = 0x1000
    STATX_FORCE_SYNC = 0x2000
    STATX_DONT_SYNC = 0x4000


AT_STATX_SYNC_TYPE = 0x6000


class RenameFlags(IntFlag):
    """renameat2(2) flags (include/uapi/linux/fs.h)."""

    NOREPLACE = 1
    EXCHANGE = 2
    WHITEOUT = 4


class F(IntEnum):
    """fcntl(2) commands (include/uapi/asm-generic/fcntl.h, linux/fcntl.h)."""

    DUPFD = 0
    GETFD = 1
    SETFD = 2
    GETFL = 3
    SETFL = 4
    GETLK = 5
    SETLK = 6
    SETLKW = 7
    SETOWN = 8
    GETOWN = 9
    OFD_GETLK = 36
    OFD_SETLK = 37
    OFD_SETLKW = 38
    DUPFD_CLOEXEC = 1030
    GETPIPE_SZ = 1032
    ADD_SEALS = 1033
    GET_SEALS = 1034


FD_CLOEXEC = 1


class Seek(IntEnum):
    """lseek(2) whence values (include/uapi/linux/fs.h)."""

    SET = 0
    CUR = 1
    END = 2
    DATA = 3
    HOLE = 4


class S(IntFlag):
    """Mode bits (include/uapi/linux/stat.h)."""

    IFMT = 0o170000
    IFSOCK = 0o140000
    IFLNK = 0o120000
    IFREG = 0o100000
    IFBLK = 0o060000
    IFDIR = 0o040000
    IFCHR = 0o020000
    IFIFO = 0o010000
    ISUID = 0o4000
    ISGID = 0o2000
    ISVTX = 0o1000


S_IALLUGO = 0o7777
S_IRWXUGO = 0o777


class DT(IntEnum):
    """d_type values for getdents64 (include/linux/fs_types.h): the file type >> 12."""

    UNKNOWN = 0
    FIFO = 1
    CHR = 2
    DIR = 4
    BLK = 6
    REG = 8
    LNK = 10
    SOCK = 12


def dt_from_mode(mode: int) -> DT:
    """The d_type of an inode mode (fs_umode_to_dtype)."""
    try:
        return DT((mode & S.IFMT) >> 12)
    except ValueError:
        return DT.UNKNOWN


class Access(IntFlag):
    """access(2) mode bits (include/uapi/linux/fcntl.h via unistd.h)."""

    F_OK = 0
    X_OK = 1
    W_OK = 2
    R_OK = 4


class Statx(IntFlag):
    """statx mask bits (include/uapi/linux/stat.h)."""

    TYPE = 0x1
    MODE = 0x2
    NLINK = 0x4
    UID = 0x8
    GID = 0x10
    ATIME = 0x20
    MTIME = 0x40
    CTIME = 0x80
    INO = 0x100
    SIZE = 0x200
    BLOCKS = 0x400
    BASIC_STATS = 0x7FF
    BTIME = 0x800
    MNT_ID = 0x1000
    DIOALIGN = 0x2000
    RESERVED = 0x80000000


class Ioctl(IntEnum):
    """ioctl numbers the VFS and tty layers handle (include/uapi/asm-generic/ioctls.h)."""

    TCGETS = 0x5401
    TCSETS = 0x5402
    TCSETSW = 0x5403
    TCSETSF = 0x5404
    TIOCGPGRP = 0x540F
    TIOCSPGRP = 0x5410
    TIOCGWINSZ = 0x5413
    TIOCSWINSZ = 0x5414
    FIONREAD = 0x541B
    FIONBIO = 0x5421
    FIONCLEX = 0x5450
    FIOCLEX = 0x5451
    FIOASYNC = 0x5452


SIZEOF_KTERMIOS = 36     # struct termios as the kernel copies it: 4 u32, c_line, c_cc[19]
SIZEOF_WINSIZE = 8

UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2


def fd_arg(value: int) -> int:
    """An ``int fd`` syscall argument: the low 32 bits of the register, signed."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def long_arg(value: int) -> int:
    """A ``long``/``off_t`` syscall argument: the register as a signed 64-bit value."""
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value & (1 << 63) else value


def uint_arg(value: int) -> int:
    """An ``unsigned int`` syscall argument (flags, modes): the low 32 bits."""
    return value & 0xFFFFFFFF
