"""/proc/<pid>/ns (fs/proc/namespaces.c) and the nsfs files they lead to (fs/nsfs.c).

Each entry is a magic link: readlink shows ``TYPE:[INODE]``; following it reaches the
namespace's inode in nsfs, whose inode number is that INODE (stat compares namespaces
this way), and opening it gives the descriptor setns(2) takes. The nsfs ioctls tell a
namespace's owner (NS_GET_USERNS, NS_GET_OWNER_UID), parent (NS_GET_PARENT) and type.
"""
import os
import struct

from glasskernel.fs.file_table import File
from glasskernel.fs.kstat import StatResult
from glasskernel.fs.libfs import SimpleDentry, SimpleLink, SyntheticFs
from glasskernel.fs.proc.array import ptrace_may_read
from glasskernel.fs.proc.internal import PidEntryDir, get_proc_task, viewer_of
from glasskernel.uapi import sched as CF
from glasskernel.uapi.errno import Errno, KernelError

NSFS = SyntheticFs("nsfs", os.makedev(0, 4), 4)
NSIO = 0xB7
NS_GET_USERNS, NS_GET_PARENT, NS_GET_NSTYPE, NS_GET_OWNER_UID = (
    (NSIO << 8) | 0x1, (NSIO << 8) | 0x2, (NSIO << 8) | 0x3, (NSIO << 8) | 0x4)
O_RDONLY, O_CLOEXEC = 0, 0o2000000


def _nsproxy(target):
    if target.nsproxy is None or target.exit_state:
        raise KernelError(Errno.ENOENT)          # exited: no nsproxy any more
    from glasskernel.kernel.nsproxy import _filled
    return _filled(target, target.nsproxy)


def _pid_ns(target):
    if not target.pid_links or target.exit_state:
        raise KernelError(Errno.ENOENT)          # a task not (or no longer) numbered
    return target.pid_links[-1][0]


def _pid_ns_for_children(target):
    """pidns_for_children_get: none (ENOENT) until the namespace has its init, unless it
    is the task's own."""
    ns = _nsproxy(target).pid_ns_for_children
    if ns.child_reaper is None and ns is not _pid_ns(target):
        raise KernelError(Errno.ENOENT)
    return ns


def _ipc_ns(target):
    _nsproxy(target)
    from glasskernel.ipc.namespace import ipc_ns_of
    return ipc_ns_of(target)


def _user_ns(target):
    if target.exit_state:
        raise KernelError(Errno.ENOENT)
    from glasskernel.kernel.user_namespace import cred_user_ns
    return cred_user_ns(target.cred)


def _attr(name):
    return lambda target: getattr(_nsproxy(target), name)


# entry -> (the namespace of a task, CLONE_NEW* type, the type name its link shows)
NS_ENTRIES = {
    "cgroup": (_attr("cgroup_ns"), CF.CLONE_NEWCGROUP, "cgroup"),
    "ipc": (_ipc_ns, CF.CLONE_NEWIPC, "ipc"),
    "mnt": (_attr("mnt_ns"), CF.CLONE_NEWNS, "mnt"),
    "net": (_attr("net_ns"), CF.CLONE_NEWNET, "net"),
    "pid": (_pid_ns, CF.CLONE_NEWPID, "pid"),
    "pid_for_children": (_pid_ns_for_children, CF.CLONE_NEWPID, "pid"),
    "time": (_attr("time_ns"), CF.CLONE_NEWTIME, "time"),
    "time_for_children": (_attr("time_ns_for_children"), CF.CLONE_NEWTIME, "time"),
    "user": (_user_ns, CF.CLONE_NEWUSER, "user"),
    "uts": (_attr("uts_ns"), CF.CLONE_NEWUTS, "uts"),
}
_TYPE_NAMES = {CF.CLONE_NEWCGROUP: "cgroup", CF.CLONE_NEWIPC: "ipc", CF.CLONE_NEWNS: "mnt",
               CF.CLONE_NEWNET: "net", CF.CLONE_NEWPID: "pid", CF.CLONE_NEWTIME: "time",
               CF.CLONE_NEWUSER: "user", CF.CLONE_NEWUTS: "uts"}



