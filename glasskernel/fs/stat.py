"""stat family and readlink (fs/stat.c).

Overlay files report the real host attributes of the layer that shows them, so
``ls -la /`` in the guest matches the host.
"""
import os
import struct

from glasskernel.fs.kstat import pack_stat, pack_statx
from glasskernel.fs.namei import filename_lookup, getname, user_path_at
from glasskernel.fs.internal import fd_arg, uint_arg
from glasskernel.mm.uaccess import copy_to_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import (AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_STATX_SYNC_TYPE,
                                    AT_SYMLINK_NOFOLLOW)
from glasskernel.uapi.stat import STATX__RESERVED


def vfs_fstatat(task, dfd, filename, flags):
    """vfs_fstatat: the dentry named (per AT_* flags) and its attributes; vfs_statx also
    takes the AT_STATX_* sync flags, which a local file system ignores."""
    flags = uint_arg(flags)
    if flags & ~int(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE):
        raise KernelError(Errno.EINVAL)
    dentry = user_path_at(task, dfd, filename, flags)
    return dentry.stat()


def stat_for(task, st):
    """The owner as the caller's user namespace shows it (from_kuid_munged, cp_new_stat)."""
    ns = task.cred.user_ns
    if ns is None:
        return st
    import dataclasses
    from glasskernel.kernel.user_namespace import from_kgid, from_kuid
    return dataclasses.replace(st, st_uid=from_kuid(ns, st.st_uid), st_gid=from_kgid(ns, st.st_gid))


def sys_newstat(task, filename, statbuf) -> int:
    copy_to_user(task, statbuf, pack_stat(stat_for(task, vfs_fstatat(task, AT_FDCWD, filename, 0))))
    return 0


def sys_newlstat(task, filename, statbuf) -> int:
    st = vfs_fstatat(task, AT_FDCWD, filename, AT_SYMLINK_NOFOLLOW)
    copy_to_user(task, statbuf, pack_stat(stat_for(task, st)))
    return 0


def sys_newfstatat(task, dfd, filename, statbuf, flag) -> int:
    copy_to_user(task, statbuf, pack_stat(stat_for(task, vfs_fstatat(task, dfd, filename, flag))))
    return 0


def sys_newfstat(task, fd, statbuf) -> int:
    """fstat(2): works on O_PATH descriptors too."""
    st = task.files.fdget(fd_arg(fd)).stat()
    copy_to_user(task, statbuf, pack_stat(stat_for(task, st)))
    return 0


# x86-64 names the plain syscalls stat/fstat/lstat; both spellings are provided.
sys_stat = sys_newstat
sys_lstat = sys_newlstat
sys_fstat = sys_newfstat


