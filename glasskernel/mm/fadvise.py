"""posix_fadvise (mm/fadvise.c): advice about a file's future reads.

Our files are read through the host's page cache or kept in memory, so no advice changes
what happens; the call checks its arguments as Linux does and succeeds.
"""
import stat as pystat

from glasskernel.fs.internal import fd_arg
from glasskernel.uapi.errno import Errno, KernelError

POSIX_FADV_NORMAL, POSIX_FADV_NOREUSE = 0, 5
_S64 = 1 << 63


def sys_fadvise64(task, fd, offset, length, advice) -> int:
    """EBADF for a closed fd, ESPIPE for a pipe or FIFO, EINVAL for an unknown advice or a
    negative length; 0 otherwise."""
    file = task.files.fdget(fd_arg(fd))
    if pystat.S_ISFIFO(file.dentry.mode()):
        raise KernelError(Errno.ESPIPE)
    advice = advice & 0xFFFFFFFF
    if advice > POSIX_FADV_NOREUSE or length & _S64:
        raise KernelError(Errno.EINVAL)
    return 0
