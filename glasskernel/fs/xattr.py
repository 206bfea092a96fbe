"""Extended attributes (fs/xattr.c): getxattr, listxattr, setxattr, removexattr and their
l- (no final symlink) and f- (descriptor) forms.

The syscall layer checks names and sizes as Linux does; ``xattr_permission`` checks the
namespace rules; the dentry keeps the values. Overlay files have their host object's
attributes (a change copies the file up first); other filesystems here (proc, devtmpfs,
pipes) support none: EOPNOTSUPP, and an empty list, as a filesystem without xattr
handlers answers. `ls -l` asks for security.selinux and system.posix_acl_access of every
file it lists and expects exactly that kind of answer.
"""
import stat as pystat

from glasskernel.fs.internal import fd_arg, uint_arg
from glasskernel.fs.namespace import mnt_want_write
from glasskernel.fs.notify import fsnotify
from glasskernel.kernel.capability import capable
from glasskernel.fs.namei import user_path_at
from glasskernel.mm.uaccess import copy_from_user, copy_to_user, strncpy_from_user
from glasskernel.uapi.capability import CAP_FOWNER, CAP_SYS_ADMIN
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_PATH

XATTR_CREATE, XATTR_REPLACE = 1, 2
XATTR_NAME_MAX = 255
XATTR_SIZE_MAX = 65536
XATTR_LIST_MAX = 65536
MAY_WRITE, MAY_READ = 2, 4
_PREFIXES = ("security.", "system.", "trusted.", "user.")


def xattr_fdget(task, fd):
    """The dentry behind fd for the f*xattr calls: EBADF for a closed or O_PATH one."""
    file = task.files.fdget(fd_arg(fd))
    if file.flags & O_PATH:
        raise KernelError(Errno.EBADF)
    return file.dentry


def capable_sys_admin(task) -> bool:
    return capable(task, CAP_SYS_ADMIN)


def xattr_permission(task, dentry, name: str, mask: int) -> None:
    """May the task read or write attribute ``name`` of this inode? trusted.* needs
    CAP_SYS_ADMIN; user.* lives only on regular files and directories and follows the
    file's own permission bits; security.* and system.* are the filesystem's business."""
    if name.startswith("trusted."):
        if not capable_sys_admin(task):
            raise KernelError(Errno.ENODATA if mask == MAY_READ else Errno.EPERM)
        return
    if name.startswith("user."):
        kind = pystat.S_IFMT(dentry.mode())
        if kind not in (pystat.S_IFREG, pystat.S_IFDIR):
            raise KernelError(Errno.ENODATA if mask == MAY_READ else Errno.EPERM)
        if kind == pystat.S_IFDIR and dentry.mode() & pystat.S_ISVTX and mask == MAY_WRITE \
                and dentry.stat().st_uid != task.cred.fsuid and not capable(task, CAP_FOWNER):
            raise KernelError(Errno.EPERM)
        dentry.permission(mask, task.cred)
    elif mask == MAY_WRITE and not name.startswith(_PREFIXES):
        raise KernelError(Errno.EOPNOTSUPP)


def import_xattr_name(task, addr: int) -> str:
    """The attribute name from user memory: 1..255 bytes, ERANGE otherwise."""
    try:
        raw = strncpy_from_user(task, addr, XATTR_NAME_MAX + 1)
    except KernelError as err:
        raise KernelError(Errno.ERANGE) if err.errno == Errno.ENAMETOOLONG else err
    if not raw or len(raw) > XATTR_NAME_MAX:
        raise KernelError(Errno.ERANGE)
    return raw.decode("utf-8", "surrogateescape")


# ----- get ---------------------------------------------------------------------------------

def do_getxattr(task, dentry, name_addr: int, value: int, size: int) -> int:
    """The value's length; copied out when size is non-zero (ERANGE if it is too small)."""
    name = import_xattr_name(task, name_addr)
    size = uint_arg(size)
    xattr_permission(task, dentry, name, MAY_READ)
    if not name.startswith(_PREFIXES):
        raise KernelError(Errno.EOPNOTSUPP)
    data = dentry.getxattr(name)
    if size:
        if len(data) > min(size, XATTR_SIZE_MAX):
            raise KernelError(Errno.ERANGE)
        copy_to_user(task, value, data)
    elif len(data) > XATTR_SIZE_MAX:
        raise KernelError(Errno.E2BIG)
    return len(data)