def sys_statx(task, dfd, filename, flags, mask, buffer) -> int:
    """statx(2): EINVAL for unknown flags, a bad sync type or a reserved mask bit."""
    flags, mask = uint_arg(flags), uint_arg(mask)
    if mask & STATX__RESERVED:
        raise KernelError(Errno.EINVAL)
    if (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE:
        raise KernelError(Errno.EINVAL)
    if flags & ~int(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE):
        raise KernelError(Errno.EINVAL)
    if flags & AT_EMPTY_PATH and filename == 0:
        raise KernelError(Errno.EFAULT)
    dentry = user_path_at(task, dfd, filename, flags & ~int(AT_STATX_SYNC_TYPE))
    attributes, attributes_mask = statx_attributes(dentry)
    copy_to_user(task, buffer, pack_statx(stat_for(task, dentry.stat()), dentry.mnt_id, attributes,
                                          attributes_mask))
    return 0


STATX_ATTR_MOUNT_ROOT = 0x2000


def statx_attributes(dentry):
    """stx_attributes and its mask: what the file system reports (tmpfs: append,
    immutable, nodump), and STATX_ATTR_MOUNT_ROOT, which vfs_getattr_nosec adds to the
    mask of every file and to the attributes of a mount's root."""
    attrs_of = getattr(dentry, "statx_attributes", None)
    attributes, mask = attrs_of() if attrs_of is not None else (0, 0)
    if dentry.mnt_id:
        mask |= STATX_ATTR_MOUNT_ROOT
        if dentry.parent is dentry or dentry.parent.mnt_id != dentry.mnt_id:
            attributes |= STATX_ATTR_MOUNT_ROOT
    return attributes, mask


def do_readlinkat(task, dfd, pathname, buf, bufsiz) -> int:
    """do_readlinkat: EINVAL for a size <= 0 or a non-symlink; the text is not
    NUL-terminated and is cut to bufsiz bytes."""
    bufsiz = fd_arg(bufsiz)
    if bufsiz <= 0:
        raise KernelError(Errno.EINVAL)
    path = getname(task, pathname, allow_empty=True)
    dentry = filename_lookup(task, dfd, path, follow=False, empty_ok=True)
    if not dentry.is_symlink():
        raise KernelError(Errno.EINVAL if path else Errno.ENOENT)
    text = os.fsencode(dentry.readlink(task))[:bufsiz]
    copy_to_user(task, buf, text)
    return len(text)


def sys_readlink(task, path, buf, bufsiz) -> int:
    return do_readlinkat(task, AT_FDCWD, path, buf, bufsiz)


def sys_readlinkat(task, dfd, pathname, buf, bufsiz) -> int:
    return do_readlinkat(task, dfd, pathname, buf, bufsiz)


# ----- the compat struct stat of i386 (cp_compat_stat) ------------------------------------

_COMPAT_STAT = struct.Struct("<IIHHHHIIIIIIIIII8x")   # struct compat_stat: 64 bytes
MAX_NON_LFS = 0x7FFFFFFF
OVERFLOWUID = 65534                 # /proc/sys/kernel/overflowuid (and overflowgid)


def high2lowuid(uid: int) -> int:
    """An id for a 16-bit field: ids past 65535 become the overflow id (SET_UID)."""
    return OVERFLOWUID if uid & ~0xFFFF else uid


def cp_compat_stat(task, st, statbuf: int) -> int:
    """cp_compat_stat: EOVERFLOW for an inode number, link count or size the 32-bit fields
    cannot hold; the owner as 16-bit ids."""
    from glasskernel.arch.x86.kernel.sys_ia32 import huge_encode_dev
    st = stat_for(task, st)
    if st.st_ino > 0xFFFFFFFF or st.st_nlink > 0xFFFF or st.st_size > MAX_NON_LFS:
        raise KernelError(Errno.EOVERFLOW)
    copy_to_user(task, statbuf, _COMPAT_STAT.pack(
        huge_encode_dev(st.st_dev) & 0xFFFFFFFF, st.st_ino, st.st_mode & 0xFFFF, st.st_nlink,
        high2lowuid(st.st_uid), high2lowuid(st.st_gid), huge_encode_dev(st.st_rdev) & 0xFFFFFFFF,
        st.st_size, st.st_blksize & 0xFFFFFFFF, st.st_blocks & 0xFFFFFFFF,
        st.atime[0] & 0xFFFFFFFF, st.atime[1], st.mtime[0] & 0xFFFFFFFF, st.mtime[1],
        st.ctime[0] & 0xFFFFFFFF, st.ctime[1]))
    return 0


# compat_sys_newstat: stat(2) of i386 (number 106) into a struct compat_stat.
def compat_sys_newstat(task, filename, statbuf) -> int:
    return cp_compat_stat(task, vfs_fstatat(task, AT_FDCWD, filename, 0), statbuf)


# compat_sys_newlstat: lstat(2) of i386 (number 107).
def compat_sys_newlstat(task, filename, statbuf) -> int:
    return cp_compat_stat(task, vfs_fstatat(task, AT_FDCWD, filename, AT_SYMLINK_NOFOLLOW), statbuf)


# compat_sys_newfstat: fstat(2) of i386 (number 108).
def compat_sys_newfstat(task, fd, statbuf) -> int:
    return cp_compat_stat(task, task.files.fdget(fd_arg(fd)).stat(), statbuf)


# ----- the pre-1.0 struct of i386's oldstat/oldfstat/oldlstat (cp_old_stat) ----------------

_OLD_KERNEL_STAT = struct.Struct("<7H2x4I")   # struct __old_kernel_stat: 32 bytes


def cp_old_stat(task, st, statbuf: int) -> int:
    """cp_old_stat: 16-bit device, inode, link and id fields; EOVERFLOW for an inode or
    link count past 16 bits (the size is cut to 32 bits on a 64-bit kernel)."""
    st = stat_for(task, st)
    if st.st_ino > 0xFFFF or st.st_nlink > 0xFFFF:
        raise KernelError(Errno.EOVERFLOW)
    dev = ((os.major(st.st_dev) << 8) | os.minor(st.st_dev)) & 0xFFFF     # old_encode_dev
    rdev = ((os.major(st.st_rdev) << 8) | os.minor(st.st_rdev)) & 0xFFFF
    copy_to_user(task, statbuf, _OLD_KERNEL_STAT.pack(
        dev, st.st_ino, st.st_mode & 0xFFFF, st.st_nlink, high2lowuid(st.st_uid),
        high2lowuid(st.st_gid), rdev, st.st_size & 0xFFFFFFFF, st.atime[0] & 0xFFFFFFFF,
        st.mtime[0] & 0xFFFFFFFF, st.ctime[0] & 0xFFFFFFFF))
    return 0


# sys_stat: oldstat(2) (number 18).
def sys_oldstat(task, filename, statbuf) -> int:
    return cp_old_stat(task, vfs_fstatat(task, AT_FDCWD, filename, 0), statbuf)


# sys_lstat: oldlstat(2) (number 84).
def sys_oldlstat(task, filename, statbuf) -> int:
    return cp_old_stat(task, vfs_fstatat(task, AT_FDCWD, filename, AT_SYMLINK_NOFOLLOW), statbuf)


# sys_fstat: oldfstat(2) (number 28).
def sys_oldfstat(task, fd, statbuf) -> int:
    return cp_old_stat(task, task.files.fdget(fd_arg(fd)).stat(), statbuf)
