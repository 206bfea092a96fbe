"""Helpers shared by the procfs files (the role of fs/proc/internal.h).

Every number procfs shows is a number *as the reader sees it*: the reader is
``kernel.current`` (the task doing the read), and tasks, thread groups, process groups and
sessions are translated into its pid namespace (pid_nr_ns with the reader's namespace).
Tasks without a number there are invisible. The kernel's own tables are keyed by root
numbers, so a /proc/<n> dentry remembers the task's root pid.
"""
from glasskernel.fs.libfs import SimpleDir
from glasskernel.uapi.errno import Errno, KernelError


def all_tasks(task) -> dict:
    """pid -> task for every task the kernel knows; just ``task`` outside a full kernel."""
    return task.kernel.tasks or {task.pid: task}


def task_alive(target) -> bool:
    """pid_alive: not yet released (a zombie still counts, its /proc entry stays)."""
    from glasskernel.kernel.task import EXIT_DEAD
    return target.exit_state != EXIT_DEAD


def get_proc_task(task, pid: int):
    """The task with root pid ``pid``; ENOENT if it has been released (get_proc_task)."""
    target = all_tasks(task).get(pid)
    if target is None or not task_alive(target):
        raise KernelError(Errno.ENOENT)
    return target


# ----- the reader and its pid namespace -------------------------------------------------------

def viewer_of(task):
    """The task reading /proc: kernel.current, else the task that opened the file."""
    current = task.kernel.current
    if current is not None and current.pid_links:
        return current
    return task


def pid_ns_of(task):
    """task_active_pid_ns, or None for a task that has no pid links (root numbering)."""
    links = task.pid_links
    return links[-1][0] if links else None


def ns_level(ns) -> int:
    return getattr(ns, "level", 0) if ns is not None else 0


def _nr_ns(links, root_nr: int, ns) -> int:
    """pid_nr_ns over a list of (namespace, number) links."""
    if ns is None:
        return root_nr
    if not links:
        return root_nr if ns_level(ns) == 0 else 0
    for level_ns, nr in links:
        if level_ns is ns:
            return nr
    return 0


def _leader(task):
    if task.pid == task.tgid:
        return task
    return all_tasks(task).get(task.tgid, task)


def pid_nr_ns(task, ns) -> int:
    """task's thread id in namespace ns (0: not visible there)."""
    return _nr_ns(task.pid_links, task.pid, ns)


def tgid_nr_ns(task, ns) -> int:
    """task's process id in namespace ns."""
    leader = _leader(task)
    links = leader.pid_links or task.pid_links
    return _nr_ns(links, task.tgid, ns)


def group_nr_ns(task, root_id: int, ns) -> int:
    """A process-group or session id (kept as a root number) in namespace ns."""
    if not root_id:
        return 0
    leader = all_tasks(task).get(root_id)
    if leader is None:
        return root_id if ns_level(ns) == 0 else 0
    return tgid_nr_ns(leader, ns)


def pid_vnr(task, viewer) -> int:
    return pid_nr_ns(task, pid_ns_of(viewer))


def tgid_vnr(task, viewer) -> int:
    return tgid_nr_ns(task, pid_ns_of(viewer))


def find_task_by_vpid(viewer, nr: int):
    """The live task whose number in viewer's namespace is nr, or None."""
    ns = pid_ns_of(viewer)
    tasks = all_tasks(viewer)
    if ns is None or ns_level(ns) == 0:
        target = tasks.get(nr)
        if target is not None and pid_nr_ns(target, ns) == nr and task_alive(target):
            return target
        if ns is None:
            return None
    for target in tasks.values():
        if pid_nr_ns(target, ns) == nr and task_alive(target):
            return target
    return None


def visible_leaders(viewer) -> list:
    """(number as viewer sees it, task) of each thread-group leader visible to viewer."""
    ns = pid_ns_of(viewer)
    found = []
    for target in all_tasks(viewer).values():
        if target.pid != target.tgid or target.pid == 0 or not task_alive(target):
            continue
        nr = pid_nr_ns(target, ns)
        if nr > 0:
            found.append((nr, target))
    found.sort(key=lambda item: item[0])
    return found


class PidEntryDir(SimpleDir):
    """A procfs directory that belongs to the task ``pid`` (/proc/<pid>, its task/, fd/).

    ``pid`` is the task's root pid (the key of kernel.tasks); the dentry's name is the
    number the reader used.
    """

    def __init__(self, sb, name, parent, pid: int):
        super().__init__(sb, name, parent)
        self.pid = pid
