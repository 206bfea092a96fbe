"""Ending a task (kernel/exit.c).

``do_exit`` releases what the task holds (its mm, files, fs) and records the wait status;
``do_group_exit`` is the process-wide form used by exit_group and by fatal signals.
Status encoding as wait(2) reports it: exit code in bits 8-15, or the signal number in
bits 0-6 with 0x80 for a core dump.
"""


def exit_status_code(code: int) -> int:
    return (code & 0xFF) << 8


def exit_status_signal(signo: int, core: bool) -> int:
    return (signo & 0x7F) | (0x80 if core else 0)


def exit_mm(task) -> None:
    from glasskernel.kernel.fork import mmput
    mm, task.mm = task.mm, None
    if mm is not None:
        mmput(mm)


def exit_files(task) -> None:
    files, task.files = task.files, None
    if files is not None:
        files.users -= 1
        if files.users == 0:
            files.close_all()


def do_exit(task, status: int) -> None:
    """Stop the task for good: free its resources and leave a zombie with status."""
    from glasskernel.kernel.task import TaskState
    task.exiting = True
    task.exit_code = status
    exit_mm(task)
    exit_files(task)
    task.fs = None
    task.state = TaskState.ZOMBIE
    task.kernel.exit_notify(task)


def do_group_exit(task, status: int) -> None:
    """Exit every thread of the group with the same status (threads come later)."""
    do_exit(task, status)


def sys_exit(task, error_code) -> int:
    do_exit(task, exit_status_code(error_code))
    return 0


def sys_exit_group(task, error_code) -> int:
    do_group_exit(task, exit_status_code(error_code))
    return 0


ECHILD = 10


def sys_wait4(task, upid, stat_addr, options, ru) -> int:
    """wait4(2): children and reaping arrive with the lifecycle work; no child → ECHILD."""
    from glasskernel.uapi.errno import Errno, KernelError
    if options & ~(0x1 | 0x2 | 0x8 | 0x40000000 | 0x80000000 | 0x20000000):
        raise KernelError(Errno.EINVAL)
    if not task.children:
        raise KernelError(Errno.ECHILD)
    raise KernelError(Errno.ECHILD)
