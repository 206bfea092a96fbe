"""/proc/<pid>: per-process entries (fs/proc/base.c).

exe, cwd and root are *magic links*: following them jumps to a dentry of the guest tree
(proc_exe_link, proc_cwd_link, proc_root_link), never to a host path.
"""
import dataclasses

from glasskernel.fs.proc_namespace import MountsDentry, proc_mountinfo, proc_mounts
from glasskernel.fs.libfs import SimpleFile, SimpleLink, StoreFile
from glasskernel.fs.proc import array, base_info, task_mmu
from glasskernel.fs.proc.fd import FdDir, FdInfoDir
from glasskernel.fs.proc.namespaces import NsDir
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
        tasks = self.kernel.tasks
        target = tasks.get(self.pid)
        cred = target.cred if target is not None else None
        if cred is not None and (target.dumpable or target.kthread):
            st = dataclasses.replace(st, st_uid=cred.euid, st_gid=cred.egid)
        subdirs = sum(1 for d in _PID_SUBDIRS if self.whole or d != "task")
        return dataclasses.replace(st, st_nlink=2 + subdirs)      # pid_entry_nlink

    def pident(self, name: str):
        """The factory of one entry (None if there is no such name): a lookup builds just
        the entry it needs (proc_pident_lookup), a listing all of them."""
        sb, pid = self.sb, self.pid
        if name in _PID_FILES:
            render, mode = _PID_FILES[name]
            if name == "stat" and not self.whole:
                render = array.proc_tid_stat
            return _file(sb, name, pid, render, mode)
        if name == "comm":
            return lambda parent: StoreFile(
                sb, name, parent, lambda t: array.proc_pid_comm(get_proc_task(t, pid)),
                lambda t, data: comm_write(t, get_proc_task(t, pid), data))
        if name == "oom_score_adj":
            return lambda parent: StoreFile(
                sb, name, parent, lambda t: oom_score_adj_read(get_proc_task(t, pid)),
                lambda t, data: oom_score_adj_write(t, get_proc_task(t, pid), data))
        if name in ("mounts", "mountinfo"):
            render = proc_mounts if name == "mounts" else proc_mountinfo
            return lambda parent: MountsDentry(sb, name, parent,
                                               lambda t: render(get_proc_task(t, pid)))
        if name == "coredump_filter":
            return lambda parent: StoreFile(
                sb, name, parent, lambda t: coredump_filter_read(get_proc_task(t, pid)),
                lambda t, data: coredump_filter_write(get_proc_task(t, pid), data))
        if name == "exe":
            return _magic(sb, "exe", pid, _exe_target, _exe_text)
        if name in ("cwd", "root"):
            return _magic(sb, name, pid, _fs_attr(name, lambda d: d),
                          _fs_attr(name, lambda d: d.path))
        if name == "fd":
            return lambda parent: FdDir(sb, "fd", parent, pid)
        if name == "fdinfo":
            return lambda parent: FdInfoDir(sb, "fdinfo", parent, pid)
        if name == "pagemap":
            return lambda parent: task_mmu.PagemapDentry(sb, name, parent,
                                                         lambda t: get_proc_task(t, pid))
        if name == "ns":
            return lambda parent: NsDir(sb, "ns", parent, pid)
        if name in _NS_FILES:
            show, store, mode = _NS_FILES[name]
            return lambda parent: OpenerStoreFile(
                sb, name, parent, lambda t: show(get_proc_task(t, pid), t.cred),
                lambda opener, cred, data, pos: store(get_proc_task(opener, pid), cred, data, pos),
                mode)
        if name == "task" and self.whole:
            return lambda parent: TaskDir(sb, "task", parent, pid)
        return None

    def children(self, task) -> dict:
        get_proc_task(task, self.pid)           # ENOENT once the task has been released
        return {name: factory for name in _PID_ENTRY_NAMES
                if (factory := self.pident(name)) is not None}

    def entry(self, task, name: str):
        get_proc_task(task, self.pid)
        return self.pident(name)


