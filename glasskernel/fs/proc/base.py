"""/proc/<pid>: per-process entries (fs/proc/base.c).

exe, cwd and root are *magic links*: following them jumps to a dentry of the guest tree
(proc_exe_link, proc_cwd_link, proc_root_link), never to a host path.
"""
import dataclasses

from glasskernel.fs.libfs import SimpleFile, SimpleLink
from glasskernel.fs.proc import array, task_mmu
from glasskernel.fs.proc.fd import FdDir
from glasskernel.fs.proc.internal import (PidEntryDir, all_tasks, get_proc_task, pid_vnr,
                                          task_alive, viewer_of)
from glasskernel.uapi.errno import Errno, KernelError


class PidDir(PidEntryDir):
    """/proc/<pid> (proc_tgid_base_operations) or, with ``whole=False``, /proc/<pid>/task/<tid>
    (proc_tid_base_operations): the entries this kernel provides.

    ``pid`` is the root pid of the task; the directory belongs to the task's effective
    user, as proc_pid_make_inode/task_dump_owner make it.
    """

    def __init__(self, sb, name, parent, pid: int, whole: bool = True, kernel=None):
        super().__init__(sb, name, parent, pid)
        self.whole = whole
        self.kernel = kernel

    def stat(self):
        st = super().stat()
        tasks = getattr(self.kernel, "tasks", None) or {}
        target = tasks.get(self.pid)
        cred = getattr(target, "cred", None)
        if cred is not None and (target.dumpable or target.kthread):
            st = dataclasses.replace(st, st_uid=cred.euid, st_gid=cred.egid)
        return st

    def children(self, task) -> dict:
        sb, pid = self.sb, self.pid
        get_proc_task(task, pid)                # ENOENT once the task has been released
        files = {
            "cmdline": array.proc_pid_cmdline,
            "environ": array.proc_pid_environ,
            "comm": array.proc_pid_comm,
            "status": array.proc_pid_status,
            "stat": array.proc_tgid_stat if self.whole else array.proc_tid_stat,
            "statm": task_mmu.proc_pid_statm,
            "maps": task_mmu.proc_pid_maps,
        }
        modes = {"environ": 0o100400}
        entries = {name: _file(sb, name, pid, render, modes.get(name, 0o100444))
                   for name, render in files.items()}
        entries["exe"] = _magic(sb, "exe", pid, _exe_target, _exe_text)
        entries["cwd"] = _magic(sb, "cwd", pid, _fs_attr("cwd", lambda d: d),
                                _fs_attr("cwd", lambda d: d.path))
        entries["root"] = _magic(sb, "root", pid, _fs_attr("root", lambda d: d),
                                 _fs_attr("root", lambda d: d.path))
        entries["fd"] = lambda parent: FdDir(sb, "fd", parent, pid)
        if self.whole:
            entries["task"] = lambda parent: TaskDir(sb, "task", parent, pid)
        return dict(sorted(entries.items()))


class TaskDir(PidEntryDir):
    """/proc/<pid>/task: one directory per thread of the group, named as the reader sees it."""

    def children(self, task) -> dict:
        leader = get_proc_task(task, self.pid)
        viewer = viewer_of(task)
        threads = []
        for tid, t in all_tasks(task).items():
            if t.tgid != leader.tgid or not task_alive(t):
                continue
            nr = pid_vnr(t, viewer)
            if nr > 0:
                threads.append((nr, tid))
        return {str(nr): pid_dir(self.sb, tid, name=str(nr), whole=False, kernel=task.kernel)
                for nr, tid in sorted(threads)}


def pid_dir(sb, pid: int, name: str | None = None, whole: bool = True, kernel=None):
    """The directory entry factory for /proc/<n> (or /proc/<n>/task/<tid>); pid is a root pid."""
    shown = str(pid) if name is None else name
    return lambda parent: PidDir(sb, shown, parent, pid, whole, kernel)


def _file(sb, name, pid, render, mode=0o100444):
    return lambda parent: SimpleFile(sb, name, parent,
                                     lambda t: render(get_proc_task(t, pid)), mode=mode)


def _fs_attr(attr: str, pick):
    """cwd/root of the task's fs_struct; ENOENT for a task without one (zombie, kthread)."""
    def get(target):
        fs = target.fs
        if fs is None:
            raise KernelError(Errno.ENOENT)
        return pick(getattr(fs, attr))
    return get


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
