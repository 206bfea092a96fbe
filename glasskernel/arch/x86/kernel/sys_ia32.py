"""The i386 syscalls whose arguments do not fit the native ones (arch/x86/kernel/sys_ia32.c).

i386 passes a 64-bit file offset or length in two registers (low half first); these
join them and call the native syscall. The LFS stat calls fill the i386 ``struct stat64``
(96 bytes; the inode number twice: truncated in ``__st_ino`` and whole in ``st_ino``),
and the old ``mmap`` (number 90) reads its six arguments from a struct in user memory.
clone takes its arguments in the i386 order (kernel/fork.c's CONFIG_CLONE_BACKWARDS).
"""
import os
import struct

from glasskernel.fs import open as fs_open, read_write, stat as fs_stat
from glasskernel.fs.internal import fd_arg
from glasskernel.kernel.compat import arg64, s64
from glasskernel.kernel.fork import sys_clone
from glasskernel.mm import fadvise, mmap
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import AT_FDCWD, AT_SYMLINK_NOFOLLOW

# struct stat64 of i386 (arch/x86/include/uapi/asm/stat.h): st_dev u64, 4 pad, __st_ino u32,
# st_mode, st_nlink, st_uid, st_gid u32, st_rdev u64, 4 pad, st_size s64, st_blksize u32,
# st_blocks u64, {atime, mtime, ctime} as (u32 sec, u32 nsec), st_ino u64: 96 bytes.
_STAT64 = struct.Struct("<Q4xIIIIIQ4xqIQIIIIIIQ")
_MMAP_ARG_STRUCT32 = struct.Struct("<6I")     # addr, len, prot, flags, fd, offset


def huge_encode_dev(dev: int) -> int:
    """new_encode_dev of a host dev_t: minor's low byte, major, then minor's high bits."""
    major, minor = os.major(dev), os.minor(dev)
    return (minor & 0xFF) | (major << 8) | ((minor & ~0xFF) << 12)


def cp_stat64(task, statbuf: int, st) -> int:
    """cp_stat64: a kstat (the caller's view of the owner) as the i386 struct stat64."""
    st = fs_stat.stat_for(task, st)
    data = _STAT64.pack(huge_encode_dev(st.st_dev), st.st_ino & 0xFFFFFFFF, st.st_mode,
                        st.st_nlink & 0xFFFFFFFF, st.st_uid & 0xFFFFFFFF, st.st_gid & 0xFFFFFFFF,
                        huge_encode_dev(st.st_rdev), st.st_size, st.st_blksize & 0xFFFFFFFF,
                        st.st_blocks, st.atime[0] & 0xFFFFFFFF, st.atime[1],
                        st.mtime[0] & 0xFFFFFFFF, st.mtime[1], st.ctime[0] & 0xFFFFFFFF,
                        st.ctime[1], st.st_ino)
    copy_to_user(task, statbuf, data)
    return 0


# compat_sys_ia32_stat64: stat(2) into a struct stat64.
def compat_sys_ia32_stat64(task, filename, statbuf) -> int:
    return cp_stat64(task, statbuf, fs_stat.vfs_fstatat(task, AT_FDCWD, filename, 0))


# compat_sys_ia32_lstat64: lstat(2) into a struct stat64.
def compat_sys_ia32_lstat64(task, filename, statbuf) -> int:
    st = fs_stat.vfs_fstatat(task, AT_FDCWD, filename, AT_SYMLINK_NOFOLLOW)
    return cp_stat64(task, statbuf, st)


# compat_sys_ia32_fstat64: fstat(2) into a struct stat64 (O_PATH descriptors too).
def compat_sys_ia32_fstat64(task, fd, statbuf) -> int:
    return cp_stat64(task, statbuf, task.files.fdget(fd_arg(fd)).stat())


# compat_sys_ia32_fstatat64: fstatat(2) into a struct stat64; flag checked as vfs_fstatat does.
def compat_sys_ia32_fstatat64(task, dfd, filename, statbuf, flag) -> int:
    return cp_stat64(task, statbuf, fs_stat.vfs_fstatat(task, dfd, filename, flag))


# sys_ia32_pread64: pread64 with the offset in (edi, ebp) as lo, hi.
def sys_ia32_pread64(task, fd, ubuf, count, poslo, poshi) -> int:
    return read_write.sys_pread64(task, fd, ubuf, count, arg64(poslo, poshi))


# sys_ia32_pwrite64: pwrite64 with the offset in two registers.
def sys_ia32_pwrite64(task, fd, ubuf, count, poslo, poshi) -> int:
    return read_write.sys_pwrite64(task, fd, ubuf, count, arg64(poslo, poshi))


# sys_ia32_truncate64: truncate with the length in two registers.
def sys_ia32_truncate64(task, filename, offset_low, offset_high) -> int:
    return fs_open.sys_truncate(task, filename, arg64(offset_low, offset_high))


# sys_ia32_ftruncate64: ftruncate with the length in two registers.
def sys_ia32_ftruncate64(task, fd, offset_low, offset_high) -> int:
    return fs_open.sys_ftruncate(task, fd, arg64(offset_low, offset_high))


# sys_ia32_fadvise64: offset in two registers, a 32-bit length (size_t).
def sys_ia32_fadvise64(task, fd, offset_lo, offset_hi, length, advice) -> int:
    return fadvise.sys_fadvise64(task, fd, arg64(offset_lo, offset_hi), length & 0xFFFFFFFF,
                                 advice)


# sys_ia32_fadvise64_64: offset and length each in two registers.
def sys_ia32_fadvise64_64(task, fd, offset_low, offset_high, len_low, len_high, advice) -> int:
    return fadvise.sys_fadvise64(task, fd, arg64(offset_low, offset_high),
                                 arg64(len_low, len_high), advice)


# sys_ia32_fallocate: offset and length each in two registers.
def sys_ia32_fallocate(task, fd, mode, offset_lo, offset_hi, len_lo, len_hi) -> int:
    return fs_open.sys_fallocate(task, fd, mode, arg64(offset_lo, offset_hi),
                                 arg64(len_lo, len_hi))


# sys_llseek: _llseek(2), the 64-bit offset in two registers, the result stored at *result.
def sys_llseek(task, fd, offset_high, offset_low, result, whence) -> int:
    pos = read_write.sys_lseek(task, fd, s64(arg64(offset_low, offset_high)), whence)
    copy_to_user(task, result, struct.pack("<q", pos))
    return 0


# compat_sys_ia32_mmap: the old mmap(2) (number 90): six u32 in a user struct, a byte offset
# that must be page aligned.
def compat_sys_ia32_mmap(task, arg) -> int:
    addr, length, prot, flags, fd, offset = _MMAP_ARG_STRUCT32.unpack(
        copy_from_user(task, arg, _MMAP_ARG_STRUCT32.size))
    if offset & 0xFFF:
        raise KernelError(Errno.EINVAL)
    return mmap.sys_mmap(task, addr, length, prot, flags, fd, offset)


def sys_ia32_clone(task, clone_flags, newsp, parent_tidptr, tls, child_tidptr) -> int:
    """clone(2) as i386 passes it (CONFIG_CLONE_BACKWARDS): tls before child_tid."""
    return sys_clone(task, clone_flags, newsp, parent_tidptr, child_tidptr, tls)
