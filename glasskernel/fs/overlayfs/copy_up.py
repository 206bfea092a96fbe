"""Copy-up: give a lower entry an upper copy before it is changed (fs/overlayfs/copy_up.c).

The copy keeps type, contents (holes stay holes), mode, times and (when we are root)
ownership, so the guest sees the same file, now writable in the sandbox; the lower original
is never opened for writing. Everything goes through the layers' descriptors (layer.py).
"""
import os
import stat as pystat

from glasskernel.fs.internal import host_errors
from glasskernel.fs.overlayfs.layer import chmod_fd, copy_sparse, fd_path
from glasskernel.uapi.errno import Errno, KernelError


def copy_up(dentry, data: bool = True) -> None:
    """ovl_copy_up: make sure ``dentry`` (and its parents) exist in upper.

    With ``data`` false a regular file is created empty (the caller truncates it anyway,
    as ovl_open does for O_TRUNC).
    """
    ofs = dentry.ofs
    if dentry.deleted:
        raise KernelError(Errno.ENOENT)
    if ofs.upper_lstat(dentry.path) is not None:
        return
    if dentry.parent is not dentry:
        copy_up(dentry.parent)
    st = ofs.lower_lstat(dentry.path)
    if st is None or not dentry.lower:
        raise KernelError(Errno.ENOENT)
    ofs.upper_changed()
    with host_errors():
        with ofs.upper.parent(dentry.path) as (pfd, name):
            _copy_one(ofs, dentry.path, pfd, name, st, data)
            _copy_attrs(pfd, name, st)
            if not pystat.S_ISDIR(st.st_mode):       # a merged directory shows lower's anyway
                ofs.set_origin(os.stat(name, dir_fd=pfd, follow_symlinks=False), st)


def _copy_one(ofs, path: str, pfd: int, name: str, st: os.stat_result, data: bool) -> None:
    """Create the upper twin of one lower inode (ovl_copy_up_inode)."""
    mode = st.st_mode
    if pystat.S_ISDIR(mode):
        os.mkdir(name, 0o700, dir_fd=pfd)
    elif pystat.S_ISREG(mode):
        dst = os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                      0o600, dir_fd=pfd)
        try:
            if data:
                src = ofs.lower.open(path, os.O_RDONLY)
                try:
                    copy_sparse(src, dst, st.st_size, ofs.charge)
                finally:
                    os.close(src)
        except BaseException:
            os.close(dst)
            os.unlink(name, dir_fd=pfd)
            raise
        os.close(dst)
    elif pystat.S_ISLNK(mode):
        os.symlink(ofs.lower_readlink(path), name, dir_fd=pfd)
    elif pystat.S_ISFIFO(mode):
        os.mkfifo(name, 0o600, dir_fd=pfd)
    elif pystat.S_ISCHR(mode) or pystat.S_ISBLK(mode):
        os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o600, dir_fd=pfd))
        ofs.add_devnode(pfd, name, pystat.S_IFMT(mode), st.st_rdev)   # never a host node
    else:
        raise KernelError(Errno.EPERM)   # a socket inode: nothing to copy


def _copy_attrs(pfd: int, name: str, st: os.stat_result) -> None:
    """Copy ownership, mode and times (ovl_set_attr), never through a symlink."""
    if os.geteuid() == 0:
        os.chown(name, st.st_uid, st.st_gid, dir_fd=pfd, follow_symlinks=False)
    if not pystat.S_ISLNK(st.st_mode):
        set_mode_at(pfd, name, pystat.S_IMODE(st.st_mode))
    os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=pfd, follow_symlinks=False)


def copy_root_attrs(lower, upper) -> None:
    """The upper root starts with the lower root's owner, mode and times, as a copy-up
    would have given it (it is made fresh, not copied up)."""
    st = os.fstat(lower.root_fd)
    if os.geteuid() == 0:
        os.chown(fd_path(upper.root_fd), st.st_uid, st.st_gid)
    chmod_fd(upper.root_fd, pystat.S_IMODE(st.st_mode))
    os.utime(fd_path(upper.root_fd), ns=(st.st_atime_ns, st.st_mtime_ns))


def set_mode_at(pfd: int, name: str, mode: int) -> None:
    """chmod ``name`` in directory ``pfd`` without following a symlink there."""
    fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pfd)
    try:
        if pystat.S_ISLNK(os.fstat(fd).st_mode):
            raise KernelError(Errno.EOPNOTSUPP)
        chmod_fd(fd, mode)
    finally:
        os.close(fd)


def copy_up_tree(dentry, task) -> None:
    """Copy up a directory and everything visible below it (for a directory rename)."""
    copy_up(dentry)
    if not dentry.is_dir():
        return
    for name, _ino, _dtype in dentry.iterate(task):
        copy_up_tree(dentry.lookup(task, name), task)
