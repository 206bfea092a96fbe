"""The directory-changing syscalls of fs/namei.c: mkdir, unlink, rmdir, rename, symlink,
link. The checks (and their order, which decides the errno) follow Linux; the change
itself is the file system's (overlayfs/dir.py for the sandbox root).
"""
import os


from glasskernel.fs.internal import is_subpath
from glasskernel.fs.namei import (LAST_DOT, LAST_DOTDOT, LAST_NORM, LAST_ROOT, MAY_EXEC,
                                  MAY_WRITE, filename_parentat, getname, lookup_child,
                                  user_path_at)
from glasskernel.fs.internal import uint_arg
from glasskernel.fs.namespace import mnt_want_write
from glasskernel.fs.notify import fsnotify
from glasskernel.kernel.capability import capable, cred_capable
from glasskernel.uapi.capability import CAP_FOWNER, CAP_MKNOD
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import (AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW,
                                    RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT)
from glasskernel.uapi.stat import (S_IALLUGO, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT,
                                   S_IFREG, S_IFSOCK)


def filename_create(task, dfd, pathname: int, want_dir: bool):
    """filename_create: (parent, name) for a new entry; EEXIST if it exists.

    A trailing slash is only allowed when creating a directory (else ENOENT).
    """
    p = filename_parentat(task, dfd, getname(task, pathname))
    if p.last_type != LAST_NORM:
        raise KernelError(Errno.EEXIST)
    if lookup_child(task, p.dentry, p.last) is not None:
        raise KernelError(Errno.EEXIST)
    if p.trailing_slash and not want_dir:
        raise KernelError(Errno.ENOENT)
    mnt_want_write(task, p.dentry)
    p.dentry.permission(MAY_WRITE | MAY_EXEC, task.cred)
    return p.dentry, p.last


def is_mountpoint(dentry) -> bool:
    """Something is mounted on this dentry (its parent belongs to another mount)."""
    return dentry.parent is not dentry and dentry.parent.mnt_id != dentry.mnt_id


def dir_is_empty(task, dentry) -> bool:
    return not dentry.iterate(task)


# --- mkdir ------------------------------------------------------------------------------
def do_mkdirat(task, dfd, pathname, mode) -> int:
    """do_mkdirat: mode keeps the permission and sticky bits, minus the umask."""
    parent, name = filename_create(task, dfd, pathname, want_dir=True)
    mode = uint_arg(mode) & 0o1777 & ~task.fs.umask
    parent.mkdir(task, name, mode)
    if fsnotify.nr_marks:
        fsnotify.fsnotify_create(parent, name, isdir=True)
    return 0


def sys_mkdir(task, pathname, mode) -> int:
    return do_mkdirat(task, AT_FDCWD, pathname, mode)


def sys_mkdirat(task, dfd, pathname, mode) -> int:
    return do_mkdirat(task, dfd, pathname, mode)


# --- unlink and rmdir --------------------------------------------------------------------
def may_delete(task, directory, child) -> None:
    """may_delete: write and search permission on the directory (EACCES), and in a
    sticky directory (S_ISVTX, as /tmp) only the owner of the entry or of the directory
    may remove or replace it (check_sticky: EPERM)."""
    cred = task.cred
    directory.permission(MAY_WRITE | MAY_EXEC, cred)
    if inode_flags(directory) & FS_APPEND_FL:
        raise KernelError(Errno.EPERM)          # IS_APPEND(dir): entries stay
    if inode_flags(child) & (FS_APPEND_FL | FS_IMMUTABLE_FL):
        raise KernelError(Errno.EPERM)          # IS_APPEND / IS_IMMUTABLE
    if cred_capable(cred, CAP_FOWNER, child.stat()):
        return
    dst = directory.stat()
    if dst.st_mode & 0o1000 and cred.fsuid not in (child.stat().st_uid, dst.st_uid):
        raise KernelError(Errno.EPERM)


FS_IMMUTABLE_FL, FS_APPEND_FL = 0x10, 0x20


def inode_flags(dentry) -> int:
    """The chattr flags of a dentry's inode (0 where the file system keeps none)."""
    flags = getattr(dentry, "inode_flags", None)
    return flags() if flags is not None else 0


def do_rmdir(task, dfd, pathname) -> int:
    """do_rmdir: ENOTEMPTY for "..", EINVAL for ".", EBUSY for "/" and mount points."""
    p = filename_parentat(task, dfd, getname(task, pathname))
    if p.last_type == LAST_DOTDOT:
        raise KernelError(Errno.ENOTEMPTY)
    if p.last_type == LAST_DOT:
        raise KernelError(Errno.EINVAL)
    if p.last_type == LAST_ROOT:
        raise KernelError(Errno.EBUSY)
    mnt_want_write(task, p.dentry)
    child = lookup_child(task, p.dentry, p.last)
    if child is None:
        raise KernelError(Errno.ENOENT)
    if not child.is_dir():
        raise KernelError(Errno.ENOTDIR)
    may_delete(task, p.dentry, child)
    if is_mountpoint(child):
        raise KernelError(Errno.EBUSY)
    if not dir_is_empty(task, child):
        raise KernelError(Errno.ENOTEMPTY)
    victim = fsnotify.nr_marks and fsnotify.fsnotify_delete_prepare(child)
    p.dentry.rmdir(task, child)
    if victim:
        fsnotify.fsnotify_delete(p.dentry, p.last, victim, isdir=True,
                                 pinned=fsnotify.inode_in_use(child, victim[0]))
    return 0


