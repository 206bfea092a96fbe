"""getcwd(2) (fs/d_path.c): the cwd's path inside the guest root."""
import os

from glasskernel.fs.namei import revalidate
from glasskernel.mm.uaccess import copy_to_user
from glasskernel.uapi.errno import Errno, KernelError

PAGE_SIZE = 4096


def d_path(dentry) -> str:
    """The guest absolute path of a dentry (what the dentry recorded when looked up)."""
    return dentry.path


def sys_getcwd(task, buf, size) -> int:
    """getcwd: ENOENT if the cwd was removed, ENAMETOOLONG past a page (Linux builds the
    path in one), ERANGE if the path and NUL do not fit; returns the length with the NUL."""
    cwd = revalidate(task, task.fs.cwd)       # ENOENT for an unlinked cwd
    path = os.fsencode(d_path(cwd)) + b"\0"
    if len(path) > PAGE_SIZE:
        raise KernelError(Errno.ENAMETOOLONG)
    if len(path) > (size & 0xFFFFFFFFFFFFFFFF):
        raise KernelError(Errno.ERANGE)
    copy_to_user(task, buf, path)
    return len(path)
