"""The namespaces a task lives in, and moving between them (kernel/nsproxy.c).

``task.nsproxy`` holds one of each kind except the user namespace, which is the
credentials' (``cred.user_ns``) and the pid namespace, which is the task's own pid
(``task.pid_links``): ``pid_ns_for_children`` is where its children are born. Tasks share
one Nsproxy until one of them changes a namespace; a change makes a new Nsproxy
(create_new_namespaces), never edits a shared one.

    clone(CLONE_NEW*)   copy_process → copy_namespaces
    unshare(2)          ksys_unshare (kernel/fork.py) → unshare_nsproxy_namespaces
    setns(2)            sys_setns: an nsfs file (/proc/PID/ns/X) or a pidfd with CLONE_NEW* flags
"""
from glasskernel.kernel.capability import ns_capable
from glasskernel.kernel.trace.events import clone_flags_arg
from glasskernel.kernel.trace.tracepoint import traced
from glasskernel.uapi import sched as CF
from glasskernel.uapi.capability import CAP_SYS_ADMIN, CAP_SYS_CHROOT
from glasskernel.uapi.errno import Errno, KernelError

CLONE_NEWNS_ALL = (CF.CLONE_NEWNS | CF.CLONE_NEWUTS | CF.CLONE_NEWIPC | CF.CLONE_NEWPID
                   | CF.CLONE_NEWNET | CF.CLONE_NEWCGROUP | CF.CLONE_NEWTIME)
_SETNS_FLAGS = CLONE_NEWNS_ALL | CF.CLONE_NEWUSER


class Nsproxy:
    """struct nsproxy: the namespaces a task shares with the others using this object."""

    __slots__ = ("uts_ns", "ipc_ns", "mnt_ns", "pid_ns_for_children", "net_ns", "time_ns",
                 "time_ns_for_children", "cgroup_ns")

    def __init__(self, pid_ns_for_children, ipc_ns=None, uts_ns=None, mnt_ns=None,
                 net_ns=None, time_ns=None, time_ns_for_children=None, cgroup_ns=None):
        self.pid_ns_for_children = pid_ns_for_children
        self.ipc_ns, self.uts_ns, self.mnt_ns, self.net_ns = ipc_ns, uts_ns, mnt_ns, net_ns
        self.time_ns = time_ns
        self.time_ns_for_children = time_ns_for_children or time_ns
        self.cgroup_ns = cgroup_ns

    def copy(self) -> "Nsproxy":
        new = Nsproxy.__new__(Nsproxy)
        for name in Nsproxy.__slots__:
            setattr(new, name, getattr(self, name))
        return new


def init_nsproxy(kernel, pid_ns) -> Nsproxy:
    """init_nsproxy: the run's initial namespaces of every kind."""
    from glasskernel.fs.namespace import init_mnt_ns
    from glasskernel.ipc.namespace import init_ipc_ns
    from glasskernel.kernel.cgroup.namespace import init_cgroup_ns
    from glasskernel.kernel.time_namespace import init_time_ns
    from glasskernel.kernel.utsname import init_uts_ns
    from glasskernel.net.core.net_namespace import init_net
    # The IPC namespace stays None (ipc_ns_of: the run's first one, made on first use),
    # so that exit only looks for segments to destroy in runs that used SysV IPC.
    return Nsproxy(pid_ns, None, init_uts_ns(kernel), init_mnt_ns(kernel),
                   init_net(kernel), init_time_ns(kernel), None, init_cgroup_ns(kernel))


def _filled(task, nsproxy: Nsproxy) -> Nsproxy:
    """The nsproxy with every kind present (tests build tasks with only a pid namespace)."""
    if nsproxy.uts_ns is not None and nsproxy.time_ns is not None:
        return nsproxy
    full = init_nsproxy(task.kernel, nsproxy.pid_ns_for_children)
    for name in Nsproxy.__slots__:
        if getattr(nsproxy, name) is not None:
            setattr(full, name, getattr(nsproxy, name))
    if nsproxy.time_ns is None:
        full.time_ns_for_children = full.time_ns
    return full


def create_new_namespaces(flags: int, task, user_ns, new_fs) -> Nsproxy:
    """A new Nsproxy: a new namespace of each kind flags asks for (owned by user_ns), the
    task's others. The pid namespace is the one for children; so is the time one."""
    from glasskernel.fs.namespace import copy_mnt_ns
    from glasskernel.ipc.namespace import copy_ipcs
    from glasskernel.kernel.cgroup.namespace import copy_cgroup_ns
    from glasskernel.kernel.pid import copy_pid_ns
    from glasskernel.kernel.time_namespace import copy_time_ns
    from glasskernel.kernel.utsname import copy_utsname
    from glasskernel.net.core.net_namespace import copy_net_ns
    old = _filled(task, task.nsproxy)
    new = old.copy()
    new.mnt_ns = copy_mnt_ns(flags, old.mnt_ns, user_ns, new_fs)
    new.uts_ns = copy_utsname(flags, user_ns, old.uts_ns)
    new.ipc_ns = copy_ipcs(task.kernel, flags, user_ns, old.ipc_ns)
    new.pid_ns_for_children = copy_pid_ns(task, flags, user_ns, old.pid_ns_for_children)
    new.cgroup_ns = copy_cgroup_ns(flags, user_ns, old.cgroup_ns)
    new.net_ns = copy_net_ns(flags, user_ns, old.net_ns)
    new.time_ns_for_children = copy_time_ns(flags, user_ns, old.time_ns_for_children)
    return new


