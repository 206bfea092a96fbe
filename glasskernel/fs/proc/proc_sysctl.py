"""/proc/sys (fs/proc/proc_sysctl.c) over the sysctl tables this kernel has (kernel/sysctl.c).

A table entry (CtlTable) names a file, its mode, how to show the value and how to store a
new one; ``SYSCTL_TABLES`` maps each /proc/sys directory to its entries. Values live where
the kernel uses them (pid_max in the initial pid namespace, threads-max in the task cap,
the pipe limits in fs/pipe.py, the vm ones in mm/mmap.py), so a write changes what the
kernel does, not a copy. Writes follow sysctl_writes_strict=1: a write must start at offset
0 (later writes are ignored), and a number out of range is EINVAL, as proc_dointvec_minmax
says. vm.max_map_count and vm.overcommit_memory take writes; of the fs entries nr_open and the
lease ones do (fs/file.py, fs/locks_lease.py): the others are EINVAL to write.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from glasskernel.fs.file_table import SeqFile
from glasskernel.fs.libfs import SimpleDir, SimpleFile
from glasskernel.kernel.pid import PID_MAX_LIMIT, RESERVED_PIDS
from glasskernel.uapi.errno import Errno, KernelError

INT_MAX = 0x7FFFFFFF
FUTEX_TID_MASK = 0x3FFFFFFF      # threads-max's ceiling (MAX_THREADS)
CORENAME_MAX_SIZE = 128


@dataclass(frozen=True, slots=True)
class CtlTable:
    """struct ctl_table, the part we model: how the value reads and how a write stores it."""
    procname: str
    mode: int
    show: Callable                        # (kernel) -> str, without the newline
    store: Callable | None = None         # (kernel, text) -> None, KernelError(EINVAL) if bad


def parse_int(text: str, lo: int, hi: int) -> int:
    """proc_dointvec_minmax for one value: a decimal integer in [lo, hi], spaces around."""
    try:
        value = int(text.strip(), 10)
    except ValueError:
        raise KernelError(Errno.EINVAL) from None
    if not lo <= value <= hi:
        raise KernelError(Errno.EINVAL)
    return value


def _init_pid_ns(kernel):
    return kernel.idle_task.nsproxy.pid_ns_for_children


def _set_pid_max(kernel, text: str) -> None:
    _init_pid_ns(kernel).pid_max = parse_int(text, RESERVED_PIDS + 1, PID_MAX_LIMIT)


def _set_threads_max(kernel, text: str) -> None:
    """sysctl_max_threads: at least 20 (MIN_THREADS); the fork cap follows it."""
    kernel.max_tasks = parse_int(text, 20, FUTEX_TID_MASK)


def _add_taint(kernel, text: str) -> None:
    """proc_taint: a write can add taint bits, never clear them."""
    kernel.tainted |= parse_int(text, 0, INT_MAX)


def _set_core_pattern(kernel, text: str) -> None:
    """proc_dostring_coredump: the string up to the first newline, at most 127 bytes."""
    kernel.core_pattern = text.split("\n", 1)[0][:CORENAME_MAX_SIZE - 1]


def _pipe(name):
    def show(kernel):
        from glasskernel.fs.pipe import pipe_sysctl
        return str(getattr(pipe_sysctl, name))
    return show


def _lease(name):
    def show(kernel):
        from glasskernel.fs.locks_lease import lease_sysctl
        return str(getattr(lease_sysctl, name))
    return show


def _set_lease(name):
    def store(kernel, text: str) -> None:
        """proc_dointvec: any int."""
        from glasskernel.fs.locks_lease import lease_sysctl
        setattr(lease_sysctl, name, parse_int(text, -INT_MAX - 1, INT_MAX))
    return store


def _vm(name):
    def show(kernel):
        from glasskernel.mm.mmap import vm_sysctl
        return str(getattr(vm_sysctl, name))
    return show


def _set_vm(name, lo: int, hi: int):
    """proc_dointvec_minmax on one of mm's tunables (vm_sysctl)."""
    def store(kernel, text: str) -> None:
        from glasskernel.mm.mmap import vm_sysctl
        setattr(vm_sysctl, name, parse_int(text, lo, hi))
    return store


def _uts(field):
    """A field of the reader's UTS namespace (proc_do_uts_string)."""
    def show(kernel):
        from glasskernel.kernel.sys import utsname_of
        return getattr(utsname_of(kernel.current), field)
    return show


