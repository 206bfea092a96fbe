"""Futex-related syscalls (kernel/futex/syscalls.c)."""
from glasskernel.uapi.errno import Errno, KernelError

ROBUST_LIST_HEAD_SIZE = 24       # sizeof(struct robust_list_head) on x86-64


def sys_set_robust_list(task, head, length) -> int:
    """Record the robust-futex list head; walked at exit once futexes arrive."""
    if length != ROBUST_LIST_HEAD_SIZE:
        raise KernelError(Errno.EINVAL)
    task.robust_list = (head, length)
    return 0