# name -> (render, mode) of the generated files of /proc/<pid> (stat: see PidDir.pident)
_PID_FILES = {
    "cmdline": (array.proc_pid_cmdline, 0o100444),
    "environ": (array.proc_pid_environ, 0o100400),
    "status": (array.proc_pid_status, 0o100444),
    "stat": (array.proc_tgid_stat, 0o100444),
    "statm": (task_mmu.proc_pid_statm, 0o100444),
    "maps": (task_mmu.proc_pid_maps, 0o100444),
    "oom_score": (lambda target: f"{proc_oom_score(target)}\n".encode(), 0o100444),
    "limits": (base_info.proc_pid_limits, 0o100444),
    "personality": (base_info.proc_pid_personality, 0o100400),
    "auxv": (base_info.proc_pid_auxv, 0o100400),
    "wchan": (base_info.proc_pid_wchan, 0o100444),
    "syscall": (base_info.proc_pid_syscall, 0o100400),
    "timerslack_ns": (base_info.proc_pid_timerslack_ns, 0o100666),
    "loginuid": (base_info.proc_pid_loginuid, 0o100644),
    "sessionid": (base_info.proc_pid_sessionid, 0o100444),
    "cgroup": (base_info.proc_cgroup_show, 0o100444),
}
_PID_ENTRY_NAMES = sorted([*_PID_FILES, "exe", "cwd", "root", "fd", "fdinfo", "ns", "task",
                           "oom_score_adj", "pagemap", "comm", "coredump_filter", "mounts",
                           "mountinfo", "uid_map", "gid_map", "setgroups", "timens_offsets"])
# the subdirectories of /proc/<pid> and of /proc/<pid>/task/<tid>: their count sets nlink
_PID_SUBDIRS = ("fd", "fdinfo", "ns", "task")
TASK_COMM_LEN = 16


class OpenerStoreFile(StoreFile):
    """A generated file whose writes are judged by the opener's credentials
    (file->f_cred) and see their offset: ``store(opener, cred, data, pos)`` returns the
    count."""

    def open(self, task, flags: int):
        from glasskernel.fs.file_table import SeqFile
        store, cred = self._store, task.cred

        class _OpenerSeqFile(SeqFile):
            def write_at(self, data, pos: int) -> int:
                return store(self._task, cred, bytes(data), pos)

        return _OpenerSeqFile(self, flags, task, self._render)


def _ns_show(attr: str):
    def show(target, reader_cred) -> bytes:
        from glasskernel.kernel.user_namespace import cred_user_ns, map_show, setgroups_show
        ns = cred_user_ns(target.cred)
        return setgroups_show(ns) if attr == "setgroups" else map_show(ns, attr, reader_cred)
    return show


def _ns_store(attr: str):
    def store(target, cred, data: bytes, pos: int) -> int:
        from glasskernel.kernel import user_namespace as un
        ns = un.cred_user_ns(target.cred)
        if attr == "setgroups":
            if not un.cap_capable_over(cred, ns):
                raise KernelError(Errno.EPERM)       # proc_setgroups_open for writing
            return un.proc_setgroups_write(ns, cred, data, pos)
        return un.proc_map_write(ns, attr, cred, data, pos)
    return store


def _timens_show(target, reader_cred) -> bytes:
    from glasskernel.kernel.time_namespace import proc_timens_show_offsets
    return proc_timens_show_offsets(target)


def _timens_store(target, cred, data: bytes, pos: int) -> int:
    from glasskernel.kernel.time_namespace import proc_timens_set_offset
    return proc_timens_set_offset(cred, target, data, pos)


# the user and time namespace files: name -> (show, store, mode)
_NS_FILES = {
    "uid_map": (_ns_show("uid_map"), _ns_store("uid_map"), 0o100644),
    "gid_map": (_ns_show("gid_map"), _ns_store("gid_map"), 0o100644),
    "setgroups": (_ns_show("setgroups"), _ns_store("setgroups"), 0o100644),
    "timens_offsets": (_timens_show, _timens_store, 0o100666),
}


