"""The IPC namespace (ipc/namespace.c): the three id tables and the sysctls that bound
them (/proc/sys/kernel/shm*, sem, msg*).

CLONE_NEWIPC is not modelled: every task of a run shares one namespace, created on first
use. It is the run's own, so a guest never sees the host's segments, semaphores or queues.
"""
from glasskernel.ipc.util import IpcIds

SHMMIN, SHMMNI = 1, 4096
SHMMAX = SHMALL = (1 << 64) - 1 - (1 << 24)
SEMMSL, SEMMNI, SEMOPM = 32000, 32000, 500
SEMMNS = SEMMNI * SEMMSL
SEMVMX = SEMAEM = 32767
MSGMAX, MSGMNB, MSGMNI = 8192, 16384, 32000


class IpcNamespace:
    """struct ipc_namespace: the shm, sem and msg ids with their limits."""

    __slots__ = ("kernel", "shm_ids", "sem_ids", "msg_ids", "shm_ctlmax", "shm_ctlall",
                 "shm_ctlmni", "shm_rmid_forced", "shm_tot", "sem_ctls", "used_sems",
                 "msg_ctlmax", "msg_ctlmnb", "msg_ctlmni", "msg_bytes", "msg_hdrs")

    def __init__(self, kernel):
        self.kernel = kernel
        self.shm_ids, self.sem_ids, self.msg_ids = IpcIds(), IpcIds(), IpcIds()
        self.shm_ctlmax, self.shm_ctlall, self.shm_ctlmni = SHMMAX, SHMALL, SHMMNI
        self.shm_rmid_forced = 0
        self.shm_tot = 0                    # pages of all segments
        self.sem_ctls = [SEMMSL, SEMMNS, SEMOPM, SEMMNI]
        self.used_sems = 0
        self.msg_ctlmax, self.msg_ctlmnb, self.msg_ctlmni = MSGMAX, MSGMNB, MSGMNI
        self.msg_bytes = self.msg_hdrs = 0  # bytes and messages queued in all queues


def ipc_ns_of(task) -> IpcNamespace:
    """current->nsproxy->ipc_ns: the run's one namespace."""
    return init_ipc_ns(task.kernel)


def init_ipc_ns(kernel) -> IpcNamespace:
    """The run's namespace, made on first use."""
    ns = getattr(kernel, "ipc_ns", None)
    if ns is None:
        ns = kernel.ipc_ns = IpcNamespace(kernel)
    return ns
