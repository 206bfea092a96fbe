"""/proc/sys (fs/proc/proc_sysctl.c): the sysctls of the limits this kernel enforces.

Each file shows its value as a decimal line, read-only here: fs.pipe-max-size,
fs.pipe-user-pages-soft and -hard (fs/pipe.py), fs.nr_open, vm.max_map_count and
vm.overcommit_memory (mm/mmap.py), kernel.pid_max and kernel.threads-max.
"""
from glasskernel.fs.libfs import SimpleDir, SimpleFile


def _pipe(name):
    from glasskernel.fs.pipe import pipe_sysctl
    return lambda task: getattr(pipe_sysctl, name)


def _vm(name):
    from glasskernel.mm.mmap import vm_sysctl
    return lambda task: getattr(vm_sysctl, name)


def _nr_open(task):
    from glasskernel.kernel.sys import NR_OPEN
    return NR_OPEN


def _pid_max(task):
    from glasskernel.kernel.pid import PID_MAX_DEFAULT
    return PID_MAX_DEFAULT


def _threads_max(task):
    return getattr(task.kernel, "max_tasks", 4096)


TABLES = {
    "fs": {
        "nr_open": _nr_open,
        "pipe-max-size": _pipe("pipe_max_size"),
        "pipe-user-pages-hard": _pipe("pipe_user_pages_hard"),
        "pipe-user-pages-soft": _pipe("pipe_user_pages_soft"),
    },
    "kernel": {
        "pid_max": _pid_max,
        "threads-max": _threads_max,
    },
    "vm": {
        "max_map_count": _vm("max_map_count"),
        "overcommit_memory": _vm("overcommit_memory"),
    },
}


class SysctlDir(SimpleDir):
    """/proc/sys or one of its tables."""

    def __init__(self, sb, name, parent, table: dict):
        super().__init__(sb, name, parent)
        self.table = table

    def children(self, task) -> dict:
        sb = self.sb
        entries = {}
        for name, value in self.table.items():
            if isinstance(value, dict):
                entries[name] = lambda parent, n=name, t=value: SysctlDir(sb, n, parent, t)
            else:
                entries[name] = lambda parent, n=name, v=value: SimpleFile(
                    sb, n, parent, lambda t, v=v: f"{v(t)}\n".encode(), mode=0o100644)
        return entries


def proc_sys_entry(sb):
    """The factory of /proc/sys."""
    return lambda parent: SysctlDir(sb, "sys", parent, TABLES)