class NsInode(SimpleDentry):
    """A namespace as nsfs shows it: a read-only regular file numbered by the namespace."""

    MODE = 0o100444

    def __init__(self, name: str, ns, nstype: int = 0):
        super().__init__(NSFS, name, None)
        self.path = name                         # what /proc/self/fd/N of it reads
        self.ns = ns
        self.nstype = nstype

    def stat(self):
        return StatResult.synthetic(NSFS.dev, self.ns.inum, self.MODE, when=NSFS.boot)

    def open(self, task, flags: int):
        return NsFile(self, flags)               # read and write: EINVAL, as ns_file_operations


def ns_inode(ns, nstype: int) -> NsInode:
    return NsInode(f"{_TYPE_NAMES[nstype]}:[{ns.inum}]", ns, nstype)


class NsFile(File):
    """An open nsfs file: only the NS_GET_* ioctls act (ns_ioctl)."""

    def ioctl(self, cmd: int, arg: int, task) -> int:
        cmd &= 0xFFFFFFFF
        ns, nstype = self.dentry.ns, self.dentry.nstype
        if cmd == NS_GET_USERNS:
            return _open_ns(task, _owner_checked(task, ns, nstype), CF.CLONE_NEWUSER)
        if cmd == NS_GET_PARENT:
            return _open_ns(task, *_parent_checked(task, ns, nstype))
        if cmd == NS_GET_NSTYPE:
            return int(nstype)
        if cmd == NS_GET_OWNER_UID:
            if nstype != CF.CLONE_NEWUSER:
                raise KernelError(Errno.EINVAL)
            from glasskernel.kernel.user_namespace import current_user_ns, from_kuid
            from glasskernel.mm.uaccess import copy_to_user
            copy_to_user(task, arg, struct.pack("<I", from_kuid(current_user_ns(task), ns.owner)))
            return 0
        raise KernelError(Errno.ENOTTY)


def _owner(ns, nstype: int):
    from glasskernel.kernel.user_namespace import init_user_ns
    owner = ns.parent if nstype == CF.CLONE_NEWUSER else getattr(ns, "user_ns", None)
    if owner is None and nstype != CF.CLONE_NEWUSER:
        owner = init_user_ns
    return owner


def _owner_checked(task, ns, nstype: int):
    """ns_get_owner: the owning user namespace, EPERM if it is not ours or below ours."""
    from glasskernel.kernel.user_namespace import current_user_ns, in_userns
    owner = _owner(ns, nstype)
    if owner is None or not in_userns(current_user_ns(task), owner):
        raise KernelError(Errno.EPERM)
    return owner


def _parent_checked(task, ns, nstype: int):
    """The parent of a pid or user namespace (EINVAL for other kinds), EPERM if it is
    none or out of our sight."""
    from glasskernel.kernel.pid import task_active_pid_ns
    from glasskernel.kernel.user_namespace import current_user_ns, in_userns
    if nstype not in (CF.CLONE_NEWPID, CF.CLONE_NEWUSER):
        raise KernelError(Errno.EINVAL)
    parent = ns.parent
    if parent is None:
        raise KernelError(Errno.EPERM)
    if nstype == CF.CLONE_NEWUSER:
        if not in_userns(current_user_ns(task), parent):
            raise KernelError(Errno.EPERM)
    else:
        active, p = task_active_pid_ns(task), parent
        while p is not None and p.level > active.level:
            p = p.parent
        if p is not active:
            raise KernelError(Errno.EPERM)
    return parent, nstype


def _open_ns(task, ns, nstype: int) -> int:
    """open_related_ns: a new O_RDONLY|O_CLOEXEC descriptor of ns."""
    return task.files.install_new(NsFile(ns_inode(ns, nstype), O_RDONLY), cloexec=True,
                                  task=task)


class NsDir(PidEntryDir):
    """/proc/<pid>/ns."""

    MODE = 0o040511

    def children(self, task) -> dict:
        get_proc_task(task, self.pid)
        return {name: self._link(name, *entry) for name, entry in NS_ENTRIES.items()}

    def _link(self, name, get, nstype, _type_name):
        pid, sb = self.pid, self.sb

        def target(t):
            task = get_proc_task(t, pid)
            if not ptrace_may_read(viewer_of(t), task):
                raise KernelError(Errno.EACCES)      # proc_ns_get_link/readlink
            return ns_inode(get(task), nstype)
        return lambda parent: SimpleLink(sb, name, parent, target,
                                         lambda t: target(t).name)
