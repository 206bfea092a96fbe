"""System V IPC for i386 (ipc/compat.c, the compat parts of ipc/msg.c, shm.c, sem.c and
ipc/syscall.c's compat_ksys_ipc).

A message's type is a compat_long_t (4 bytes) before its text; shmat's address comes
back as 32 bits; semtimedop's timeout is an old_timespec32. ``compat_sys_ipc`` is i386's
multiplexer (number 117): the call in the low 16 bits, a version above. The *ctl calls
pass through to the native ones, whose ``*_ds`` structs are the x86-64 layouts: the
commands that copy one (IPC_STAT, IPC_SET, IPC_INFO, *_STAT, *_INFO) are not converted.
"""
import struct

from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.ipc import msg, sem, shm
from glasskernel.ipc.namespace import ipc_ns_of
from glasskernel.kernel.compat import get_old_timespec32
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError

SEMOP, SEMGET, SEMCTL, SEMTIMEDOP = 1, 2, 3, 4
MSGSND, MSGRCV, MSGGET, MSGCTL = 11, 12, 13, 14
SHMAT, SHMDT, SHMGET, SHMCTL = 21, 22, 23, 24
_COMPAT_LONG = struct.Struct("<i")
_COMPAT_IPC_KLUDGE = struct.Struct("<Ii")   # struct compat_ipc_kludge: msgp, msgtyp


# compat_sys_msgsnd: msgsnd(2) of i386: a 4-byte mtype before the text (compat_ksys_msgsnd).
def compat_sys_msgsnd(task, msqid, msgp, msgsz, msgflg) -> int:
    mtype, = _COMPAT_LONG.unpack(copy_from_user(task, msgp, 4))
    ns = ipc_ns_of(task)
    msqid, msgsz = int_arg(msqid), int_arg(msgsz)
    if msgsz > ns.msg_ctlmax or msgsz < 0 or msqid < 0 or mtype < 1:
        raise KernelError(Errno.EINVAL)
    text = copy_from_user(task, msgp + 4, msgsz) if msgsz else b""
    return msg.do_msgsnd(task, msqid, mtype, text, msgflg & 0xFFFFFFFF)


# compat_sys_msgrcv: msgrcv(2) of i386: a compat_long_t msgtyp; the type stored in 4 bytes.
def compat_sys_msgrcv(task, msqid, msgp, msgsz, msgtyp, msgflg) -> int:
    msgsz = int_arg(msgsz)
    mtype, text = msg.do_msgrcv(task, int_arg(msqid), msgsz, int_arg(msgtyp), msgflg & 0xFFFFFFFF)
    text = text[:msgsz]
    copy_to_user(task, msgp, _COMPAT_LONG.pack(mtype) + text)
    return len(text)


# compat_sys_shmat: shmat(2) of i386: the attach address as the 32-bit result.
def compat_sys_shmat(task, shmid, shmaddr, shmflg) -> int:
    return shm.do_shmat(task, int_arg(shmid), shmaddr & 0xFFFFFFFF, shmflg & 0xFFFFFFFF)


def _semtimedop_time32(task, semid, tsops, nsops, timeout) -> int:
    """compat_ksys_semtimedop: semtimedop with an old_timespec32 timeout."""
    spec = get_old_timespec32(task, timeout) if timeout else None
    return sem._semop(task, semid, tsops, nsops, spec)


def _ipc_msgrcv(task, first, second, third, ptr, fifth, version) -> int:
    """MSGRCV: version 0 passes {msgp, msgtyp} in a kludge struct at ptr."""
    if first < 0 or second < 0:
        raise KernelError(Errno.EINVAL)
    if version:
        return compat_sys_msgrcv(task, first, ptr, second, fifth, third)
    if not ptr:
        raise KernelError(Errno.EINVAL)
    msgp, msgtyp = _COMPAT_IPC_KLUDGE.unpack(copy_from_user(task, ptr, _COMPAT_IPC_KLUDGE.size))
    return compat_sys_msgrcv(task, first, msgp, second, msgtyp & 0xFFFFFFFF, third)


def _ipc_shmat(task, first, second, third, ptr, version) -> int:
    """SHMAT: the address goes to the u32 at third; version 1 (iBCS2) is EINVAL."""
    if version == 1:
        raise KernelError(Errno.EINVAL)
    raddr = shm.do_shmat(task, first, ptr, second & 0xFFFFFFFF)
    copy_to_user(task, third, struct.pack("<I", raddr & 0xFFFFFFFF))
    return 0


def _ipc_semctl(task, first, second, third, ptr) -> int:
    """SEMCTL: the union semun's value is read from the word at ptr."""
    if not ptr:
        raise KernelError(Errno.EINVAL)
    pad, = struct.unpack("<I", copy_from_user(task, ptr, 4))
    return sem.sys_semctl(task, first, second, third, pad)


# compat_sys_ipc: ipc(2): the SysV IPC calls behind one number, as compat_ksys_ipc;
# an unknown call is ENOSYS.
def compat_sys_ipc(task, call, first, second, third, ptr, fifth) -> int:
    call &= 0xFFFFFFFF
    version, call = call >> 16, call & 0xFFFF
    first, second = int_arg(first), int_arg(second)
    third, ptr, fifth = third & 0xFFFFFFFF, ptr & 0xFFFFFFFF, fifth & 0xFFFFFFFF
    if call == SEMOP:
        return sem._semop(task, first, ptr, second, None)
    if call == SEMTIMEDOP:
        return _semtimedop_time32(task, first, ptr, second, fifth)
    if call == SEMGET:
        return sem.sys_semget(task, first, second, third)
    if call == SEMCTL:
        return _ipc_semctl(task, first, second, third, ptr)
    if call == MSGSND:
        return compat_sys_msgsnd(task, first, ptr, second, third)
    if call == MSGRCV:
        return _ipc_msgrcv(task, first, second, third, ptr, fifth, version)
    if call == MSGGET:
        return msg.sys_msgget(task, first, second)
    if call == MSGCTL:
        return msg.sys_msgctl(task, first, second, ptr)
    if call == SHMAT:
        return _ipc_shmat(task, first, second, third, ptr, version)
    if call == SHMDT:
        return shm.sys_shmdt(task, ptr)
    if call == SHMGET:
        return shm.sys_shmget(task, first, second & 0xFFFFFFFF, third)
    if call == SHMCTL:
        return shm.sys_shmctl(task, first, second, ptr)
    raise KernelError(Errno.ENOSYS)
