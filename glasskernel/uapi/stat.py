"""File mode bits (include/uapi/linux/stat.h) and statx mask bits."""
from enum import IntEnum, IntFlag

from glasskernel.uapi import c_names

S_IFMT = 0o170000


class FileType(IntEnum):
    """The S_IFMT part of st_mode."""

    S_IFIFO = 0o010000
    S_IFCHR = 0o020000
    S_IFDIR = 0o040000
    S_IFBLK = 0o060000
    S_IFREG = 0o100000
    S_IFLNK = 0o120000
    S_IFSOCK = 0o140000


class ModeBit(IntFlag):
    """Permission and special bits below S_IFMT."""

    S_ISUID = 0o4000
    S_ISGID = 0o2000
    S_ISVTX = 0o1000
    S_IRUSR = 0o400
    S_IWUSR = 0o200
    S_IXUSR = 0o100
    S_IRGRP = 0o040
    S_IWGRP = 0o020
    S_IXGRP = 0o010
    S_IROTH = 0o004
    S_IWOTH = 0o002
    S_IXOTH = 0o001


class StatxMask(IntFlag):
    """statx(2) stx_mask / request mask bits."""

    STATX_TYPE = 0x0001
    STATX_MODE = 0x0002
    STATX_NLINK = 0x0004
    STATX_UID = 0x0008
    STATX_GID = 0x0010
    STATX_ATIME = 0x0020
    STATX_MTIME = 0x0040
    STATX_CTIME = 0x0080
    STATX_INO = 0x0100
    STATX_SIZE = 0x0200
    STATX_BLOCKS = 0x0400
    STATX_BASIC_STATS = 0x07FF
    STATX_BTIME = 0x0800
    STATX_ALL = 0x0FFF
    STATX_MNT_ID = 0x1000
    STATX_DIOALIGN = 0x2000


STATX__RESERVED = 0x80000000      # reserved for a future struct statx; a mask with it is EINVAL

# include/linux/stat.h: every permission and special bit.
S_IALLUGO = 0o7777

# utimensat(2) tv_nsec values that mean "now" and "leave unchanged".
UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2


class DirentType(IntEnum):
    """getdents64 d_type values (include/linux/fs_types.h): the S_IFMT bits shifted right 12."""

    DT_UNKNOWN = 0
    DT_FIFO = 1
    DT_CHR = 2
    DT_DIR = 4
    DT_BLK = 6
    DT_REG = 8
    DT_LNK = 10
    DT_SOCK = 12


def dt_from_mode(mode: int) -> DirentType:
    """The d_type of an inode mode (fs_umode_to_dtype)."""
    try:
        return DirentType((mode & S_IFMT) >> 12)
    except ValueError:
        return DirentType.DT_UNKNOWN


def S_ISDIR(mode: int) -> bool:
    return mode & S_IFMT == FileType.S_IFDIR


def S_ISREG(mode: int) -> bool:
    return mode & S_IFMT == FileType.S_IFREG


def S_ISLNK(mode: int) -> bool:
    return mode & S_IFMT == FileType.S_IFLNK


def S_ISCHR(mode: int) -> bool:
    return mode & S_IFMT == FileType.S_IFCHR


globals().update(c_names(FileType, ModeBit, StatxMask, DirentType))
