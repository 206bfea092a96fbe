"""Process ids and pid namespaces (kernel/pid.c, kernel/pid_namespace.c).

A task has one number in every pid namespace from the root down to the one it was born
in (``task.pid_links``: list of (namespace, number), root first). Syscalls speak the
caller's language: ``pid_vnr`` gives a task's number as seen from the caller's namespace,
0 if the task is not visible there. ``task.pid``/``task.tgid`` are root-namespace numbers,
which is what the kernel uses internally (and what the tasks table is keyed by).
"""
from dataclasses import dataclass, field

from glasskernel.fs import inode_numbers
from glasskernel.kernel.trace.tracepoint import traced
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.sched import CLONE_NEWPID

PID_MAX_DEFAULT = 0x8000
PROC_PID_INIT_INO = 0xEFFFFFFC      # the initial pid namespace's inode number (nsfs)
inode_numbers.register("ns", 0xF0000000)       # proc_alloc_inum: the numbers of later ones
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
    user_ns: object = None              # the owning user namespace (None: the initial one)

    def __post_init__(self):
        if not self.inum:
            self.inum = PROC_PID_INIT_INO if self.parent is None else inode_numbers.next_ino("ns")

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


MAX_PID_NS_LEVEL = 32


def ns_alloc_inum() -> int:
    """proc_alloc_inum: a namespace's inode number in nsfs (the initial ones have fixed
    numbers below this range)."""
    return inode_numbers.next_ino("ns")


def copy_pid_ns(task, flags: int, user_ns, old: PidNamespace) -> PidNamespace:
    """CLONE_NEWPID: a child of old, owned by user_ns. Only from the task's own active
    namespace (EINVAL after an unshare already set a different one for children), only
    under the owner of old (EINVAL), at most MAX_PID_NS_LEVEL deep (ENOSPC)."""
    from glasskernel.kernel.user_namespace import in_userns
    if not flags & CLONE_NEWPID:
        return old
    if task_active_pid_ns(task) is not old:
        raise KernelError(Errno.EINVAL)
    if not in_userns(pid_ns_user_ns(old), user_ns):
        raise KernelError(Errno.EINVAL)
    if old.level + 1 > MAX_PID_NS_LEVEL:
        raise KernelError(Errno.ENOSPC)
    return PidNamespace(level=old.level + 1, parent=old, user_ns=user_ns)


def pidns_install(nsset, new: PidNamespace) -> None:
    """setns into a pid namespace: for the children only, which must stay in our own
    active namespace or below it (EINVAL); CAP_SYS_ADMIN over both owners (EPERM)."""
    from glasskernel.kernel.capability import ns_capable
    from glasskernel.uapi.capability import CAP_SYS_ADMIN
    task = nsset.task
    if not ns_capable(task, pid_ns_user_ns(new), CAP_SYS_ADMIN) or \
            not nsset.capable_in_own(CAP_SYS_ADMIN):
        raise KernelError(Errno.EPERM)
    active = task_active_pid_ns(task)
    if new.level < active.level:
        raise KernelError(Errno.EINVAL)
    ancestor = new
    while ancestor.level > active.level:
        ancestor = ancestor.parent
    if ancestor is not active:
        raise KernelError(Errno.EINVAL)
    nsset.nsproxy.pid_ns_for_children = new


def pid_ns_user_ns(ns: PidNamespace):
    from glasskernel.kernel.user_namespace import init_user_ns
    return ns.user_ns if ns.user_ns is not None else init_user_ns


@traced(ret=lambda links: {"ret": links[0][1]})
def alloc_pid(ns: PidNamespace, set_tid: tuple = (), current=None) -> list:
    """Numbers for a new task in ns and every ancestor namespace (root first). clone3's
    set_tid chooses them from the deepest level up: each in 1..pid_max-1 and, in a
    namespace without an init yet, 1 (EINVAL); CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE
    over the namespace's owner (EPERM); not taken (EEXIST)."""
    if len(set_tid) > ns.level + 1:
        raise KernelError(Errno.EINVAL)
    links = []
    try:
        for level_ns in ns.ancestry():
            index = ns.level - level_ns.level
            if index < len(set_tid):
                links.append((level_ns, _alloc_chosen(level_ns, set_tid[index], current)))
            else:
                links.append((level_ns, level_ns.alloc_nr()))
    except KernelError:
        free_pid(links)
        raise
    return links


def _alloc_chosen(ns: PidNamespace, tid: int, current) -> int:
    from glasskernel.kernel.capability import ns_capable
    from glasskernel.uapi.capability import CAP_CHECKPOINT_RESTORE, CAP_SYS_ADMIN
    pid_max = ns.ancestry()[0].pid_max
    if tid < 1 or tid >= pid_max or (tid != 1 and ns.child_reaper is None):
        raise KernelError(Errno.EINVAL)
    owner = pid_ns_user_ns(ns)
    if current is None or not (ns_capable(current, owner, CAP_SYS_ADMIN)
                               or ns_capable(current, owner, CAP_CHECKPOINT_RESTORE)):
        raise KernelError(Errno.EPERM)
    if tid in ns.used:
        raise KernelError(Errno.EEXIST)
    ns.used.add(tid)
    return tid


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