def sys_getxattr(task, pathname, name, value, size) -> int:
    return do_getxattr(task, user_path_at(task, AT_FDCWD, pathname), name, value, size)


def sys_lgetxattr(task, pathname, name, value, size) -> int:
    dentry = user_path_at(task, AT_FDCWD, pathname, AT_SYMLINK_NOFOLLOW)
    return do_getxattr(task, dentry, name, value, size)


def sys_fgetxattr(task, fd, name, value, size) -> int:
    return do_getxattr(task, xattr_fdget(task, fd), name, value, size)


# ----- list --------------------------------------------------------------------------------

def do_listxattr(task, dentry, lst: int, size: int) -> int:
    """The NUL-separated names the task may see (trusted.* only with CAP_SYS_ADMIN)."""
    size = min(uint_arg(size), XATTR_LIST_MAX)
    names = [n for n in dentry.listxattr()
             if capable_sys_admin(task) or not n.startswith("trusted.")]
    data = b"".join(n.encode("utf-8", "surrogateescape") + b"\0" for n in names)
    if size:
        if len(data) > size:
            raise KernelError(Errno.ERANGE)
        copy_to_user(task, lst, data)
    elif len(data) > XATTR_LIST_MAX:
        raise KernelError(Errno.E2BIG)
    return len(data)


def sys_listxattr(task, pathname, lst, size) -> int:
    return do_listxattr(task, user_path_at(task, AT_FDCWD, pathname), lst, size)


def sys_llistxattr(task, pathname, lst, size) -> int:
    return do_listxattr(task, user_path_at(task, AT_FDCWD, pathname, AT_SYMLINK_NOFOLLOW), lst, size)


def sys_flistxattr(task, fd, lst, size) -> int:
    return do_listxattr(task, xattr_fdget(task, fd), lst, size)


# ----- set and remove ----------------------------------------------------------------------

def do_setxattr(task, dentry, name_addr: int, value: int, size: int, flags: int) -> int:
    """setxattr: XATTR_CREATE fails on an existing name (EEXIST), XATTR_REPLACE on a
    missing one (ENODATA); values above 64 KiB are E2BIG."""
    flags, size = uint_arg(flags), uint_arg(size)
    if flags & ~(XATTR_CREATE | XATTR_REPLACE):
        raise KernelError(Errno.EINVAL)
    name = import_xattr_name(task, name_addr)
    if size > XATTR_SIZE_MAX:
        raise KernelError(Errno.E2BIG)
    data = copy_from_user(task, value, size) if size else b""
    mnt_want_write(task, dentry)
    xattr_permission(task, dentry, name, MAY_WRITE)
    dentry.setxattr(name, data, flags)
    if fsnotify.nr_marks:
        fsnotify.fsnotify_parent(dentry, fsnotify.FS_ATTRIB)     # fsnotify_xattr
    return 0


def sys_setxattr(task, pathname, name, value, size, flags) -> int:
    dentry = user_path_at(task, AT_FDCWD, pathname)
    return do_setxattr(task, dentry, name, value, size, flags)


def sys_lsetxattr(task, pathname, name, value, size, flags) -> int:
    dentry = user_path_at(task, AT_FDCWD, pathname, AT_SYMLINK_NOFOLLOW)
    return do_setxattr(task, dentry, name, value, size, flags)


def sys_fsetxattr(task, fd, name, value, size, flags) -> int:
    dentry = xattr_fdget(task, fd)
    return do_setxattr(task, dentry, name, value, size, flags)


def do_removexattr(task, dentry, name_addr: int) -> int:
    name = import_xattr_name(task, name_addr)
    mnt_want_write(task, dentry)
    xattr_permission(task, dentry, name, MAY_WRITE)
    dentry.removexattr(name)
    if fsnotify.nr_marks:
        fsnotify.fsnotify_parent(dentry, fsnotify.FS_ATTRIB)     # fsnotify_xattr
    return 0


def sys_removexattr(task, pathname, name) -> int:
    return do_removexattr(task, user_path_at(task, AT_FDCWD, pathname), name)


def sys_lremovexattr(task, pathname, name) -> int:
    dentry = user_path_at(task, AT_FDCWD, pathname, AT_SYMLINK_NOFOLLOW)
    return do_removexattr(task, dentry, name)


def sys_fremovexattr(task, fd, name) -> int:
    return do_removexattr(task, xattr_fdget(task, fd), name)
