"""The owner of a file's SIGIO (fs/fcntl.c: f_setown, f_getown, F_*OWN_EX, F_SETSIG).

A file's ``f_owner`` names who gets its I/O signals: a thread, a process or a process
group, kept as the root-namespace number and translated for whoever asks. A lease break
signals it (locks_lease.py, ``send_sigio``).
"""
import struct

from glasskernel.fs.proc.internal import find_task_by_vpid
from glasskernel.kernel.pid import pgrp_vnr, task_pid_vnr, task_tgid_vnr
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import (F_GETOWN, F_GETOWN_EX, F_GETSIG, F_SETOWN, F_SETOWN_EX,
                                    F_SETSIG)

PIDTYPE_PID, PIDTYPE_TGID, PIDTYPE_PGID = 0, 1, 2
F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP = 0, 1, 2
_EX_TYPES = {F_OWNER_TID: PIDTYPE_PID, F_OWNER_PID: PIDTYPE_TGID, F_OWNER_PGRP: PIDTYPE_PGID}
_F_OWNER_EX = struct.Struct("<ii")
_NSIG = 64


class FOwner:
    """struct fown_struct: the pid (root number, 0 for none), its kind, the signal."""

    __slots__ = ("nr", "pid_type", "uid", "euid", "signum")

    def __init__(self):
        self.nr = 0
        self.pid_type = PIDTYPE_PID
        self.uid = self.euid = 0
        self.signum = 0


def file_owner(file) -> FOwner:
    owner = getattr(file, "f_owner", None)
    if owner is None:
        owner = file.f_owner = FOwner()
    return owner


def find_vpid(task, who: int, pid_type: int) -> int:
    """The root number of the pid ``who`` names for ``task`` (a thread, or a process
    group whose leader is gone); 0 if there is none."""
    target = find_task_by_vpid(task, who)
    if target is not None:
        return target.pid
    if pid_type == PIDTYPE_PGID:
        for other in task.kernel.tasks.values():
            pgrp = other.signal.pgrp if other.signal is not None else 0
            if pgrp and pgrp_vnr(task, pgrp) == who:
                return pgrp
    return 0


def __f_setown(task, file, nr: int, pid_type: int, force: bool) -> None:
    owner = file_owner(file)
    if force or not owner.nr:
        owner.nr, owner.pid_type = nr, pid_type
        if nr:
            owner.uid, owner.euid = task.cred.uid, task.cred.euid


def f_setown(task, file, arg: int) -> int:
    """F_SETOWN: a positive number is a process, a negative one a process group."""
    who = _int32(arg)
    pid_type = PIDTYPE_TGID
    if who < 0:
        if who == -(1 << 31):
            raise KernelError(Errno.EINVAL)
        pid_type, who = PIDTYPE_PGID, -who
    nr = find_vpid(task, who, pid_type) if who else 0
    if who and not nr:
        raise KernelError(Errno.ESRCH)
    __f_setown(task, file, nr, pid_type, True)
    return 0


def owner_vnr(task, owner: FOwner) -> int:
    """pid_vnr of the owner if it still names something of its kind, else 0."""
    if not owner.nr:
        return 0
    if owner.pid_type == PIDTYPE_PGID:
        alive = any(t.signal is not None and t.signal.pgrp == owner.nr and not t.exit_state
                    for t in task.kernel.tasks.values())
        return pgrp_vnr(task, owner.nr) if alive else 0
    target = task.kernel.tasks.get(owner.nr)
    if target is None or target.exit_state:
        return 0
    if owner.pid_type == PIDTYPE_TGID:
        return task_tgid_vnr(target, task) if target.pid == target.tgid else 0
    return task_pid_vnr(target, task)


def owner_tasks(kernel, owner: FOwner) -> list:
    """The live tasks the owner names (for sending its signal)."""
    if not owner.nr:
        return []
    if owner.pid_type == PIDTYPE_PGID:
        return [t for t in kernel.tasks.values() if t.pid == t.tgid and t.signal is not None
                and t.signal.pgrp == owner.nr and not t.exit_state]
    target = kernel.tasks.get(owner.nr)
    return [target] if target is not None and not target.exit_state else []


def fcntl_owner(task, file, cmd: int, arg: int) -> int:
    """F_GETOWN, F_SETOWN, F_GETOWN_EX, F_SETOWN_EX, F_GETSIG, F_SETSIG."""
    owner = file_owner(file)
    if cmd == F_GETOWN:
        pid = owner_vnr(task, owner)
        return -pid if owner.pid_type == PIDTYPE_PGID else pid
    if cmd == F_SETOWN:
        return f_setown(task, file, arg)
    if cmd == F_GETOWN_EX:
        ex_type = {v: k for k, v in _EX_TYPES.items()}[owner.pid_type]
        copy_to_user(task, arg, _F_OWNER_EX.pack(ex_type, owner_vnr(task, owner)))
        return 0
    if cmd == F_SETOWN_EX:
        ex_type, who = _F_OWNER_EX.unpack(copy_from_user(task, arg, _F_OWNER_EX.size))
        pid_type = _EX_TYPES.get(ex_type)
        if pid_type is None:
            raise KernelError(Errno.EINVAL)
        nr = find_vpid(task, who, pid_type) if who > 0 else 0
        if who and not nr:
            raise KernelError(Errno.ESRCH)
        __f_setown(task, file, nr, pid_type, True)
        return 0
    if cmd == F_GETSIG:
        return owner.signum
    if arg < 0 or arg > _NSIG:          # F_SETSIG: valid_signal; 0 restores SIGIO
        raise KernelError(Errno.EINVAL)
    owner.signum = arg
    return 0


SIGIO = 29
POLL_IN, POLL_MSG = 1, 3
# si_band of each reason (band_table in fs/fcntl.c): POLLIN|POLLRDNORM, and |POLLMSG
_BANDS = {POLL_IN: 0x0001 | 0x0040, POLL_MSG: 0x0001 | 0x0040 | 0x0400}


def send_sigio(kernel, file, fd: int, reason: int) -> None:
    """send_sigio: the owner's F_SETSIG signal with the fd and band in its siginfo, or a
    plain SIGIO (from the kernel) when none was set."""
    from glasskernel.kernel.signal import SEND_SIG_PRIV, group_send_sig_info
    from glasskernel.uapi.siginfo import make_siginfo
    owner = file_owner(file)
    for target in owner_tasks(kernel, owner):
        if owner.signum:
            info = make_siginfo(owner.signum, reason)
            info = info[:16] + struct.pack("<qi", _BANDS.get(reason, 0), fd or 0) + info[28:]
            group_send_sig_info(target, owner.signum, info)
        else:
            group_send_sig_info(target, SIGIO, SEND_SIG_PRIV)


def kill_fasync(kernel, entries, reason: int) -> None:
    """Signal the owner of every (file, fd) that asked for O_ASYNC notification."""
    for file, fd in list(entries):
        send_sigio(kernel, file, fd, reason)


def _int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value
