"""Directory changes in the overlay (fs/overlayfs/dir.c): all land in the upper layer.

The VFS callers (fs/namei_dir.py) have already done Linux's checks (existence, EEXIST,
ENOTEMPTY, EISDIR...); these functions only make the change, through the parent's host
descriptor (never a host path), and keep the whiteout, opaque and pinned-dentry
bookkeeping right.
"""
import errno
import itertools
import os

from glasskernel.fs.internal import child_path, host_errors
from glasskernel.fs.overlayfs.copy_up import copy_up, copy_up_tree, set_mode_at
from glasskernel.fs.overlayfs.file import HostInode, OvlFile
from glasskernel.fs.overlayfs.layer import HOST_RENAME_EXCHANGE, fd_path, renameat2
from glasskernel.kernel.capability import cred_capable
from glasskernel.uapi.capability import CAP_FSETID
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_ACCMODE, O_EXCL, O_WRONLY, RENAME_EXCHANGE
from glasskernel.uapi.stat import (S_IALLUGO, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_ISGID,
                                   S_IXGRP)


def _upper_child(parent, name: str):
    """Copy up ``parent`` and return the guest path of its child ``name``."""
    copy_up(parent)
    return child_path(parent.path, name)


def inode_init_owner(parent, task, mode: int):
    """inode_init_owner: (uid, gid, mode) of a new inode made by ``task`` in ``parent``.

    The owner is the caller's fs uid; the group is the directory's if it is set-group-ID
    (and a new directory inherits that bit), else the caller's fs gid; a file may not
    keep a set-group-ID bit for a group its creator is not in. uid is None when the
    host user we run as could not give the file away (not root): the host's own
    defaults are then the same ids.
    """
    cred = task.cred
    uid, gid = cred.fsuid, cred.fsgid
    pst = parent.shown_stat()
    if pst.st_mode & S_ISGID:
        gid = pst.st_gid
    if (mode & S_IFMT) == S_IFDIR:
        if pst.st_mode & S_ISGID:
            mode |= S_ISGID
    elif ((mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) and not cred_capable(cred, CAP_FSETID, pst)
            and gid != cred.fsgid and gid not in cred.groups):
        mode &= ~S_ISGID
    return (uid if os.geteuid() == 0 else None), gid, mode & S_IALLUGO


def _set_owner_mode(pfd: int, name: str, uid, gid: int, mode: int) -> None:
    if uid is not None:
        os.chown(name, uid, gid, dir_fd=pfd, follow_symlinks=False)
    set_mode_at(pfd, name, mode)


def ovl_create(parent, task, name: str, mode: int):
    """ovl_create for a regular file: an empty upper file with exactly ``mode``."""
    path = _upper_child(parent, name)
    with host_errors(), parent.ofs.upper.parent(path) as (pfd, last):
        fd = os.open(last, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600, dir_fd=pfd)
        try:
            uid, gid, mode = inode_init_owner(parent, task, mode)
            if uid is not None:
                os.fchown(fd, uid, gid)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
    parent.ofs.claim(path, is_dir=False)
    return parent.lookup(task, name)


def ovl_tmpfile(parent, task, mode: int, flags: int):
    """ovl_tmpfile: the host's own O_TMPFILE file in the upper directory (linkat can give
    it a name unless O_EXCL), or, where the host file system has none, a file made under a
    private name and unlinked at once. The File and its (deleted, pinned) dentry are all
    that reach it, as "/DIR/#INO"."""
    from glasskernel.fs.overlayfs.inode import OvlDentry      # inode.py imports this module
    copy_up(parent)
    ofs = parent.ofs
    acc = os.O_WRONLY if flags & O_ACCMODE == O_WRONLY else os.O_RDWR
    acc |= os.O_EXCL if flags & O_EXCL else 0
    with host_errors(), ofs.upper.parent(child_path(parent.path, "x")) as (pfd, _):
        fd = _host_tmpfile(pfd, acc)
        uid, gid, mode = inode_init_owner(parent, task, mode)
        if uid is not None:
            os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
    ino = os.fstat(fd).st_ino
    dentry = OvlDentry(parent.vfs, ofs, f"#{ino}", parent, child_path(parent.path, f"#{ino}"),
                       False, 0o100000)
    dentry.deleted = True
    dentry.inode = HostInode.adopt(ofs.upper, fd)
    ofs.pin(dentry)
    return OvlFile(dentry, flags, fd)