def do_unlinkat(task, dfd, name: str) -> int:
    """do_unlinkat: EISDIR for directories (and "."/".."), ENOTDIR for "file/"."""
    p = filename_parentat(task, dfd, name)
    if p.last_type != LAST_NORM:
        raise KernelError(Errno.EISDIR)
    mnt_want_write(task, p.dentry)
    child = lookup_child(task, p.dentry, p.last)
    if child is None:
        raise KernelError(Errno.ENOENT)
    if p.trailing_slash:
        raise KernelError(Errno.EISDIR if child.is_dir() else Errno.ENOTDIR)
    if child.is_dir():
        raise KernelError(Errno.EISDIR)
    may_delete(task, p.dentry, child)
    victim = fsnotify.nr_marks and fsnotify.fsnotify_delete_prepare(child)
    p.dentry.unlink(task, child)
    if victim:
        fsnotify.fsnotify_delete(p.dentry, p.last, victim, isdir=False,
                                 pinned=fsnotify.inode_in_use(child, victim[0]))
    return 0


def sys_unlink(task, pathname) -> int:
    return do_unlinkat(task, AT_FDCWD, getname(task, pathname))


def sys_rmdir(task, pathname) -> int:
    return do_rmdir(task, AT_FDCWD, pathname)


def sys_unlinkat(task, dfd, pathname, flag) -> int:
    """unlinkat(2): AT_REMOVEDIR selects rmdir; any other flag is EINVAL."""
    flag = uint_arg(flag)
    if flag & ~int(AT_REMOVEDIR):
        raise KernelError(Errno.EINVAL)
    if flag & AT_REMOVEDIR:
        return do_rmdir(task, dfd, pathname)
    return do_unlinkat(task, dfd, getname(task, pathname))


# --- rename ----------------------------------------------------------------------------
def do_renameat2(task, olddfd, oldname, newdfd, newname, flags) -> int:
    """do_renameat2 + vfs_rename checks, then the file system's rename."""
    flags = uint_arg(flags)
    if flags & ~int(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT):
        raise KernelError(Errno.EINVAL)
    if flags & RENAME_EXCHANGE and flags & (RENAME_NOREPLACE | RENAME_WHITEOUT):
        raise KernelError(Errno.EINVAL)
    if flags & RENAME_WHITEOUT:
        raise KernelError(Errno.EINVAL)     # userspace whiteouts are not supported
    old = filename_parentat(task, olddfd, getname(task, oldname))
    new = filename_parentat(task, newdfd, getname(task, newname))
    if old.dentry.mnt_id != new.dentry.mnt_id:
        raise KernelError(Errno.EXDEV)
    if old.last_type != LAST_NORM:
        raise KernelError(Errno.EBUSY)
    if new.last_type != LAST_NORM:
        raise KernelError(Errno.EEXIST if flags & RENAME_NOREPLACE else Errno.EBUSY)
    mnt_want_write(task, old.dentry)
    src = lookup_child(task, old.dentry, old.last)
    if src is None:
        raise KernelError(Errno.ENOENT)
    dst = lookup_child(task, new.dentry, new.last)
    _check_rename_targets(task, old, new, src, dst, flags)
    if dst is not None and _same_inode(src, dst):
        return 0
    may_delete(task, old.dentry, src)
    if dst is not None:
        may_delete(task, new.dentry, dst)
    else:
        new.dentry.permission(MAY_WRITE | MAY_EXEC, task.cred)
    source = fsnotify.nr_marks and fsnotify.fsnotify_delete_prepare(src)
    target = source and dst is not None and fsnotify.fsnotify_delete_prepare(dst) or None
    old.dentry.rename(task, src, new.dentry, new.last, dst, flags)
    if source:
        fsnotify.fsnotify_move(old.dentry, old.last, new.dentry, new.last, source, target,
                               exchange=bool(flags & RENAME_EXCHANGE))
    return 0


def _check_rename_targets(task, old, new, src, dst, flags) -> None:
    exchange = bool(flags & RENAME_EXCHANGE)
    if exchange and dst is None:
        raise KernelError(Errno.ENOENT)
    if flags & RENAME_NOREPLACE and dst is not None:
        raise KernelError(Errno.EEXIST)
    if not src.is_dir() and (old.trailing_slash or (new.trailing_slash and not exchange)):
        raise KernelError(Errno.ENOTDIR)
    if exchange and not dst.is_dir() and new.trailing_slash:
        raise KernelError(Errno.ENOTDIR)
    new_path = new.dentry.path.rstrip("/") + "/" + new.last
    if is_subpath(new_path, src.path) and new_path != src.path:
        raise KernelError(Errno.EINVAL)         # moving a directory below itself
    if dst is None:
        return
    if is_subpath(src.path, dst.path) and src.path != dst.path:
        raise KernelError(Errno.EINVAL if exchange else Errno.ENOTEMPTY)
    if is_mountpoint(src) or is_mountpoint(dst):
        raise KernelError(Errno.EBUSY)
    if exchange or _same_inode(src, dst):
        return
    if src.is_dir():
        if not dst.is_dir():
            raise KernelError(Errno.ENOTDIR)
        if not dir_is_empty(task, dst):
            raise KernelError(Errno.ENOTEMPTY)
    elif dst.is_dir():
        raise KernelError(Errno.EISDIR)


