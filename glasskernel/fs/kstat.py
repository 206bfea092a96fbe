"""struct kstat and its two user-space encodings (include/linux/stat.h, fs/stat.c).

``StatResult`` is what every dentry's ``stat()`` returns; ``pack_stat`` lays it out as the
x86-64 ``struct stat`` of newfstatat/fstat, ``pack_statx`` as ``struct statx``.
"""
import os
import struct
from dataclasses import dataclass

from glasskernel.uapi.stat import S_IFMT, STATX_BASIC_STATS, STATX_MNT_ID, S_ISDIR, S_ISLNK, S_ISREG


# struct stat on x86-64 (arch/x86/include/uapi/asm/stat.h): 144 bytes.
_STAT = struct.Struct("<QQQIIIiQqqqQQQQQQ24x")
# struct statx (include/uapi/linux/stat.h): 256 bytes.
_STATX_HEAD = struct.Struct("<IIQIIIHHQQQQ")
_STATX_TS = struct.Struct("<qIi")
_STATX_TAIL = struct.Struct("<IIIIQII")
SIZEOF_STATX = 256


@dataclass
class StatResult:
    """struct kstat: the attributes of one inode; times are (seconds, nanoseconds)."""

    st_dev: int
    st_ino: int
    st_mode: int
    st_nlink: int
    st_uid: int
    st_gid: int
    st_rdev: int
    st_size: int
    st_blksize: int
    st_blocks: int
    atime: tuple
    mtime: tuple
    ctime: tuple

    @classmethod
    def from_host(cls, st: os.stat_result) -> "StatResult":
        """Report a host inode's attributes unchanged (so ``ls -la`` matches native)."""
        return cls(st.st_dev, st.st_ino, st.st_mode, st.st_nlink, st.st_uid, st.st_gid,
                   st.st_rdev, st.st_size, st.st_blksize, st.st_blocks,
                   divmod(st.st_atime_ns, 10**9), divmod(st.st_mtime_ns, 10**9),
                   divmod(st.st_ctime_ns, 10**9))

    @classmethod
    def synthetic(cls, dev: int, ino: int, mode: int, *, size: int = 0, nlink: int = 1,
                  rdev: int = 0, when: tuple = (0, 0)) -> "StatResult":
        """Attributes of an in-memory inode (procfs, devtmpfs), owned by the host user."""
        return cls(dev, ino, mode, nlink, os.getuid(), os.getgid(), rdev, size, 4096, 0,
                   when, when, when)

    @property
    def file_type(self) -> int:
        return self.st_mode & S_IFMT

    def is_dir(self) -> bool:
        return S_ISDIR(self.st_mode)

    def is_reg(self) -> bool:
        return S_ISREG(self.st_mode)

    def is_symlink(self) -> bool:
        return S_ISLNK(self.st_mode)


def pack_stat(st: StatResult) -> bytes:
    """cp_new_stat (fs/stat.c): the 144-byte x86-64 struct stat."""
    return _STAT.pack(st.st_dev, st.st_ino, st.st_nlink, st.st_mode, st.st_uid, st.st_gid, 0,
                      st.st_rdev, st.st_size, st.st_blksize, st.st_blocks,
                      st.atime[0], st.atime[1], st.mtime[0], st.mtime[1],
                      st.ctime[0], st.ctime[1])


def pack_statx(st: StatResult, mnt_id: int, attributes: int = 0, attributes_mask: int = 0) -> bytes:
    """cp_statx (fs/stat.c): struct statx with the basic stats and the mount id filled in.

    Like a file system without birth times, the result mask is STATX_BASIC_STATS plus
    STATX_MNT_ID whatever the caller asked for; the kernel may return more than requested.
    """
    mask = STATX_BASIC_STATS | STATX_MNT_ID
    head = _STATX_HEAD.pack(mask, st.st_blksize, attributes, st.st_nlink, st.st_uid, st.st_gid,
                            st.st_mode & 0xFFFF, 0, st.st_ino, st.st_size, st.st_blocks,
                            attributes_mask)
    times = b"".join(_STATX_TS.pack(t[0], t[1], 0)
                     for t in (st.atime, (0, 0), st.ctime, st.mtime))
    tail = _STATX_TAIL.pack(os.major(st.st_rdev), os.minor(st.st_rdev),
                            os.major(st.st_dev), os.minor(st.st_dev), mnt_id, 0, 0)
    data = head + times + tail
    return data + bytes(SIZEOF_STATX - len(data))
