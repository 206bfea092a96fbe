"""/proc/<pid>/ns (fs/proc/namespaces.c): a magic link per namespace of the task.

readlink shows ``TYPE:[INODE]``; following the link reaches the namespace's inode in nsfs,
whose inode number is that INODE (stat compares namespaces this way). The pid and IPC
namespaces are modelled: ``ipc``, ``pid`` (the task's own) and ``pid_for_children``.
"""
import os

from glasskernel.fs.file_table import File
from glasskernel.fs.kstat import StatResult
from glasskernel.fs.libfs import SimpleDentry, SimpleLink, SyntheticFs
from glasskernel.fs.proc.internal import PidEntryDir, get_proc_task
from glasskernel.uapi.errno import Errno, KernelError

NSFS = SyntheticFs("nsfs", os.makedev(0, 4), 4)


def _pid_ns(target):
    if not target.pid_links:
        raise KernelError(Errno.ENOENT)          # a task not (or no longer) numbered
    return target.pid_links[-1][0]


def _pid_ns_for_children(target):
    if target.nsproxy is None:
        raise KernelError(Errno.ENOENT)          # exited: no nsproxy any more
    return target.nsproxy.pid_ns_for_children


def _ipc_ns(target):
    if target.nsproxy is None:
        raise KernelError(Errno.ENOENT)
    from glasskernel.ipc.namespace import ipc_ns_of
    return ipc_ns_of(target)


NS_ENTRIES = {"ipc": _ipc_ns, "pid": _pid_ns, "pid_for_children": _pid_ns_for_children}


def _net_ns(target):
    """The task's network namespace (net/core/net_namespace.py)."""
    from glasskernel.net.core.net_namespace import sock_net_of
    return sock_net_of(target)


NS_ENTRIES["net"] = _net_ns


class NsInode(SimpleDentry):
    """A namespace as nsfs shows it: a read-only regular file numbered by the namespace."""

    MODE = 0o100444

    def __init__(self, name: str, ns):
        super().__init__(NSFS, name, None)
        self.path = name                         # what /proc/self/fd/N of it reads
        self.ns = ns

    def stat(self):
        return StatResult.synthetic(NSFS.dev, self.ns.inum, self.MODE, when=NSFS.boot)

    def open(self, task, flags: int):
        return File(self, flags)                 # read and write: EINVAL, as ns_file_operations


class NsDir(PidEntryDir):
    """/proc/<pid>/ns."""

    MODE = 0o040511

    def children(self, task) -> dict:
        get_proc_task(task, self.pid)
        return {name: self._link(name, get) for name, get in NS_ENTRIES.items()}

    def _link(self, name, get):
        pid, sb = self.pid, self.sb

        def target(t):
            ns = get(get_proc_task(t, pid))
            return NsInode(f"{name.split('_')[0]}:[{ns.inum}]", ns)
        return lambda parent: SimpleLink(sb, name, parent, target,
                                         lambda t: target(t).name)

