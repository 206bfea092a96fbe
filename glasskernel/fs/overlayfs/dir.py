"""Directory changes in the overlay (fs/overlayfs/dir.c): all land in the upper layer.

The VFS callers (fs/namei_dir.py) have already done Linux's checks (existence, EEXIST,
ENOTEMPTY, EISDIR...); these functions only make the change and keep the whiteout and
opaque bookkeeping right.
"""
import os

from glasskernel.fs.internal import child_path, host_errors
from glasskernel.fs.overlayfs.copy_up import copy_up, copy_up_tree
from glasskernel.uapi.fcntl import RENAME_EXCHANGE
from glasskernel.uapi.stat import S_IALLUGO, S_IFMT


def _upper_child(parent, name: str):
    """Copy up ``parent`` and return (guest path, upper host path) of its child ``name``."""
    copy_up(parent)
    path = child_path(parent.path, name)
    return path, parent.ofs.safe_upper_path(path)


def ovl_create(parent, task, name: str, mode: int):
    """ovl_create for a regular file: an empty upper file with exactly ``mode``."""
    path, host = _upper_child(parent, name)
    with host_errors():
        fd = os.open(host, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
        try:
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
    parent.ofs.claim(path, is_dir=False)
    return parent.lookup(task, name)


def ovl_mkdir(parent, task, name: str, mode: int):
    """ovl_mkdir: an upper directory, opaque if it replaces a deleted lower entry."""
    path, host = _upper_child(parent, name)
    with host_errors():
        os.mkdir(host, 0o700)
        os.chmod(host, mode)
    parent.ofs.claim(path, is_dir=True)
    return parent.lookup(task, name)


def ovl_mknod(parent, task, name: str, mode: int) -> None:
    """ovl_mknod for a FIFO or a socket inode (device nodes were refused by the caller)."""
    path, host = _upper_child(parent, name)
    with host_errors():
        os.mknod(host, (mode & S_IFMT) | 0o600)
        os.chmod(host, mode & S_IALLUGO)
    parent.ofs.claim(path, is_dir=False)


def ovl_symlink(parent, task, name: str, target: str) -> None:
    path, host = _upper_child(parent, name)
    with host_errors():
        os.symlink(target, host)
    parent.ofs.claim(path, is_dir=False)


def ovl_link(parent, task, old, name: str) -> None:
    """ovl_link: hard-link the (copied-up) upper inode of ``old``."""
    old_host = copy_up(old)
    path, host = _upper_child(parent, name)
    with host_errors():
        os.link(old_host, host, follow_symlinks=False)
    parent.ofs.claim(path, is_dir=False)


def ovl_remove(parent, task, child, is_dir: bool) -> None:
    """ovl_do_remove: delete the upper entry, whiteout a lower one."""
    ofs = parent.ofs
    if child.upper_stat() is not None:
        with host_errors():
            (os.rmdir if is_dir else os.unlink)(ofs.safe_upper_path(child.path))
    if parent.lower_entry_exists(child.name):
        ofs.add_whiteout(child.path)
    else:
        ofs.forget_below(child.path)


def ovl_rename(old_parent, task, old, new_dir, new_name: str, new, flags: int) -> None:
    """ovl_rename: move within upper, copying up first; directories are copied whole.

    A moved directory is complete in upper afterwards, so its new path is marked opaque.
    """
    ofs = old_parent.ofs
    _copy_up_for_rename(old, task)
    new_path, new_host = _upper_child(new_dir, new_name)
    if flags & RENAME_EXCHANGE:
        _exchange(old, new, new_host, task)
        return
    old_whiteout = old_parent.lower_entry_exists(old.name)
    moved_dir = old.is_dir()
    with host_errors():
        os.rename(ofs.upper_path(old.path), new_host)
    if old_whiteout:
        ofs.add_whiteout(old.path)
    else:
        ofs.forget_below(old.path)
    ofs.whiteouts.discard(new_path)
    ofs.forget_below(new_path)
    if moved_dir:
        ofs.opaque.add(new_path)


def _copy_up_for_rename(dentry, task) -> None:
    if dentry.is_dir() and dentry.lower:
        copy_up_tree(dentry, task)
    else:
        copy_up(dentry)


def _exchange(old, new, new_host: str, task) -> None:
    """RENAME_EXCHANGE: swap two upper entries through a temporary name."""
    ofs = old.ofs
    _copy_up_for_rename(new, task)
    old_host = ofs.upper_path(old.path)
    tmp = ofs.upper + "/.glasskernel-exchange"
    with host_errors():
        os.rename(old_host, tmp)
        os.rename(new_host, old_host)
        os.rename(tmp, new_host)
    for path in (old.path, new.path):
        ofs.forget_below(path)
        if os.path.isdir(ofs.upper_path(path)) and not os.path.islink(ofs.upper_path(path)):
            ofs.opaque.add(path)
