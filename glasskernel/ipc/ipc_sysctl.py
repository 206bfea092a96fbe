"""The IPC sysctls (ipc/ipc_sysctl.c): /proc/sys/kernel/shmmax, shmall, shmmni,
shm_rmid_forced, sem, msgmax, msgmnb, msgmni. They live in the IPC namespace, so a
write changes the limits shmget, semget and msgget check."""
from glasskernel.ipc.namespace import init_ipc_ns
from glasskernel.ipc.util import IPCMNI
from glasskernel.uapi.errno import Errno, KernelError

INT_MAX = 0x7FFFFFFF
ULONG_MAX = (1 << 64) - 1


def _field(name: str, lo: int, hi: int):
    """(show, store) of one number of the namespace, proc_do*vec_minmax style."""
    from glasskernel.fs.proc.proc_sysctl import parse_int

    def show(kernel):
        return str(getattr(init_ipc_ns(kernel), name))

    def store(kernel, text):
        setattr(init_ipc_ns(kernel), name, parse_int(text, lo, hi))
    return show, store


def _set_rmid_forced(kernel, text: str) -> None:
    """shm_rmid_forced: 1 also destroys the segments nobody has attached now
    (shm_destroy_orphaned)."""
    from glasskernel.fs.proc.proc_sysctl import parse_int
    ns = init_ipc_ns(kernel)
    ns.shm_rmid_forced = parse_int(text, 0, 1)
    if ns.shm_rmid_forced:
        for shp in list(ns.shm_ids.slots.values()):
            if not shp.nattch:
                shp.destroy()


def _show_sem(kernel) -> str:
    return "\t".join(str(v) for v in init_ipc_ns(kernel).sem_ctls)


def _store_sem(kernel, text: str) -> None:
    """proc_ipc_sem_dointvec: SEMMSL SEMMNS SEMOPM SEMMNI, semmni at most IPCMNI."""
    words = text.split()
    if not words or len(words) > 4:
        raise KernelError(Errno.EINVAL)
    try:
        values = [int(w, 10) for w in words]
    except ValueError:
        raise KernelError(Errno.EINVAL) from None
    ctls = init_ipc_ns(kernel).sem_ctls
    new = values + ctls[len(values):]
    if new[3] < 0 or new[3] > IPCMNI or any(not -INT_MAX - 1 <= v <= INT_MAX for v in new):
        raise KernelError(Errno.EINVAL)
    ctls[:] = new


def _next_id(family: str):
    """kernel.{shm,sem,msg}_next_id: -1, or the id the next object of the family gets.
    (Linux lets only CAP_CHECKPOINT_RESTORE write it; here the file mode, root's.)"""
    from glasskernel.fs.proc.proc_sysctl import parse_int

    def show(kernel):
        return str(getattr(init_ipc_ns(kernel), family).next_id)

    def store(kernel, text):
        getattr(init_ipc_ns(kernel), family).next_id = parse_int(text, 0, INT_MAX)
    return show, store


def ipc_kern_table() -> list:
    """The CtlTable entries /proc/sys/kernel gets from the IPC code."""
    from glasskernel.fs.proc.proc_sysctl import CtlTable
    return [
        CtlTable("msgmax", 0o644, *_field("msg_ctlmax", 0, INT_MAX)),
        CtlTable("msgmnb", 0o644, *_field("msg_ctlmnb", 0, INT_MAX)),
        CtlTable("msgmni", 0o644, *_field("msg_ctlmni", 0, IPCMNI)),
        CtlTable("msg_next_id", 0o644, *_next_id("msg_ids")),
        CtlTable("sem", 0o644, _show_sem, _store_sem),
        CtlTable("sem_next_id", 0o644, *_next_id("sem_ids")),
        CtlTable("shm_next_id", 0o644, *_next_id("shm_ids")),
        CtlTable("shm_rmid_forced", 0o644, lambda k: str(init_ipc_ns(k).shm_rmid_forced),
                 _set_rmid_forced),
        CtlTable("shmall", 0o644, *_field("shm_ctlall", 0, ULONG_MAX)),
        CtlTable("shmmax", 0o644, *_field("shm_ctlmax", 0, ULONG_MAX)),
        CtlTable("shmmni", 0o644, *_field("shm_ctlmni", 0, IPCMNI)),
    ]
