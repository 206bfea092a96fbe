"""The IPC namespace (ipc/namespace.c): the three id tables and the sysctls that bound
them (/proc/sys/kernel/shm*, sem, msg*).

The run's first namespace is made on first use and is the run's own, so a guest never
sees the host's segments, semaphores or queues; clone(CLONE_NEWIPC) gives the child a new,
empty one. (The sysctls in /proc/sys are the first namespace's.)
"""

from glasskernel.fs import inode_numbers
from glasskernel.ipc.util import IpcIds
from glasskernel.uapi.errno import Errno, KernelError

SHMMIN, SHMMNI = 1, 4096
SHMMAX = SHMALL = (1 << 64) - 1 - (1 << 24)
SEMMSL, SEMMNI, SEMOPM = 32000, 32000, 500
SEMMNS = SEMMNI * SEMMSL
SEMVMX = SEMAEM = 32767
MSGMAX, MSGMNB, MSGMNI = 8192, 16384, 32000


PROC_IPC_INIT_INO = 0xEFFFFFFF
inode_numbers.register("ipc_ns", 0xE0000000)   # later namespaces (a range apart from pid's)


class IpcNamespace:
    """struct ipc_namespace: the shm, sem and msg ids with their limits."""

    __slots__ = ("kernel", "inum", "user_ns", "shm_ids", "sem_ids", "msg_ids", "shm_ctlmax", "shm_ctlall",
                 "shm_ctlmni", "shm_rmid_forced", "shm_tot", "sem_ctls", "used_sems",
                 "msg_ctlmax", "msg_ctlmnb", "msg_ctlmni", "msg_bytes", "msg_hdrs")

    def __init__(self, kernel, inum: int = PROC_IPC_INIT_INO):
        self.kernel, self.inum = kernel, inum
        self.user_ns = None                 # the owning user namespace (None: the initial one)
        self.shm_ids, self.sem_ids, self.msg_ids = IpcIds(), IpcIds(), IpcIds()
        self.shm_ctlmax, self.shm_ctlall, self.shm_ctlmni = SHMMAX, SHMALL, SHMMNI
        self.shm_rmid_forced = 0
        self.shm_tot = 0                    # pages of all segments
        self.sem_ctls = [SEMMSL, SEMMNS, SEMOPM, SEMMNI]
        self.used_sems = 0
        self.msg_ctlmax, self.msg_ctlmnb, self.msg_ctlmni = MSGMAX, MSGMNB, MSGMNI
        self.msg_bytes = self.msg_hdrs = 0  # bytes and messages queued in all queues


def ipc_ns_of(task) -> IpcNamespace:
    """current->nsproxy->ipc_ns: the task's namespace (the first one unless a
    CLONE_NEWIPC made another)."""
    nsproxy = task.nsproxy
    if nsproxy is not None and nsproxy.ipc_ns is not None:
        return nsproxy.ipc_ns
    return init_ipc_ns(task.kernel)


def create_ipc_ns(kernel, user_ns=None) -> IpcNamespace:
    """A new, empty namespace with the default limits, owned by user_ns."""
    ns = IpcNamespace(kernel, inode_numbers.next_ino("ipc_ns"))
    ns.user_ns = user_ns
    return ns


def copy_ipcs(kernel, flags: int, user_ns, old: IpcNamespace) -> IpcNamespace:
    """CLONE_NEWIPC: a new namespace; otherwise old itself."""
    from glasskernel.uapi.sched import CLONE_NEWIPC
    if not flags & CLONE_NEWIPC:
        return old
    return create_ipc_ns(kernel, user_ns)


def ipcns_install(nsset, ns: IpcNamespace) -> None:
    """setns: CAP_SYS_ADMIN over the namespace's owner and over our own user namespace
    (EPERM); the semundo list is dropped at commit."""
    from glasskernel.kernel.capability import ns_capable
    from glasskernel.uapi.capability import CAP_SYS_ADMIN
    if not ns_capable(nsset.task, ns.user_ns, CAP_SYS_ADMIN) or \
            not nsset.capable_in_own(CAP_SYS_ADMIN):
        raise KernelError(Errno.EPERM)
    nsset.nsproxy.ipc_ns = ns


def init_ipc_ns(kernel) -> IpcNamespace:
    """The run's namespace, made on first use."""
    ns = kernel.ipc_ns
    if ns is None:
        ns = kernel.ipc_ns = IpcNamespace(kernel)
    return ns