def _set_uts(field):
    """proc_do_uts_string's write: the text up to a newline, at most 64 bytes, into the
    writer's UTS namespace."""
    def store(kernel, text: str) -> None:
        from glasskernel.kernel.utsname import set_uts_field
        raw = text.encode().split(b"\n", 1)[0]
        set_uts_field(kernel.current, field, raw)
    return store


def _inotify(name):
    """One of /proc/sys/fs/inotify's limits (inotify_table)."""
    def show(kernel):
        from glasskernel.fs.notify.inotify.inotify_user import inotify_sysctl
        return str(getattr(inotify_sysctl(kernel), name))
    return show


def _set_inotify(name):
    """proc_dointvec_minmax with a floor of 0."""
    def store(kernel, text: str) -> None:
        from glasskernel.fs.notify.inotify.inotify_user import inotify_sysctl
        setattr(inotify_sysctl(kernel), name, parse_int(text, 0, INT_MAX))
    return store


def _nr_open(kernel):
    from glasskernel.fs.file import file_sysctl
    return str(file_sysctl.nr_open)


def _set_nr_open(kernel, text: str) -> None:
    """proc_dointvec_minmax between a word's worth of descriptors and INT_MAX's words."""
    from glasskernel.fs.file import FileSysctl, file_sysctl
    file_sysctl.nr_open = parse_int(text, FileSysctl.NR_OPEN_MIN, FileSysctl.NR_OPEN_MAX)


SYSCTL_TABLES: dict[str, list[CtlTable]] = {
    "fs": [
        CtlTable("lease-break-time", 0o644, _lease("lease_break_time"),
                 _set_lease("lease_break_time")),
        CtlTable("leases-enable", 0o644, _lease("leases_enable"), _set_lease("leases_enable")),
        CtlTable("nr_open", 0o644, _nr_open, _set_nr_open),
        CtlTable("pipe-max-size", 0o644, _pipe("pipe_max_size")),
        CtlTable("pipe-user-pages-hard", 0o644, _pipe("pipe_user_pages_hard")),
        CtlTable("pipe-user-pages-soft", 0o644, _pipe("pipe_user_pages_soft")),
    ],
    "fs/inotify": [
        CtlTable("max_queued_events", 0o644, _inotify("max_queued_events"),
                 _set_inotify("max_queued_events")),
        CtlTable("max_user_instances", 0o644, _inotify("max_user_instances"),
                 _set_inotify("max_user_instances")),
        CtlTable("max_user_watches", 0o644, _inotify("max_user_watches"),
                 _set_inotify("max_user_watches")),
    ],
    "vm": [
        CtlTable("max_map_count", 0o644, _vm("max_map_count"),
                 _set_vm("max_map_count", 0, 2**31 - 1)),
        CtlTable("overcommit_memory", 0o644, _vm("overcommit_memory"),
                 _set_vm("overcommit_memory", 0, 2)),
    ],
    "kernel": [
        CtlTable("core_pattern", 0o644, lambda k: k.core_pattern,
                 _set_core_pattern),
        CtlTable("core_uses_pid", 0o644, lambda k: str(k.core_uses_pid),
                 lambda k, text: setattr(k, "core_uses_pid", parse_int(text, -2**31, 2**31 - 1))),
        CtlTable("pid_max", 0o644, lambda k: str(_init_pid_ns(k).pid_max), _set_pid_max),
        CtlTable("tainted", 0o644, lambda k: str(k.tainted), _add_taint),
        CtlTable("threads-max", 0o644, lambda k: str(k.max_tasks), _set_threads_max),
        CtlTable("hostname", 0o644, _uts("nodename"), _set_uts("nodename")),
        CtlTable("domainname", 0o644, _uts("domainname"), _set_uts("domainname")),
        CtlTable("osrelease", 0o444, _uts("release")),
        CtlTable("ostype", 0o444, _uts("sysname")),
        # This kernel never randomises a layout: as a system booted with norandmaps.
        CtlTable("randomize_va_space", 0o644, lambda k: "0"),
        CtlTable("version", 0o444, _uts("version")),
    ],
}

from glasskernel.ipc.ipc_sysctl import ipc_kern_table  # noqa: E402 (it builds CtlTables)
SYSCTL_TABLES["kernel"] += ipc_kern_table()


