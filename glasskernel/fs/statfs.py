"""statfs and fstatfs (fs/statfs.c): facts about the file system a path lives on.

Each of our file systems answers as its Linux counterpart's ->statfs does:
- the overlay root (``ovl_statfs``): the upper layer's numbers, with f_type
  OVERLAYFS_SUPER_MAGIC; the upper layer is a host directory, so its numbers are the host's;
- procfs (``simple_statfs``) and devtmpfs (``shmem_statfs`` without size limits): a magic
  number, PAGE_SIZE blocks, NAME_MAX and zero counts;
- pipefs (``simple_statfs``): PIPEFS_MAGIC.
A file system without ->statfs makes the call fail with ENOSYS, as ``statfs_by_dentry`` does.
"""
import os
import struct
from dataclasses import dataclass

from glasskernel.fs.internal import fd_arg, host_errors
from glasskernel.fs.namei import user_path_at
from glasskernel.mm.uaccess import copy_to_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import AT_FDCWD

OVERLAYFS_SUPER_MAGIC = 0x794C7630
PROC_SUPER_MAGIC = 0x9FA0
TMPFS_MAGIC = 0x01021994
PIPEFS_MAGIC = 0x50495045
PAGE_SIZE = 4096
NAME_MAX = 255

# f_flags bits (include/linux/statfs.h)
ST_NOSUID = 0x0002
DEVPTS_SUPER_MAGIC = 0x1CD1
ST_NODEV = 0x0004
ST_NOEXEC = 0x0008
ST_VALID = 0x0020
ST_RELATIME = 0x1000

# struct statfs on x86-64: seven longs, f_fsid (two ints), f_namelen, f_frsize, f_flags,
# f_spare[4]: 120 bytes.
_STATFS = struct.Struct("<7q2I3q4q")

# Mount flags of our synthetic mounts, as a usual system mounts them.
_SYNTHETIC = {
    "proc": (PROC_SUPER_MAGIC, ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RELATIME),
    "devtmpfs": (TMPFS_MAGIC, ST_NOSUID | ST_RELATIME),
    "devpts": (DEVPTS_SUPER_MAGIC, ST_NOSUID | ST_NOEXEC | ST_RELATIME),
}


@dataclass
class KStatfs:
    """struct kstatfs."""
    f_type: int
    f_bsize: int
    f_blocks: int = 0
    f_bfree: int = 0
    f_bavail: int = 0
    f_files: int = 0
    f_ffree: int = 0
    f_fsid: tuple = (0, 0)
    f_namelen: int = NAME_MAX
    f_frsize: int = 0
    f_flags: int = 0

    def pack(self) -> bytes:
        return _STATFS.pack(self.f_type, self.f_bsize, self.f_blocks, self.f_bfree,
                            self.f_bavail, self.f_files, self.f_ffree, *self.f_fsid,
                            self.f_namelen, self.f_frsize or self.f_bsize, self.f_flags,
                            0, 0, 0, 0)


def ovl_statfs(ofs) -> KStatfs:
    """The upper layer's file system, reported as overlayfs."""
    with host_errors():
        st = ofs.upper.statvfs()
    return KStatfs(OVERLAYFS_SUPER_MAGIC, st.f_bsize, st.f_blocks, st.f_bfree, st.f_bavail,
                   st.f_files, st.f_ffree,
                   (st.f_fsid & 0xFFFFFFFF, (st.f_fsid >> 32) & 0xFFFFFFFF),
                   st.f_namemax, st.f_frsize, st.f_flag | ST_VALID)


def simple_statfs(magic: int, flags: int, dev: int = 0) -> KStatfs:
    """An in-memory file system with no size limit; f_fsid encodes its device number."""
    encoded = (os.minor(dev) & 0xFF) | (os.major(dev) << 8) | ((os.minor(dev) & ~0xFF) << 12)
    return KStatfs(magic, PAGE_SIZE, f_fsid=(encoded & 0xFFFFFFFF, encoded >> 32),
                   f_flags=flags | ST_VALID)


def statfs_by_dentry(dentry) -> KStatfs:
    from glasskernel.fs.libfs import SimpleDentry
    from glasskernel.fs.overlayfs.inode import OvlDentry
    from glasskernel.fs.pipe import PipeDentry
    if isinstance(dentry, OvlDentry):
        return ovl_statfs(dentry.ofs)
    if isinstance(dentry, SimpleDentry) and dentry.sb.name in _SYNTHETIC:
        magic, flags = _SYNTHETIC[dentry.sb.name]
        return simple_statfs(magic, flags, dentry.sb.dev)
    if isinstance(dentry, PipeDentry):
        return simple_statfs(PIPEFS_MAGIC, 0)
    statfs = getattr(dentry, "statfs", None)       # internal mounts (a memfd's shm_mnt)
    if statfs is not None:
        return statfs()
    raise KernelError(Errno.ENOSYS)


