"""Error numbers as the x86-64 Linux ABI defines them (include/uapi/asm-generic/errno*.h).

Handlers raise ``KernelError(Errno.X)``; the syscall entry turns it into ``-X`` in rax,
just as kernel code returns ``-EFOO``.
"""
import errno as _host_errno
import os
from enum import IntEnum

# The host is Linux/x86-64, so Python's errno module carries exactly the kernel's values.
Errno = IntEnum("Errno", {name: code for code, name in _host_errno.errorcode.items()})

# Kernel-internal codes that never reach user space but drive syscall restarts (linux/errno.h).
ERESTARTSYS = 512
ERESTARTNOINTR = 513
ERESTARTNOHAND = 514
ERESTART_RESTARTBLOCK = 516


def strerror(code: int) -> str:
    """The message strace and libc print for an errno value."""
    return os.strerror(code)


class KernelError(Exception):
    """A kernel path failed with an errno; the syscall returns -errno."""

    def __init__(self, code: int, message: str = ""):
        super().__init__(message or f"{errno_name(code)}")
        self.errno = int(code)
        self.message = message          # a more specific text than strerror, if any


def errno_name(code: int) -> str:
    """E-name of a code (``ENOENT``), or the number as text for unknown ones."""
    return _host_errno.errorcode.get(int(code), str(int(code)))
