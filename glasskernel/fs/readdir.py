"""getdents64 (fs/readdir.c): struct linux_dirent64 records from a directory's position.

Each record's d_off is the offset of the *next* entry, so a later call (or lseek to a
d_off) continues exactly after it.
"""
import os
import struct

from glasskernel.fs.internal import fd_arg
from glasskernel.fs.notify import fsnotify
from glasskernel.mm.uaccess import check_user_ptr, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError

_DIRENT64_HEAD = struct.Struct("<QqHB")      # d_ino, d_off, d_reclen, d_type (19 bytes)


def dirent64_record(name: bytes, ino: int, dtype: int, next_off: int) -> bytes:
    """One linux_dirent64: header, name, NUL, padded to 8 bytes (filldir64)."""
    reclen = (_DIRENT64_HEAD.size + len(name) + 1 + 7) & ~7
    head = _DIRENT64_HEAD.pack(ino, next_off, reclen, dtype)
    return (head + name).ljust(reclen, b"\0")


def sys_getdents64(task, fd, dirent, count) -> int:
    """getdents64: fill at most ``count`` bytes; EINVAL if not even one record fits."""
    file = task.files.fdget(fd_arg(fd))
    count &= 0xFFFFFFFF
    check_user_ptr(dirent)
    out = bytearray()
    new_pos = file.pos
    for name, ino, dtype, next_off in file.getdents():
        record = dirent64_record(os.fsencode(name), ino, dtype, next_off)
        if len(out) + len(record) > count:
            if not out:
                raise KernelError(Errno.EINVAL)
            break
        out += record
        new_pos = next_off
    copy_to_user(task, dirent, bytes(out))
    file.pos = new_pos
    if fsnotify.nr_marks:
        fsnotify.fsnotify_file(file, fsnotify.FS_ACCESS)     # iterate_dir
    return len(out)


# ----- the i386 records (compat_filldir, compat_fillonedir) -------------------------------

_COMPAT_DIRENT_HEAD = struct.Struct("<IIH")  # compat_linux_dirent: d_ino, d_off, d_reclen


def compat_dirent_record(name: bytes, ino: int, dtype: int, next_off: int) -> bytes:
    """One compat_linux_dirent: header, name, NUL, padding, d_type in the last byte;
    EOVERFLOW for an inode number past 32 bits."""
    if ino > 0xFFFFFFFF:
        raise KernelError(Errno.EOVERFLOW)
    reclen = (_COMPAT_DIRENT_HEAD.size + len(name) + 2 + 3) & ~3
    head = _COMPAT_DIRENT_HEAD.pack(ino, next_off & 0xFFFFFFFF, reclen)
    return (head + name).ljust(reclen - 1, b"\0") + bytes((dtype,))


# compat_sys_getdents: getdents(2) of i386: EINVAL if no record fits; an inode that does not fit
# 32 bits ends the call (EOVERFLOW when it is the first record).
def compat_sys_getdents(task, fd, dirent, count) -> int:
    file = task.files.fdget(fd_arg(fd))
    count &= 0xFFFFFFFF
    check_user_ptr(dirent)
    out = bytearray()
    new_pos = file.pos
    for name, ino, dtype, next_off in file.getdents():
        try:
            record = compat_dirent_record(os.fsencode(name), ino, dtype, next_off)
        except KernelError:
            if not out:
                raise
            break
        if len(out) + len(record) > count:
            if not out:
                raise KernelError(Errno.EINVAL)
            break
        out += record
        new_pos = next_off
    copy_to_user(task, dirent, bytes(out))
    file.pos = new_pos
    if fsnotify.nr_marks:
        fsnotify.fsnotify_file(file, fsnotify.FS_ACCESS)
    return len(out)


_COMPAT_OLD_DIRENT = struct.Struct("<IIH")   # compat_old_linux_dirent: d_ino, d_offset, d_namlen


# compat_sys_old_readdir: readdir(2) (number 89): one entry per call, 1 or 0 at the end.
def compat_sys_old_readdir(task, fd, dirent, count) -> int:
    file = task.files.fdget(fd_arg(fd))
    pos = file.pos                               # the entry's own offset (ctx->pos)
    for name, ino, _dtype, next_off in file.getdents():
        name = os.fsencode(name)
        if ino > 0xFFFFFFFF:
            raise KernelError(Errno.EOVERFLOW)
        copy_to_user(task, dirent, _COMPAT_OLD_DIRENT.pack(ino, pos & 0xFFFFFFFF,
                                                           len(name)) + name + b"\0")
        file.pos = next_off
        return 1
    return 0