def sys_statfs(task, pathname, buf) -> int:
    dentry = user_path_at(task, AT_FDCWD, pathname, 0)
    copy_to_user(task, buf, statfs_by_dentry(dentry).pack())
    return 0


def sys_fstatfs(task, fd, buf) -> int:
    """fstatfs(2): O_PATH descriptors are accepted (fdget_raw)."""
    file = task.files.fdget(fd_arg(fd))
    copy_to_user(task, buf, statfs_by_dentry(file.dentry).pack())
    return 0


# ----- the i386 structs (fs/statfs.c's compat part) ---------------------------------------

_COMPAT_STATFS = struct.Struct("<7i2i3i16x")          # struct compat_statfs: 64 bytes
_COMPAT_STATFS64 = struct.Struct("<II5Q2iIII16x")     # struct compat_statfs64 (packed): 84
_HIGH32 = 0xFFFFFFFF00000000
_U64_MINUS_ONE = 0xFFFFFFFFFFFFFFFF


def _compat_fields(st: KStatfs) -> tuple:
    """The kstatfs fields in the order both compat structs list them (f_frsize filled)."""
    return (st.f_type, st.f_bsize, st.f_blocks, st.f_bfree, st.f_bavail, st.f_files,
            st.f_ffree, *st.f_fsid, st.f_namelen, st.f_frsize or st.f_bsize, st.f_flags)


def put_compat_statfs(task, buf: int, st: KStatfs) -> int:
    """put_compat_statfs: EOVERFLOW for block counts or sizes past 32 bits (file counts of
    -1 pass); each field stored in an int as the C assignment truncates it."""
    f = _compat_fields(st)
    if (f[1] | f[2] | f[3] | f[4] | f[10]) & _HIGH32:
        raise KernelError(Errno.EOVERFLOW)
    for count in (f[5], f[6]):
        if count != _U64_MINUS_ONE and count & _HIGH32:
            raise KernelError(Errno.EOVERFLOW)
    copy_to_user(task, buf, _COMPAT_STATFS.pack(*(_s32(v) for v in f)))
    return 0


def _s32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def put_compat_statfs64(task, buf: int, st: KStatfs) -> int:
    """put_compat_statfs64: 64-bit counts; EOVERFLOW only for sizes past 32 bits."""
    f = _compat_fields(st)
    if (f[1] | f[10]) & _HIGH32:
        raise KernelError(Errno.EOVERFLOW)
    counts = (v & _U64_MINUS_ONE for v in f[2:7])
    copy_to_user(task, buf, _COMPAT_STATFS64.pack(f[0] & 0xFFFFFFFF, f[1], *counts,
                                                   _s32(f[7]), _s32(f[8]), f[9] & 0xFFFFFFFF,
                                                   f[10], f[11] & 0xFFFFFFFF))
    return 0


# compat_sys_statfs: statfs(2) of i386 into a struct compat_statfs.
def compat_sys_statfs(task, pathname, buf) -> int:
    return put_compat_statfs(task, buf, statfs_by_dentry(user_path_at(task, AT_FDCWD, pathname, 0)))


# compat_sys_fstatfs: fstatfs(2) of i386.
def compat_sys_fstatfs(task, fd, buf) -> int:
    return put_compat_statfs(task, buf, statfs_by_dentry(task.files.fdget(fd_arg(fd)).dentry))


# compat_sys_statfs64: statfs64(2): EINVAL unless sz is the 84 bytes of compat_statfs64.
def compat_sys_statfs64(task, pathname, sz, buf) -> int:
    if sz & 0xFFFFFFFF != _COMPAT_STATFS64.size:
        raise KernelError(Errno.EINVAL)
    dentry = user_path_at(task, AT_FDCWD, pathname, 0)
    return put_compat_statfs64(task, buf, statfs_by_dentry(dentry))


# compat_sys_fstatfs64: fstatfs64(2), the same size check.
def compat_sys_fstatfs64(task, fd, sz, buf) -> int:
    if sz & 0xFFFFFFFF != _COMPAT_STATFS64.size:
        raise KernelError(Errno.EINVAL)
    return put_compat_statfs64(task, buf, statfs_by_dentry(task.files.fdget(fd_arg(fd)).dentry))
