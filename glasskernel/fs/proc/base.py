"""/proc/<pid>: per-process entries (fs/proc/base.c).

exe, cwd and root are *magic links*: following them jumps to a dentry of the guest tree
(proc_exe_link, proc_cwd_link, proc_root_link), never to a host path.
"""
from glasskernel.fs.libfs import SimpleFile, SimpleLink
from glasskernel.fs.proc import array
from glasskernel.fs.proc.fd import FdDir
from glasskernel.fs.proc.internal import PidEntryDir, all_tasks, get_proc_task
from glasskernel.uapi.errno import Errno, KernelError


class PidDir(PidEntryDir):
    """/proc/<pid> (proc_tgid_base_operations, the entries this kernel provides)."""

    def children(self, task) -> dict:
        sb, pid = self.sb, self.pid
        files = {
            "cmdline": array.proc_pid_cmdline,
            "environ": array.proc_pid_environ,
            "comm": array.proc_pid_comm,
            "status": array.proc_pid_status,
            "stat": array.proc_pid_stat,
            "statm": array.proc_pid_statm,
        }
        entries = {name: _file(sb, name, pid, render) for name, render in files.items()}
        entries["exe"] = _magic(sb, "exe", pid, _exe_target, _exe_text)
        entries["cwd"] = _magic(sb, "cwd", pid, lambda t: t.fs.cwd, lambda t: t.fs.cwd.path)
        entries["root"] = _magic(sb, "root", pid, lambda t: t.fs.root,
                                 lambda t: t.fs.root.path)
        entries["fd"] = lambda parent: FdDir(sb, "fd", parent, pid)
        entries["task"] = lambda parent: TaskDir(sb, "task", parent, pid)
        return entries


class TaskDir(PidEntryDir):
    """/proc/<pid>/task: one directory per thread of the group."""

    def children(self, task) -> dict:
        leader = get_proc_task(task, self.pid)
        tids = [tid for tid, t in all_tasks(task).items() if t.tgid == leader.tgid]
        return {str(tid): pid_dir(self.sb, tid) for tid in sorted(tids)}


def pid_dir(sb, pid: int):
    """The directory entry factory for /proc/<pid> (or /proc/<pid>/task/<tid>)."""
    return lambda parent: PidDir(sb, str(pid), parent, pid)


def _file(sb, name, pid, render):
    return lambda parent: SimpleFile(sb, name, parent,
                                     lambda t: render(get_proc_task(t, pid)))


def _magic(sb, name, pid, target, text):
    """A magic link of the task ``pid``: jump target and readlink text are computed."""
    return lambda parent: SimpleLink(sb, name, parent,
                                     lambda t: target(get_proc_task(t, pid)),
                                     lambda t: text(get_proc_task(t, pid)))


def _exe_text(target) -> str:
    path = getattr(target.mm, "exe_path", None) if target.mm is not None else None
    if not path:
        raise KernelError(Errno.ENOENT)
    return path


def _exe_target(target):
    """proc_exe_link: the running executable, looked up again in the guest tree."""
    from glasskernel.fs.namei import Nameidata, walk
    nd = Nameidata(target)
    return walk(nd, nd.root, _exe_text(target), follow_last=True)
