"""Helpers shared by the procfs files (the role of fs/proc/internal.h)."""
from glasskernel.fs.libfs import SimpleDir
from glasskernel.uapi.errno import Errno, KernelError


def all_tasks(task) -> dict:
    """pid -> task for every task the kernel knows; just ``task`` outside a full kernel."""
    return getattr(task.kernel, "tasks", {}) or {task.pid: task}


def get_proc_task(task, pid: int):
    """The task with this pid, ESRCH-like ENOENT if it has gone (get_proc_task)."""
    target = all_tasks(task).get(pid)
    if target is None:
        raise KernelError(Errno.ENOENT)
    return target


class PidEntryDir(SimpleDir):
    """A procfs directory that belongs to the task ``pid`` (/proc/<pid>, its task/, fd/)."""

    def __init__(self, sb, name, parent, pid: int):
        super().__init__(sb, name, parent)
        self.pid = pid
