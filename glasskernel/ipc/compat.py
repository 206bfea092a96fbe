"""System V IPC for i386 (ipc/compat.c, the compat parts of ipc/msg.c, shm.c, sem.c and
ipc/syscall.c's compat_ksys_ipc).

A message's type is a compat_long_t (4 bytes) before its text; shmat's address comes
back as 32 bits; semtimedop's timeout is an old_timespec32. ``compat_sys_ipc`` is i386's
multiplexer (number 117): the call in the low 16 bits, a version above. The *ctl calls
are the native ones with ``CompatIpcLayout``, which turns their x86-64 structs into the
i386 IPC_64 ones (compat_ipc64_perm: 36 bytes; times as two u32 halves) and back. The
direct numbers always use the IPC_64 structs; through ipc(2) a cmd without IPC_64 asks for
the old ones, which are not provided (EINVAL for the commands that copy a struct).
"""
import struct

from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.ipc import msg, sem, shm
from glasskernel.ipc.namespace import ipc_ns_of
from glasskernel.ipc.util import (IPC64_PERM, IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT,
                                  ipcctl_obtain_check)
from glasskernel.kernel.compat import get_old_timespec32
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError

SEMOP, SEMGET, SEMCTL, SEMTIMEDOP = 1, 2, 3, 4
MSGSND, MSGRCV, MSGGET, MSGCTL = 11, 12, 13, 14
SHMAT, SHMDT, SHMGET, SHMCTL = 21, 22, 23, 24
_COMPAT_LONG = struct.Struct("<i")
_COMPAT_IPC_KLUDGE = struct.Struct("<Ii")   # struct compat_ipc_kludge: msgp, msgtyp
IPC_64 = 0x0100
# struct compat_ipc64_perm: key, uid, gid, cuid, cgid, mode (u16), seq (u16), two unused
_COMPAT_IPC64_PERM = struct.Struct("<iIIIIH2xH2x8x")
# the x86-64 tails after the perm (ipc/msg.py, sem.py, shm.py) and the i386 ones
_NATIVE_TAILS = {"msqid64_ds": struct.Struct("<qqqQQQii16x"),
                 "semid64_ds": struct.Struct("<q8xq8xQ16x"),
                 "shmid64_ds": struct.Struct("<QqqqiiQ16x")}
_COMPAT_MSQ_TAIL = struct.Struct("<9Iii8x")      # stime, rtime, ctime as lo/hi; cbytes, qnum, qbytes
_COMPAT_SEM_TAIL = struct.Struct("<5I8x")        # otime, ctime as lo/hi; nsems
_COMPAT_SHM_TAIL = struct.Struct("<7IiiI8x")     # segsz; atime, dtime, ctime as lo/hi; cpid, lpid, nattch
_SHM_INFO = struct.Struct("<i4x5Q")
_CTL_STRUCT_CMDS = {"msg": (IPC_STAT, IPC_SET, IPC_INFO, 11, 12, 13),
                    "sem": (IPC_STAT, IPC_SET, IPC_INFO, 18, 19, 20),
                    "shm": (IPC_STAT, IPC_SET, IPC_INFO, 13, 14, 15)}


def _lohi(t: int) -> tuple:
    return t & 0xFFFFFFFF, (t >> 32) & 0xFFFFFFFF


def _u32(v: int) -> int:
    return v & 0xFFFFFFFF


