"""/proc itself (fs/proc/root.c, fs/proc/self.c, fs/proc/thread_self.c).

Lists one directory per thread-group leader the reader can see in its pid namespace
(proc_pid_readdir; the idle task is never listed), named by the reader's numbers, plus
``self``, ``thread-self``, the system-wide files of sysinfo.py and ``sys`` (proc_sysctl.py).
Any visible thread id can be looked up, listed or not.
"""
from glasskernel.fs.locks_fcntl import proc_locks
from glasskernel.fs.libfs import SimpleDir, SimpleFile, SimpleLink
from glasskernel.fs.proc import sysinfo
from glasskernel.fs.proc.base import pid_dir
from glasskernel.fs.proc.proc_sysctl import proc_sys_entry
from glasskernel.fs.proc.internal import (find_task_by_vpid, pid_vnr, tgid_vnr, viewer_of,
                                          visible_leaders)
from glasskernel.uapi.errno import Errno, KernelError

_GLOBAL_FILES = {
    "uptime": sysinfo.proc_uptime,
    "loadavg": sysinfo.proc_loadavg,
    "meminfo": sysinfo.proc_meminfo,
    "stat": sysinfo.proc_stat,
    "version": sysinfo.proc_version,
    "cpuinfo": sysinfo.proc_cpuinfo,
    "filesystems": sysinfo.proc_filesystems,
    "devices": sysinfo.proc_devices,
    "swaps": sysinfo.proc_swaps,
    "vmstat": sysinfo.proc_vmstat,
    "locks": lambda viewer: proc_locks(viewer),
}


def _self_text(task) -> str:
    """proc_self_get_link: our tgid as we see it; ENOENT if we have no number here."""
    tgid = tgid_vnr(task, task)
    if not tgid:
        raise KernelError(Errno.ENOENT)
    return str(tgid)


def _thread_self_text(task) -> str:
    tgid, pid = tgid_vnr(task, task), pid_vnr(task, task)
    if not tgid or not pid:
        raise KernelError(Errno.ENOENT)
    return f"{tgid}/task/{pid}"


class ProcRoot(SimpleDir):
    """The root of procfs."""

    def named_entry(self, name: str):
        """The factory of a name that is not a pid (None if there is none)."""
        sb = self.sb
        if name in _GLOBAL_FILES:
            return _global_file(sb, name, _GLOBAL_FILES[name])
        if name == "sys":
            return proc_sys_entry(sb)
        if name == "net":
            from glasskernel.net.core.net_procfs import proc_net_entry
            return proc_net_entry(sb)
        if name == "sysvipc":
            from glasskernel.ipc.proc import proc_sysvipc_entry
            return proc_sysvipc_entry(sb)
        if name == "self":
            return lambda parent: SimpleLink(sb, "self", parent, _self_text)
        if name == "thread-self":
            return lambda parent: SimpleLink(sb, "thread-self", parent, _thread_self_text)
        if name == "mounts":          # proc_symlink("mounts", NULL, "self/mounts")
            return lambda parent: SimpleLink(sb, "mounts", parent, lambda t: "self/mounts")
        return None

    def named_children(self) -> dict:
        """The entries that are not pids: global files, self and thread-self."""
        return {name: self.named_entry(name)
                for name in (*_GLOBAL_FILES, "mounts", "self", "thread-self", "sys", "sysvipc",
                                        "net")}

    def children(self, task) -> dict:
        entries = self.named_children()
        for nr, target in visible_leaders(viewer_of(task)):
            entries[str(nr)] = pid_dir(self.sb, target.pid, name=str(nr), kernel=task.kernel)
        return entries

    def entry(self, task, name: str):
        """proc_pid_lookup: any live pid of the reader's namespace, threads included;
        other names without listing the pids (proc_root_lookup)."""
        if name.isdigit() and (name == "0" or not name.startswith("0")):
            target = find_task_by_vpid(viewer_of(task), int(name))
            if target is None or target.pid == 0:
                return None
            return pid_dir(self.sb, target.pid, name=name, kernel=task.kernel)
        return self.named_entry(name)


def _global_file(sb, name, render):
    return lambda parent: SimpleFile(sb, name, parent, lambda t: render(viewer_of(t)))