def _same_inode(a, b) -> bool:
    sa, sb = a.stat(), b.stat()
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def sys_rename(task, oldname, newname) -> int:
    return do_renameat2(task, AT_FDCWD, oldname, AT_FDCWD, newname, 0)


def sys_renameat(task, olddfd, oldname, newdfd, newname) -> int:
    return do_renameat2(task, olddfd, oldname, newdfd, newname, 0)


def sys_renameat2(task, olddfd, oldname, newdfd, newname, flags) -> int:
    return do_renameat2(task, olddfd, oldname, newdfd, newname, flags)


# --- symlink and link ----------------------------------------------------------------
def do_symlinkat(task, oldname, newdfd, newname) -> int:
    """do_symlinkat: the body is stored as given (ENOENT if empty)."""
    target = getname(task, oldname)
    parent, name = filename_create(task, newdfd, newname, want_dir=False)
    parent.symlink(task, name, target)
    if fsnotify.nr_marks:
        fsnotify.fsnotify_create(parent, name)
    return 0


def sys_symlink(task, oldname, newname) -> int:
    return do_symlinkat(task, oldname, AT_FDCWD, newname)


def sys_symlinkat(task, oldname, newdfd, newname) -> int:
    return do_symlinkat(task, oldname, newdfd, newname)


def do_linkat(task, olddfd, oldname, newdfd, newname, flags) -> int:
    """do_linkat: EPERM for directories, EXDEV across mounts."""
    flags = uint_arg(flags)
    if flags & ~int(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH):
        raise KernelError(Errno.EINVAL)
    old = user_path_at(task, olddfd, oldname, flags, follow_default=False)
    parent, name = filename_create(task, newdfd, newname, want_dir=False)
    if parent.mnt_id != old.mnt_id:
        raise KernelError(Errno.EXDEV)
    if old.is_dir():
        raise KernelError(Errno.EPERM)
    parent.link(task, old, name)
    if fsnotify.nr_marks:
        fsnotify.fsnotify_link(parent, name, old)
    return 0


def sys_link(task, oldname, newname) -> int:
    return do_linkat(task, AT_FDCWD, oldname, AT_FDCWD, newname, 0)


def sys_linkat(task, olddfd, oldname, newdfd, newname, flags) -> int:
    return do_linkat(task, olddfd, oldname, newdfd, newname, flags)


# --- mknod ------------------------------------------------------------------------------
def may_mknod(mode: int) -> None:
    """may_mknod: directories are mkdir's (EPERM); an unknown file type is EINVAL."""
    kind = mode & S_IFMT
    if kind == S_IFDIR:
        raise KernelError(Errno.EPERM)
    if kind not in (0, S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK):
        raise KernelError(Errno.EINVAL)


def new_decode_dev(dev: int) -> int:
    """The device number of mknod's 32-bit argument (major 12 bits, minor 20, split as
    <linux/kdev_t.h> has them) as the host's dev_t, which stat shows."""
    return os.makedev((dev & 0xFFF00) >> 8, (dev & 0xFF) | ((dev >> 12) & 0xFFF00))


def do_mknodat(task, dfd, filename, mode, dev) -> int:
    """do_mknodat: a regular file, a FIFO, a socket or a device inode, minus the umask.

    Device nodes need CAP_MKNOD (EPERM, after the name checks as in vfs_mknod), except a
    whiteout (c 0 0). Opening one runs our driver of that number (fs/char_dev.py).
    """
    mode = uint_arg(mode)
    may_mknod(mode)
    parent, name = filename_create(task, dfd, filename, want_dir=False)
    mode &= ~task.fs.umask
    kind = mode & S_IFMT
    if kind in (0, S_IFREG):
        parent.create(task, name, mode & S_IALLUGO)
    elif kind in (S_IFCHR, S_IFBLK):
        dev = uint_arg(dev)
        if not (kind == S_IFCHR and dev == 0) and not capable(task, CAP_MKNOD):
            raise KernelError(Errno.EPERM)
        parent.mknod(task, name, mode & (S_IFMT | S_IALLUGO), new_decode_dev(dev))
    else:
        parent.mknod(task, name, mode & (S_IFMT | S_IALLUGO))
    if fsnotify.nr_marks:
        fsnotify.fsnotify_create(parent, name)
    return 0


def sys_mknod(task, filename, mode, dev) -> int:
    return do_mknodat(task, AT_FDCWD, filename, mode, dev)


def sys_mknodat(task, dfd, filename, mode, dev) -> int:
    return do_mknodat(task, dfd, filename, mode, dev)