_tmp_names = itertools.count()


def _host_tmpfile(dirfd: int, acc: int) -> int:
    try:
        return os.open(".", os.O_TMPFILE | acc | os.O_CLOEXEC, 0o600, dir_fd=dirfd)
    except OSError as err:
        if err.errno not in (errno.EOPNOTSUPP, errno.EISDIR):
            raise
    name = f".gk-tmpfile-{os.getpid()}-{next(_tmp_names)}"
    fd = os.open(name, os.O_CREAT | os.O_EXCL | (acc & ~os.O_EXCL) | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o600, dir_fd=dirfd)
    os.unlink(name, dir_fd=dirfd)
    return fd


def ovl_mkdir(parent, task, name: str, mode: int):
    """ovl_mkdir: an upper directory, opaque if it replaces a deleted lower entry."""
    path = _upper_child(parent, name)
    with host_errors(), parent.ofs.upper.parent(path) as (pfd, last):
        os.mkdir(last, 0o700, dir_fd=pfd)
        _set_owner_mode(pfd, last, *inode_init_owner(parent, task, mode | S_IFDIR))
    parent.ofs.claim(path, is_dir=True)
    return parent.lookup(task, name)


def ovl_mknod(parent, task, name: str, mode: int, dev: int = 0) -> None:
    """ovl_mknod: a FIFO or a socket inode, or a device node, which upper holds as an
    empty regular file that the overlay shows as the device (OverlayFs.devnodes)."""
    path = _upper_child(parent, name)
    kind = mode & S_IFMT
    device = kind in (S_IFCHR, S_IFBLK)
    with host_errors(), parent.ofs.upper.parent(path) as (pfd, last):
        if device:
            os.close(os.open(last, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW
                             | os.O_CLOEXEC, 0o600, dir_fd=pfd))
            parent.ofs.add_devnode(pfd, last, kind, dev)
        else:
            os.mknod(last, kind | 0o600, dir_fd=pfd)
        _set_owner_mode(pfd, last, *inode_init_owner(parent, task, mode))
    parent.ofs.claim(path, is_dir=False)


def ovl_symlink(parent, task, name: str, target: str) -> None:
    """A symlink in upper: its body is only ever read by our VFS, never followed by the host."""
    path = _upper_child(parent, name)
    with host_errors(), parent.ofs.upper.parent(path) as (pfd, last):
        os.symlink(target, last, dir_fd=pfd)
        uid, gid, _mode = inode_init_owner(parent, task, S_IFLNK | 0o777)
        if uid is not None:
            os.chown(last, uid, gid, dir_fd=pfd, follow_symlinks=False)
    parent.ofs.claim(path, is_dir=False)


def ovl_link(parent, task, old, name: str) -> None:
    """ovl_link: hard-link the (copied-up) upper inode of ``old``; an unlinked ``old``
    (linkat of /proc/self/fd/N) is linked through its pinned host object, which the host
    allows only for an O_TMPFILE file made without O_EXCL (ENOENT otherwise)."""
    ofs = parent.ofs
    if old.deleted:
        if not old.inode.upper:
            raise KernelError(Errno.ENOENT)
        path = _upper_child(parent, name)
        with host_errors(), ofs.upper.parent(path) as (nfd, newname):
            os.link(fd_path(old.inode.fd), newname, dst_dir_fd=nfd, follow_symlinks=True)
        ofs.claim(path, is_dir=False)
        return
    copy_up(old)
    path = _upper_child(parent, name)
    with host_errors(), ofs.upper.parent(old.path) as (ofd, oldname), \
            ofs.upper.parent(path) as (nfd, newname):
        os.link(oldname, newname, src_dir_fd=ofd, dst_dir_fd=nfd, follow_symlinks=False)
    ofs.claim(path, is_dir=False)


