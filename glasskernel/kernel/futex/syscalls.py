"""Futex-related syscalls (kernel/futex/syscalls.c)."""
from glasskernel.uapi.errno import Errno, KernelError

ROBUST_LIST_HEAD_SIZE = 24       # sizeof(struct robust_list_head) on x86-64


def sys_set_robust_list(task, head, length) -> int:
    """Record the robust-futex list head; walked at exit once futexes arrive."""
    if length != ROBUST_LIST_HEAD_SIZE:
        raise KernelError(Errno.EINVAL)
    task.robust_list = (head, length)
    return 0


COMPAT_ROBUST_LIST_HEAD_SIZE = 12    # struct compat_robust_list_head: three u32


# compat_sys_set_robust_list: set_robust_list(2) of i386: the head is the 12-byte compat one.
def compat_sys_set_robust_list(task, head, length) -> int:
    if length & 0xFFFFFFFF != COMPAT_ROBUST_LIST_HEAD_SIZE:
        raise KernelError(Errno.EINVAL)
    task.robust_list = (head & 0xFFFFFFFF, COMPAT_ROBUST_LIST_HEAD_SIZE)
    return 0
