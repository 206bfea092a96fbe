"""fsync/fdatasync/sync (fs/sync.c): the sandbox needs no durability; only fd checks."""
from glasskernel.fs.internal import fd_arg


def sys_fsync(task, fd) -> int:
    """fsync(2): EBADF for a bad descriptor; otherwise nothing to do."""
    task.files.fdget(fd_arg(fd)).fsync()
    return 0


def sys_fdatasync(task, fd) -> int:
    task.files.fdget(fd_arg(fd)).fsync()
    return 0


def sys_sync(task) -> int:
    return 0