class CompatIpcLayout:
    """The i386 IPC_64 structs of the *ctl calls (to_compat_ipc64_perm,
    copy_compat_*_to_user, copy_compat_*_from_user)."""

    __slots__ = ()

    def put(self, task, addr: int, data: bytes, kind: str) -> None:
        """A native struct the ctl call built, stored as its compat counterpart."""
        copy_to_user(task, addr, self._convert(data, kind))

    @staticmethod
    def _convert(data: bytes, kind: str) -> bytes:
        if kind == "shminfo64":                      # nine unsigned longs
            return struct.pack("<9I", *(_u32(v) for v in struct.unpack("<9Q", data)))
        if kind == "shm_info":
            used, *rest = _SHM_INFO.unpack(data)
            return struct.pack("<i5I", used, *(_u32(v) for v in rest))
        if kind not in _NATIVE_TAILS:
            return data                              # msginfo, seminfo: ints on both
        key, uid, gid, cuid, cgid, mode, seq = IPC64_PERM.unpack_from(data)
        perm = _COMPAT_IPC64_PERM.pack(key, uid, gid, cuid, cgid, mode, seq)
        tail = _NATIVE_TAILS[kind].unpack_from(data, IPC64_PERM.size)
        if kind == "msqid64_ds":
            stime, rtime, ctime, cbytes, qnum, qbytes, lspid, lrpid = tail
            return perm + _COMPAT_MSQ_TAIL.pack(*_lohi(stime), *_lohi(rtime), *_lohi(ctime),
                                                _u32(cbytes), _u32(qnum), _u32(qbytes), lspid, lrpid)
        if kind == "semid64_ds":
            otime, ctime, nsems = tail
            return perm + _COMPAT_SEM_TAIL.pack(*_lohi(otime), *_lohi(ctime), _u32(nsems))
        segsz, atime, dtime, ctime, cpid, lpid, nattch = tail
        return perm + _COMPAT_SHM_TAIL.pack(_u32(segsz), *_lohi(atime), *_lohi(dtime),
                                            *_lohi(ctime), cpid, lpid, _u32(nattch))

    def get(self, task, addr: int, kind: str) -> bytes:
        """An IPC_SET struct read in the compat layout, returned in the native one (only
        the perm's uid, gid, mode and msg_qbytes are used)."""
        size = _COMPAT_IPC64_PERM.size + (_COMPAT_MSQ_TAIL.size if kind == "msqid64_ds" else 0)
        raw = copy_from_user(task, addr, size)
        _key, uid, gid, _cuid, _cgid, mode, _seq = _COMPAT_IPC64_PERM.unpack_from(raw)
        perm = IPC64_PERM.pack(0, uid, gid, 0, 0, mode, 0)
        if kind != "msqid64_ds":
            return perm
        qbytes = _COMPAT_MSQ_TAIL.unpack_from(raw, _COMPAT_IPC64_PERM.size)[8]
        return perm + _NATIVE_TAILS[kind].pack(0, 0, 0, 0, 0, qbytes, 0, 0)


COMPAT_IPC = CompatIpcLayout()


def _old_layout(cmd: int, which: str) -> None:
    """A cmd without IPC_64 from ipc(2) asks for the old structs, which are not provided:
    EINVAL for the commands that copy one."""
    if cmd in _CTL_STRUCT_CMDS[which]:
        raise KernelError(Errno.EINVAL)


def compat_ksys_msgctl(task, msqid, cmd, buf, version64: bool = True) -> int:
    """compat_ksys_msgctl: dispatched on cmd without IPC_64, which the callees still see
    (so IPC_STAT|IPC_64 returns the id, as MSG_STAT does, and IPC_SET|IPC_64 is EINVAL)."""
    msqid, cmd, buf = int_arg(msqid), int_arg(cmd), buf & 0xFFFFFFFF
    if msqid < 0 or cmd < 0:
        raise KernelError(Errno.EINVAL)
    base = cmd & ~IPC_64
    if not version64:
        _old_layout(base, "msg")
    ns = ipc_ns_of(task)
    if base in (IPC_INFO, msg.MSG_INFO):
        return msg.msgctl_info(task, ns, cmd, buf)
    if base in (IPC_STAT, msg.MSG_STAT, msg.MSG_STAT_ANY):
        return msg.msgctl_stat(task, ns, msqid, cmd, buf, COMPAT_IPC)
    if base in (IPC_SET, IPC_RMID):
        if cmd == base:
            return msg.msgctl_down(task, ns, msqid, cmd, buf, COMPAT_IPC)
        if base == IPC_SET:
            COMPAT_IPC.get(task, buf, "msqid64_ds")          # EFAULT first
        ipcctl_obtain_check(task, ns.msg_ids, msqid)
    raise KernelError(Errno.EINVAL)