@traced(args=clone_flags_arg)
def copy_namespaces(flags, current, p) -> None:
    """The child shares the parent's Nsproxy unless it asks for a new namespace (which
    needs CAP_SYS_ADMIN in the child's user namespace: EPERM) or is born into the time
    namespace the parent unshared for its children."""
    from glasskernel.kernel.time_namespace import timens_on_fork
    from glasskernel.kernel.user_namespace import cred_user_ns
    old = current.nsproxy
    user_ns = cred_user_ns(p.cred)
    if not flags & CLONE_NEWNS_ALL:
        if old.time_ns_for_children is old.time_ns:
            p.nsproxy = old
            return
    elif not ns_capable(current, user_ns, CAP_SYS_ADMIN):
        raise KernelError(Errno.EPERM)
    if flags & (CF.CLONE_NEWIPC | CF.CLONE_SYSVSEM) == CF.CLONE_NEWIPC | CF.CLONE_SYSVSEM:
        raise KernelError(Errno.EINVAL)     # the semundo list cannot follow into a new ns
    new = create_new_namespaces(flags, current, user_ns, p.fs)
    timens_on_fork(new, p)
    p.nsproxy = new


def unshare_nsproxy_namespaces(task, flags: int, new_cred, new_fs):
    """unshare's new Nsproxy, or None when no namespace flag is set. EPERM without
    CAP_SYS_ADMIN over the (possibly just made) user namespace."""
    from glasskernel.kernel.user_namespace import cred_user_ns
    if not flags & CLONE_NEWNS_ALL:
        return None
    user_ns = cred_user_ns(new_cred if new_cred is not None else task.cred)
    if not ns_capable(task, user_ns, CAP_SYS_ADMIN):
        raise KernelError(Errno.EPERM)
    return create_new_namespaces(flags, task, user_ns, new_fs if new_fs is not None else task.fs)


def switch_task_namespaces(task, new) -> None:
    """Install new as the task's Nsproxy (the old one is dropped by its last user)."""
    task.nsproxy = new


# ----- setns -----------------------------------------------------------------------------------

class NsSet:
    """struct nsset: what setns builds before committing: a private Nsproxy, a cred copy
    when the user namespace changes, and the flags."""

    __slots__ = ("task", "flags", "nsproxy", "cred")

    def __init__(self, task, flags: int):
        self.task, self.flags = task, flags
        self.nsproxy = create_new_namespaces(0, task, None, task.fs)
        self.cred = None

    def new_cred(self):
        """nsset_cred: the credentials being prepared (CLONE_NEWUSER only)."""
        from glasskernel.kernel.cred import prepare_creds
        if self.cred is None:
            if not self.flags & CF.CLONE_NEWUSER:
                raise KernelError(Errno.EINVAL)
            self.cred = prepare_creds(self.task)
        return self.cred

    def capable_in_own(self, cap: int) -> bool:
        """ns_capable(nsset->cred->user_ns, cap): over the user namespace we will have."""
        from glasskernel.kernel.user_namespace import cred_user_ns
        return ns_capable(self.task, cred_user_ns(self.cred or self.task.cred), cap)


def _pidns_install(nsset, ns) -> None:
    from glasskernel.kernel.pid import pidns_install
    pidns_install(nsset, ns)


def _ipcns_install(nsset, ns) -> None:
    from glasskernel.ipc.namespace import ipcns_install
    ipcns_install(nsset, ns)


def _utsns_install(nsset, ns) -> None:
    from glasskernel.kernel.utsname import utsns_install
    utsns_install(nsset, ns)


def _timens_install(nsset, ns) -> None:
    from glasskernel.kernel.time_namespace import timens_install
    timens_install(nsset, ns)


def _userns_install(nsset, ns) -> None:
    from glasskernel.kernel.user_namespace import userns_install
    userns_install(nsset, ns)


def _mntns_install(nsset, ns) -> None:
    """CAP_SYS_ADMIN over its owner, CAP_SYS_CHROOT and CAP_SYS_ADMIN in ours (EPERM),
    an fs_struct of our own (EINVAL). The tree is shared: root and cwd stay."""
    from glasskernel.kernel.user_namespace import current_user_ns
    task = nsset.task
    own = current_user_ns(task)
    if not ns_capable(task, ns.user_ns, CAP_SYS_ADMIN) or not ns_capable(task, own, CAP_SYS_CHROOT) \
            or not ns_capable(task, own, CAP_SYS_ADMIN):
        raise KernelError(Errno.EPERM)
    if task.fs is not None and task.fs.users != 1:
        raise KernelError(Errno.EINVAL)
    nsset.nsproxy.mnt_ns = ns


