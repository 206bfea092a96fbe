"""Scheduler syscalls: sched_getaffinity and sched_yield (kernel/sched/core.c).

The machine has ``task.kernel.nr_cpus`` CPUs (1 when the kernel does not say) and every task
may run on all of them.
"""
from glasskernel.mm.uaccess import copy_to_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.arch.x86.entry.args import int_arg

CPUMASK_SIZE = 8                    # cpumask_size(): one unsigned long, up to 64 CPUs
_LONG = 8


def nr_cpu_ids(task) -> int:
    return task.kernel.nr_cpus


def _find_task(task, pid: int):
    """find_process_by_pid(): 0 means the caller."""
    if pid == 0 or pid == task.pid:
        return task
    other = task.kernel.tasks.get(pid)
    if other is None:
        raise KernelError(Errno.ESRCH)
    return other


def sys_sched_getaffinity(task, pid, length, user_mask_ptr) -> int:
    """sched_getaffinity(2): the CPU mask; returns the number of bytes written.

    EINVAL when the buffer has fewer bits than there are CPU ids or is not a whole number of
    longs, as in Linux.
    """
    length &= 0xFFFFFFFF
    if length * 8 < nr_cpu_ids(task) or length & (_LONG - 1):
        raise KernelError(Errno.EINVAL)
    pid &= 0xFFFFFFFF
    target = _find_task(task, pid - (1 << 32) if pid & 0x80000000 else pid)
    mask = (1 << nr_cpu_ids(target)) - 1
    retlen = min(length, CPUMASK_SIZE)
    copy_to_user(task, user_mask_ptr, mask.to_bytes(CPUMASK_SIZE, "little")[:retlen])
    return retlen


def sys_sched_yield(task) -> int:
    """sched_yield(2): let every other runnable task go first; always succeeds."""
    task.kernel.sched.yield_task(task)
    return 0


def sys_sched_setaffinity(task, pid, len_, user_mask_ptr) -> int:
    """Accept any mask that includes a CPU we have (CPU 0); EINVAL if it names none."""
    from glasskernel.mm.uaccess import copy_from_user
    target = _find_task(task, int_arg(pid))
    if target is None:
        raise KernelError(Errno.ESRCH)
    raw = copy_from_user(task, user_mask_ptr, min(len_, CPUMASK_SIZE)) if len_ else b""
    mask = int.from_bytes(raw, "little") & ((1 << nr_cpu_ids(task)) - 1)
    if not mask:
        raise KernelError(Errno.EINVAL)
    return 0
