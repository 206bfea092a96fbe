"""/proc itself (fs/proc/root.c, fs/proc/self.c, fs/proc/thread_self.c).

Lists one directory per thread-group leader in ``task.kernel.tasks``, plus ``self`` and
``thread-self``; any pid (threads too) can be looked up.
"""
from glasskernel.fs.libfs import SimpleDir, SimpleLink
from glasskernel.fs.proc.base import PidDir, pid_dir
from glasskernel.fs.proc.internal import all_tasks


class ProcRoot(SimpleDir):
    """The root of procfs."""

    def children(self, task) -> dict:
        sb = self.sb
        entries = {
            "self": lambda parent: SimpleLink(sb, "self", parent,
                                              lambda t: str(t.tgid)),
            "thread-self": lambda parent: SimpleLink(sb, "thread-self", parent,
                                                     lambda t: f"{t.tgid}/task/{t.pid}"),
        }
        for pid in sorted(_tasks(task)):
            entries[str(pid)] = pid_dir(sb, pid)
        return entries

    def lookup(self, task, name: str):
        """proc_pid_lookup: any live pid, listed or not (threads are not listed)."""
        if name.isdigit() and int(name) in all_tasks(task):
            return PidDir(self.sb, name, self, int(name))
        return super().lookup(task, name)


def _tasks(task) -> list:
    """Thread-group leaders: what readdir of /proc shows (proc_pid_readdir)."""
    return [pid for pid, t in all_tasks(task).items() if t.pid == t.tgid]