def ovl_remove(parent, task, child, is_dir: bool) -> None:
    """ovl_do_remove: delete the upper entry, whiteout a lower one."""
    ofs = parent.ofs
    ofs.d_delete(child.path)
    if child.upper_stat() is not None:
        with host_errors(), ofs.upper.parent(child.path) as (pfd, last):
            if not is_dir:
                _uncharge_last_link(ofs, pfd, last)
            os.unlink(last, dir_fd=pfd) if not is_dir else os.rmdir(last, dir_fd=pfd)
    if parent.lower_entry_exists(child.name):
        ofs.add_whiteout(child.path)
    else:
        ofs.forget_below(child.path)


def _uncharge_last_link(ofs, pfd: int, name: str) -> None:
    """The quota gets a file's blocks back when its last name goes, and the inode number
    its lower identity (the host may give it to a new file)."""
    st = os.stat(name, dir_fd=pfd, follow_symlinks=False)
    if st.st_nlink == 1:
        ofs.charge(-st.st_blocks * 512)
    ofs.drop_origin(st)


def ovl_rename(old_parent, task, old, new_dir, new_name: str, new, flags: int) -> None:
    """ovl_rename: move within upper, copying up first; directories are copied whole.

    A moved directory is complete in upper afterwards, so its new path is marked opaque.
    """
    ofs = old_parent.ofs
    _copy_up_for_rename(old, task)
    new_path = _upper_child(new_dir, new_name)
    if flags & RENAME_EXCHANGE:
        _exchange(old, new, new_path, task)
        return
    old_path = old.path
    old_whiteout = old_parent.lower_entry_exists(old.name)
    moved_dir = old.is_dir()
    if new is not None:
        ofs.d_delete(new_path)          # what the rename replaces
        if not new.is_dir():
            ofs.drop_origin(ofs.upper_lstat(new_path))
    with host_errors(), ofs.upper.parent(old_path) as (ofd, oldname), \
            ofs.upper.parent(new_path) as (nfd, newname):
        os.rename(oldname, newname, src_dir_fd=ofd, dst_dir_fd=nfd)
    if old_whiteout:
        ofs.add_whiteout(old_path)
    else:
        ofs.forget_below(old_path)
    ofs.whiteouts.discard(new_path)
    ofs.forget_below(new_path)
    if moved_dir:
        ofs.opaque.add(new_path)
    ofs.d_move(old_path, new_path)


def _copy_up_for_rename(dentry, task) -> None:
    if dentry.is_dir() and dentry.lower:
        copy_up_tree(dentry, task)
    else:
        copy_up(dentry)


def _exchange(old, new, new_path: str, task) -> None:
    """RENAME_EXCHANGE: the host swaps the two upper entries atomically (renameat2)."""
    ofs = old.ofs
    _copy_up_for_rename(new, task)
    old_path = old.path
    with host_errors(), ofs.upper.parent(old_path) as (ofd, oldname), \
            ofs.upper.parent(new_path) as (nfd, newname):
        renameat2(ofd, oldname, nfd, newname, HOST_RENAME_EXCHANGE)
    for path in (old_path, new_path):
        ofs.forget_below(path)
        st = ofs.upper_lstat(path)
        if st is not None and (st.st_mode & S_IFMT) == S_IFDIR:
            ofs.opaque.add(path)
    swapping = ofs.pinned_at_or_below(old_path), ofs.pinned_at_or_below(new_path)
    for dentries, src, dst in ((swapping[0], old_path, new_path), (swapping[1], new_path, old_path)):
        for d in dentries:
            d.path = dst + d.path[len(src):]
    for d in swapping[0] + swapping[1]:
        d.reparent()