def _netns_install(nsset, ns) -> None:
    if not ns_capable(nsset.task, ns.user_ns, CAP_SYS_ADMIN) or not nsset.capable_in_own(CAP_SYS_ADMIN):
        raise KernelError(Errno.EPERM)
    nsset.nsproxy.net_ns = ns


def _cgroupns_install(nsset, ns) -> None:
    if not nsset.capable_in_own(CAP_SYS_ADMIN) or not ns_capable(nsset.task, ns.user_ns, CAP_SYS_ADMIN):
        raise KernelError(Errno.EPERM)
    nsset.nsproxy.cgroup_ns = ns


# CLONE_NEW* -> install, in the order validate_nsset applies a pidfd's namespaces
NS_INSTALL = {
    CF.CLONE_NEWUSER: _userns_install, CF.CLONE_NEWNS: _mntns_install,
    CF.CLONE_NEWUTS: _utsns_install, CF.CLONE_NEWIPC: _ipcns_install,
    CF.CLONE_NEWPID: _pidns_install, CF.CLONE_NEWCGROUP: _cgroupns_install,
    CF.CLONE_NEWNET: _netns_install, CF.CLONE_NEWTIME: _timens_install,
}


def check_setns_flags(flags: int) -> None:
    if not flags or flags & ~_SETNS_FLAGS:
        raise KernelError(Errno.EINVAL)


def task_namespace(task, nstype: int):
    """The namespace of one kind a pidfd's task is in (the pid one: its own)."""
    from glasskernel.ipc.namespace import ipc_ns_of
    from glasskernel.kernel.pid import task_active_pid_ns
    from glasskernel.kernel.user_namespace import cred_user_ns
    if nstype == CF.CLONE_NEWUSER:
        return cred_user_ns(task.cred)
    if nstype == CF.CLONE_NEWPID:
        return task_active_pid_ns(task)
    if nstype == CF.CLONE_NEWIPC:
        return ipc_ns_of(task)
    nsp = _filled(task, task.nsproxy)
    attr = {CF.CLONE_NEWNS: "mnt_ns", CF.CLONE_NEWUTS: "uts_ns", CF.CLONE_NEWIPC: "ipc_ns",
            CF.CLONE_NEWCGROUP: "cgroup_ns", CF.CLONE_NEWNET: "net_ns",
            CF.CLONE_NEWTIME: "time_ns"}[nstype]
    return getattr(nsp, attr)


def validate_nsset(nsset, target) -> None:
    """A pidfd's form: each namespace flags names, of the target task (ESRCH once it has
    exited; EPERM if we may not inspect it)."""
    from glasskernel.fs.proc.array import ptrace_may_read
    if target is None or target.exit_state or target.nsproxy is None or not target.pid_links:
        raise KernelError(Errno.ESRCH)
    if not ptrace_may_read(nsset.task, target):     # (Linux: PTRACE_MODE_READ_REALCREDS)
        raise KernelError(Errno.EPERM)
    snapshot = {nstype: task_namespace(target, nstype)
                for nstype in NS_INSTALL if nsset.flags & nstype}
    for nstype, install in NS_INSTALL.items():
        if nstype in snapshot:
            install(nsset, snapshot[nstype])


def commit_nsset(nsset) -> None:
    """Make the prepared state the task's: creds, semundo (new IPC ns), vvar, nsproxy."""
    from glasskernel.kernel.cred import commit_creds
    from glasskernel.kernel.time_namespace import timens_commit
    task = nsset.task
    if nsset.flags & CF.CLONE_NEWUSER and nsset.cred is not None:
        commit_creds(task, nsset.cred)
    if nsset.flags & CF.CLONE_NEWIPC:
        from glasskernel.ipc.sem import exit_sem
        exit_sem(task)
    if nsset.flags & CF.CLONE_NEWTIME:
        timens_commit(task, nsset.nsproxy.time_ns)
    switch_task_namespaces(task, nsset.nsproxy)


def sys_setns(task, fd, nstype) -> int:
    """setns(2): join the namespace an nsfs file names (nstype 0 or its own type, else
    EINVAL), or those of a pidfd's task that nstype lists. Other files: EINVAL."""
    from glasskernel.fs.proc.namespaces import NsInode
    from glasskernel.kernel.pidfd import PidfdFile
    nstype = nstype & 0xFFFFFFFF
    file = task.files.fdget(fd)
    dentry = getattr(file, "dentry", None)
    if isinstance(dentry, NsInode):
        if nstype and dentry.nstype != nstype:
            raise KernelError(Errno.EINVAL)
        nsset = NsSet(task, dentry.nstype)
        NS_INSTALL[dentry.nstype](nsset, dentry.ns)
    elif isinstance(file, PidfdFile):
        check_setns_flags(nstype)
        nsset = NsSet(task, nstype)
        validate_nsset(nsset, file.target)
    else:
        raise KernelError(Errno.EINVAL)
    commit_nsset(nsset)
    return 0
