"""Attribute changes (fs/attr.c): the checks a new file size must pass."""
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.resource import RLIM_INFINITY, RLIMIT_FSIZE

SIGXFSZ = 25


def inode_newsize_ok(task, old_size: int, new_size: int) -> None:
    """Growing a file past RLIMIT_FSIZE is EFBIG, with SIGXFSZ to the caller."""
    if new_size <= old_size or not task.rlimits:
        return
    limit = task.rlimits.get(RLIMIT_FSIZE, (RLIM_INFINITY,))[0]
    if limit != RLIM_INFINITY and new_size > limit:
        from glasskernel.kernel.signal import send_signal
        send_signal(task, SIGXFSZ)
        raise KernelError(Errno.EFBIG)