def _vm_hugetlb_and_caches() -> list:
    """The huge page pool's entries (mm/hugetlb.py), drop_caches and compact_memory."""
    from glasskernel.fs.drop_caches import drop_caches_sysctl_handler, sysctl_compaction_handler
    from glasskernel.mm.hugetlb import hugetlb_vm_sysctls
    return hugetlb_vm_sysctls(CtlTable) + [
        CtlTable("drop_caches", 0o200, lambda k: "0", drop_caches_sysctl_handler),
        CtlTable("compact_memory", 0o200, lambda k: "0", sysctl_compaction_handler),
    ]


SYSCTL_TABLES["vm"] += _vm_hugetlb_and_caches()


def _net_tables(kernel):
    from glasskernel.net.core.net_namespace import net_sysctl_table
    return net_sysctl_table(kernel)


SYSCTL_TABLES["net"] = _net_tables


class SysctlFile(SeqFile):
    """An open /proc/sys file: reads show the value, a write at offset 0 stores one."""

    def __init__(self, dentry, flags: int, task, table: CtlTable):
        super().__init__(dentry, flags, task, lambda t: (table.show(t.kernel) + "\n").encode())
        self._table = table

    def write_at(self, data: bytes, pos: int) -> int:
        """proc_sys_call_handler: EINVAL without a store; later-offset writes are ignored."""
        if self._table.store is None:
            raise KernelError(Errno.EINVAL)
        if pos == 0 and data:
            self._table.store(self._task.kernel, data.decode("utf-8", "replace"))
        return len(data)


class SysctlEntry(SimpleFile):
    """The dentry of one table entry."""

    def __init__(self, sb, parent, table: CtlTable):
        super().__init__(sb, table.procname, parent, render=None, mode=0o100000 | table.mode)
        self._table = table

    def permission(self, mask: int, cred=None) -> None:
        """test_perm: the table's mode decides (root may write a 0644 entry). Root gets
        the owner's bits and nothing more: a 0200 entry (drop_caches) is write-only even
        for root, whatever its capabilities."""
        if cred is not None and cred.euid == 0 and mask & 7 & ~(self._table.mode >> 6):
            raise KernelError(Errno.EACCES)
        super(SimpleFile, self).permission(mask, cred)

    def open(self, task, flags: int):
        return SysctlFile(self, flags, task, self._table)


@dataclass(frozen=True, slots=True)
class CtlDir:
    """A directory inside a table (net/ipv4/conf/lo ...): its entries, computed per reader
    (a network namespace's devices and values)."""
    procname: str
    entries: Callable                     # (kernel) -> list of CtlTable / CtlDir



class SysctlDir(SimpleDir):
    """/proc/sys/PATH: the entries of one table; its CtlDirs (computed per reader) and the
    tables registered below its path ("fs/inotify" under "fs") are subdirectories."""

    def __init__(self, sb, path, parent, tables):
        super().__init__(sb, path.rsplit("/", 1)[-1], parent)
        self.table_path = path
        self._tables = tables

    def children(self, task) -> dict:
        tables = self._tables(task.kernel) if callable(self._tables) else self._tables
        out = {}
        for t in tables:
            if isinstance(t, CtlDir):
                out[t.procname] = (lambda parent, t=t: SysctlDir(
                    self.sb, f"{self.table_path}/{t.procname}", parent, t.entries))
            else:
                out[t.procname] = (lambda parent, t=t: SysctlEntry(self.sb, parent, t))
        prefix = self.table_path + "/"
        for path, tables in SYSCTL_TABLES.items():      # a table below this one's
            if path.startswith(prefix) and "/" not in path[len(prefix):]:
                out[path[len(prefix):]] = (lambda parent, path=path, tables=tables:
                                           SysctlDir(self.sb, path, parent, tables))
        return out


class ProcSys(SimpleDir):
    """/proc/sys: one directory per table."""

    def children(self, task) -> dict:
        return {name: (lambda parent, name=name, tables=tables:
                       SysctlDir(self.sb, name, parent, tables))
                for name, tables in SYSCTL_TABLES.items() if "/" not in name}


def proc_sys_entry(sb):
    """The factory of /proc/sys."""
    return lambda parent: ProcSys(sb, "sys", parent)
