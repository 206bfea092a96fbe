"""Copy-up: give a lower entry an upper copy before it is changed (fs/overlayfs/copy_up.c).

The copy keeps type, contents, mode, times and (when we are root) ownership, so the guest
sees the same file, now writable in the sandbox; the lower original is never opened for
writing.
"""
import os
import shutil
import stat as pystat

from glasskernel.fs.internal import host_errors, lstat_or_none
from glasskernel.uapi.errno import Errno, KernelError


def copy_up(dentry, data: bool = True) -> str:
    """ovl_copy_up: make sure ``dentry`` (and its parents) exist in upper; return its path.

    With ``data`` false a regular file is created empty (the caller truncates it anyway,
    as ovl_open does for O_TRUNC).
    """
    upper = dentry.ofs.safe_upper_path(dentry.path)
    if lstat_or_none(upper) is not None:
        return upper
    if dentry.parent is not dentry:
        copy_up(dentry.parent)
    lower = dentry.ofs.lower_path(dentry.path)
    st = lstat_or_none(lower)
    if st is None or not dentry.lower:
        raise KernelError(Errno.ENOENT)
    dentry.ofs.upper_changed()
    with host_errors():
        _copy_one(lower, upper, st, data)
        _copy_attrs(upper, st)
    return upper


def _copy_one(lower: str, upper: str, st: os.stat_result, data: bool) -> None:
    """Create the upper twin of one lower inode (ovl_copy_up_inode)."""
    mode = st.st_mode
    if pystat.S_ISDIR(mode):
        os.mkdir(upper, 0o700)
    elif pystat.S_ISREG(mode):
        if data:
            shutil.copyfile(lower, upper, follow_symlinks=False)
        else:
            os.close(os.open(upper, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    elif pystat.S_ISLNK(mode):
        os.symlink(os.readlink(lower), upper)
    elif pystat.S_ISFIFO(mode):
        os.mkfifo(upper, 0o600)
    else:
        raise KernelError(Errno.EPERM)   # devices and sockets are not copied into a nodev sandbox


def _copy_attrs(upper: str, st: os.stat_result) -> None:
    """Copy ownership, mode and times (ovl_set_attr)."""
    if os.geteuid() == 0:
        os.lchown(upper, st.st_uid, st.st_gid)
    if not pystat.S_ISLNK(st.st_mode):
        os.chmod(upper, pystat.S_IMODE(st.st_mode))
    os.utime(upper, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def copy_up_tree(dentry, task) -> None:
    """Copy up a directory and everything visible below it (for a directory rename)."""
    copy_up(dentry)
    if not dentry.is_dir():
        return
    for name, _ino, _dtype in dentry.iterate(task):
        copy_up_tree(dentry.lookup(task, name), task)