def comm_write(writer, target, data: bytes) -> None:
    """comm_write: the first 15 bytes become the name (a newline included, as Linux
    keeps it), only for a thread of the writer's own group (EINVAL otherwise)."""
    if writer.tgid != target.tgid:
        raise KernelError(Errno.EINVAL)
    name = bytes(data[:TASK_COMM_LEN - 1]).split(b"\0", 1)[0]
    target.comm = name.decode("utf-8", "surrogateescape")


def proc_oom_score(target) -> int:
    """proc_oom_score: badness in thousandths of RAM, shifted by 1000 and scaled by 2/3
    (C's truncating division); 0 for a task the OOM killer would never pick."""
    from glasskernel.mm.oom_kill import oom_badness
    phys = target.kernel.phys
    total = phys.total_pages if phys is not None else 1
    badness = oom_badness(target, total) if target.mm is not None else None
    if badness is None:
        return 0
    share = abs(badness) * 1000 // total
    return (1000 + (share if badness >= 0 else -share)) * 2 // 3


def oom_score_adj_read(target) -> bytes:
    return f"{target.signal.oom_score_adj if target.signal else 0}\n".encode()


def oom_score_adj_write(writer, target, data: bytes) -> None:
    """oom_score_adj_write: an integer in -1000..1000 (EINVAL otherwise); lowering it
    takes privilege (EACCES), as CAP_SYS_RESOURCE does."""
    try:
        value = int(data.strip() or b"x")
    except ValueError:
        raise KernelError(Errno.EINVAL) from None
    if not -1000 <= value <= 1000:
        raise KernelError(Errno.EINVAL)
    sig = target.signal
    if sig is None:
        raise KernelError(Errno.ESRCH)
    from glasskernel.kernel.capability import capable
    from glasskernel.uapi.capability import CAP_SYS_RESOURCE
    if value < sig.oom_score_adj and not capable(writer, CAP_SYS_RESOURCE):
        raise KernelError(Errno.EACCES)
    sig.oom_score_adj = value


def coredump_filter_read(target) -> bytes:
    """proc_coredump_filter_read: the mm's dump filter bits, 8 hex digits (nothing for a
    task without an address space)."""
    if target.mm is None:
        return b""
    return f"{target.mm.coredump_filter:08x}\n".encode()


def coredump_filter_write(target, data: bytes) -> None:
    """proc_coredump_filter_write: a number in C syntax (0x.. hex, 0.. octal); only the
    MMF_DUMP_FILTER_BITS low bits are taken."""
    from glasskernel.fs.coredump import DUMP_FILTER_BITS
    text = bytes(data).strip().decode("ascii", "replace")
    try:
        value = int(text, 0) if not (len(text) > 1 and text[0] == "0" and text[1].isdigit()) \
            else int(text, 8)
    except ValueError:
        raise KernelError(Errno.EINVAL) from None
    if not 0 <= value < 1 << 32:
        raise KernelError(Errno.ERANGE if value >= 0 else Errno.EINVAL)
    mm = target.mm
    if mm is None:
        raise KernelError(Errno.ESRCH)
    mask = (1 << DUMP_FILTER_BITS) - 1
    mm.coredump_filter = (mm.coredump_filter & ~mask) | (value & mask)


class TaskDir(PidEntryDir):
    """/proc/<pid>/task: one directory per thread of the group, named as the reader sees it."""

    def stat(self):
        """proc_task_getattr: two links and one per thread."""
        st = super().stat()
        tasks = self.parent.kernel.tasks                     # parent: the PidDir
        leader = tasks.get(self.pid)
        if leader is None:
            return st
        threads = sum(1 for t in tasks.values() if t.tgid == leader.tgid and task_alive(t))
        return dataclasses.replace(st, st_nlink=2 + threads)

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


def _exe_file(target):
    """The running executable's File (mm->exe_file); ENOENT once the mm is gone."""
    exe = target.mm.exe_file if target.mm is not None else None
    if exe is None:
        raise KernelError(Errno.ENOENT)
    return exe


def _exe_text(target) -> str:
    """readlink: d_path of the executable, " (deleted)" once its name is gone."""
    return _exe_file(target).path


def _exe_target(target):
    """proc_exe_link: the very file being run (its pinned dentry), not a new lookup of
    its name, which may since name something else."""
    return _exe_file(target).dentry
