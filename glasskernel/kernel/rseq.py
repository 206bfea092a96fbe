"""Restartable sequences (kernel/rseq.c): this kernel is built without CONFIG_RSEQ.

libc probes rseq at start-up and carries on without it when the kernel says ENOSYS, so the
call is answered quietly (no unknown-syscall warning) with ENOSYS.
"""
from glasskernel.uapi.errno import Errno, KernelError


def sys_rseq(task, rseq, rseq_len, flags, sig) -> int:
    raise KernelError(Errno.ENOSYS)
