"""Process ids and pid namespaces (kernel/pid.c, kernel/pid_namespace.c).

A task has one number in every pid namespace from the root down to the one it was born
in (``task.pid_links``: list of (namespace, number), root first). Syscalls speak the
caller's language: ``pid_vnr`` gives a task's number as seen from the caller's namespace,
0 if the task is not visible there. ``task.pid``/``task.tgid`` are root-namespace numbers,
which is what the kernel uses internally (and what the tasks table is keyed by).
"""
import itertools
from dataclasses import dataclass, field

from glasskernel.uapi.errno import Errno, KernelError

PID_MAX_DEFAULT = 0x8000
PROC_PID_INIT_INO = 0xEFFFFFFC      # the initial pid namespace's inode number (nsfs)
_next_ns_inum = itertools.count(0xF0000000)   # proc_alloc_inum: the numbers of later ones
PID_MAX_LIMIT = 4 * 1024 * 1024     # 64-bit: the most /proc/sys/kernel/pid_max accepts
RESERVED_PIDS = 300


@dataclass(eq=False)
class PidNamespace:
    """struct pid_namespace: a numbering of tasks, nested in its parent's."""

    level: int = 0
    parent: "PidNamespace | None" = None
    last_pid: int = 0
    child_reaper: object = None         # the namespace's init (pid 1), reaper of orphans
    used: set = field(default_factory=set)
    pid_max: int = PID_MAX_DEFAULT      # read in the initial namespace: one pid_max (6.1)
    inum: int = 0                       # ns_common.inum: /proc/PID/ns/pid shows pid:[inum]

    def __post_init__(self):
        if not self.inum:
            self.inum = PROC_PID_INIT_INO if self.parent is None else next(_next_ns_inum)

    def alloc_nr(self) -> int:
        """Next free number below pid_max, wrapping to RESERVED_PIDS as Linux does."""
        init_ns = self
        while init_ns.parent is not None:
            init_ns = init_ns.parent
        pid_max = init_ns.pid_max
        nr = self.last_pid
        for _ in range(pid_max):
            nr += 1
            if nr >= pid_max:
                nr = RESERVED_PIDS if self.level == 0 or self.child_reaper else 1
            if nr not in self.used:
                self.used.add(nr)
                self.last_pid = nr
                return nr
        raise KernelError(Errno.EAGAIN)

    def ancestry(self) -> list:
        chain, ns = [], self
        while ns is not None:
            chain.append(ns)
            ns = ns.parent
        return list(reversed(chain))


@dataclass(eq=False)
class Nsproxy:
    """struct nsproxy, the part we model: the pid namespace new children are born into,
    and the IPC namespace (None: the run's first one, ipc/namespace.py makes it)."""

    pid_ns_for_children: PidNamespace
    ipc_ns: object = None
    net_ns: object = None       # net/core/net_namespace.py Net (None: the run's first)


def alloc_pid(ns: PidNamespace) -> list:
    """Numbers for a new task in ns and every ancestor namespace (root first)."""
    links = []
    try:
        for level_ns in ns.ancestry():
            links.append((level_ns, level_ns.alloc_nr()))
    except KernelError:
        free_pid(links)
        raise
    return links


def free_pid(links: list) -> None:
    for ns, nr in links:
        ns.used.discard(nr)


def task_active_pid_ns(task) -> PidNamespace:
    """The namespace a task was born in (its deepest level)."""
    return task.pid_links[-1][0]


def pid_nr_ns(links: list, ns: PidNamespace) -> int:
    for level_ns, nr in links:
        if level_ns is ns:
            return nr
    return 0


def _links_of(task, tgid: bool) -> list:
    if tgid and not task.is_leader:
        leader = task.kernel.tasks.get(task.tgid)
        if leader is not None:
            return leader.pid_links
    return task.pid_links


def task_pid_vnr(task, viewer) -> int:
    """task's thread id as viewer sees it."""
    return pid_nr_ns(task.pid_links, task_active_pid_ns(viewer))


def task_tgid_vnr(task, viewer) -> int:
    """task's process id as viewer sees it."""
    return pid_nr_ns(_links_of(task, True), task_active_pid_ns(viewer))


def find_task_by_vpid(viewer, nr: int):
    """The task whose number in viewer's namespace is nr (find_task_by_vpid)."""
    ns = task_active_pid_ns(viewer)
    for task in viewer.kernel.tasks.values():
        if pid_nr_ns(task.pid_links, ns) == nr:
            return task
    return None


def pgrp_vnr(viewer, root_pgid: int) -> int:
    """A process-group id (kept as a root number) translated for viewer."""
    leader = viewer.kernel.tasks.get(root_pgid)
    if leader is None:
        return root_pgid if task_active_pid_ns(viewer).level == 0 else 0
    return task_tgid_vnr(leader, viewer)