def compat_ksys_semctl(task, semid, semnum, cmd, arg, version64: bool = True) -> int:
    """compat_ksys_semctl: as msgctl, dispatched on cmd without IPC_64; the semun is a u32."""
    semid, semnum, cmd, arg = int_arg(semid), int_arg(semnum), int_arg(cmd), arg & 0xFFFFFFFF
    if semid < 0:
        raise KernelError(Errno.EINVAL)
    base = cmd & ~IPC_64
    if not version64:
        _old_layout(base, "sem")
    if cmd == base or base == sem.SETVAL:
        return sem.sys_semctl(task, semid, semnum, base, arg, layout=COMPAT_IPC)
    ns = ipc_ns_of(task)
    if base in (IPC_INFO, sem.SEM_INFO):
        return sem.semctl_info(task, ns, cmd, arg)
    if base in (IPC_STAT, sem.SEM_STAT, sem.SEM_STAT_ANY):
        return sem.semctl_stat(task, ns, semid, cmd, arg, COMPAT_IPC)
    if base in (sem.GETALL, sem.GETVAL, sem.GETPID, sem.GETNCNT, sem.GETZCNT, sem.SETALL):
        sem.semctl_main(task, ns, semid, semnum, sem.GETVAL, arg)    # its checks, then
    elif base in (IPC_SET, IPC_RMID):
        if base == IPC_SET:
            COMPAT_IPC.get(task, arg, "semid64_ds")
        ipcctl_obtain_check(task, ns.sem_ids, semid)
    raise KernelError(Errno.EINVAL)                           # no case for the raw cmd


# compat_sys_msgctl: msgctl(2) of i386 (number 402): the IPC_64 structs whatever cmd says.
def compat_sys_msgctl(task, msqid, cmd, buf) -> int:
    return compat_ksys_msgctl(task, msqid, cmd, buf)


# compat_sys_semctl: semctl(2) of i386 (number 394).
def compat_sys_semctl(task, semid, semnum, cmd, arg) -> int:
    return compat_ksys_semctl(task, semid, semnum, cmd, arg)


# compat_sys_shmctl: shmctl(2) of i386 (number 396): cmd as it is (with IPC_64: EINVAL, as
# compat_ksys_shmctl's switch has no case for it), the IPC_64 structs.
def compat_sys_shmctl(task, shmid, cmd, buf) -> int:
    return shm.sys_shmctl(task, shmid, cmd, buf & 0xFFFFFFFF, layout=COMPAT_IPC)


def _old_ctl(task, which: str, ident: int, cmd: int, *rest) -> int:
    """compat_ksys_old_*ctl (ipc(2)): IPC_64 is taken off cmd and names the layout."""
    cmd = int_arg(cmd)
    version64 = bool(cmd & IPC_64)
    cmd &= ~IPC_64
    if which == "msg":
        return compat_ksys_msgctl(task, ident, cmd, *rest, version64=version64)
    if which == "sem":
        return compat_ksys_semctl(task, ident, rest[0], cmd, rest[1], version64=version64)
    if not version64:
        _old_layout(cmd, "shm")
    return shm.sys_shmctl(task, ident, cmd, rest[0] & 0xFFFFFFFF, layout=COMPAT_IPC)


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
    return _old_ctl(task, "sem", first, third, second, pad)


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
        return _old_ctl(task, "msg", first, second, ptr)
    if call == SHMAT:
        return _ipc_shmat(task, first, second, third, ptr, version)
    if call == SHMDT:
        return shm.sys_shmdt(task, ptr)
    if call == SHMGET:
        return shm.sys_shmget(task, first, second & 0xFFFFFFFF, third)
    if call == SHMCTL:
        return _old_ctl(task, "shm", first, second, ptr)
    raise KernelError(Errno.ENOSYS)
