"""What the three System V IPC families share (ipc/util.c): ids, keys, permissions.

An object's id is its slot index plus a sequence number (seq << 15 | idx), so an id
of a removed object does not find its slot's next tenant. Slots are handed out
cyclically, as idr_alloc_cyclic does, and the sequence moves on each time the slots wrap.
"""
import struct
import time

from glasskernel.kernel.capability import capable
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.capability import CAP_IPC_OWNER, CAP_SYS_ADMIN
from glasskernel.uapi.errno import Errno, KernelError

IPC_PRIVATE = 0
IPC_CREAT, IPC_EXCL, IPC_NOWAIT = 0o1000, 0o2000, 0o4000
IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO = 0, 1, 2, 3
IPCMNI_SHIFT = 15
IPCMNI = 1 << IPCMNI_SHIFT
IPCID_SEQ_MAX = (1 << 31) >> IPCMNI_SHIFT
IPC_MIN_CYCLE = 64                  # RADIX_TREE_MAP_SIZE: the smallest window ids cycle in
S_IRWXUGO = 0o777
# struct ipc64_perm: key, uid, gid, cuid, cgid, mode (a short on x86-64), seq, padding
# to the two unused longs
IPC64_PERM = struct.Struct("<iIIIIH2xH2x4x16x")


def now_seconds() -> int:
    return int(time.time())


class KernIpcPerm:
    """struct kern_ipc_perm, the head of every shm segment, semaphore set and queue."""

    __slots__ = ("key", "id", "seq", "uid", "gid", "cuid", "cgid", "mode", "deleted")

    def __init__(self, key: int, mode: int, cred):
        self.key, self.mode = key, mode
        self.uid = self.cuid = cred.euid
        self.gid = self.cgid = cred.egid
        self.id = self.seq = 0
        self.deleted = False

    def pack(self) -> bytes:
        """kernel_to_ipc64_perm."""
        return IPC64_PERM.pack(self.key, self.uid, self.gid, self.cuid, self.cgid,
                               self.mode & 0xFFFF, self.seq & 0xFFFF)


class IpcIds:
    """struct ipc_ids: the objects of one family by slot, and the keyed ones by key.
    ``next_id`` is the kernel.*_next_id sysctl (CONFIG_CHECKPOINT_RESTORE): the id the
    next object gets, once, if it is not -1."""

    __slots__ = ("slots", "keys", "seq", "last_idx", "next_idx", "next_id")

    def __init__(self):
        self.slots = {}
        self.keys = {}
        self.seq = 0
        self.last_idx = -1
        self.next_idx = 0
        self.next_id = -1

    @property
    def in_use(self) -> int:
        return len(self.slots)

    def max_idx(self) -> int:
        """ipc_get_maxidx: the highest slot in use, -1 for none."""
        return max(self.slots, default=-1)

    def _free_slot(self, start: int, end: int):
        return next((i for i in range(start, end) if i not in self.slots), None)

    def addid(self, obj, limit: int) -> int:
        """ipc_addid: ENOSPC past ``limit`` objects. The slot is the next free one after
        the last handed out, cycling through the first max(1.5 x in use, 64) slots (as
        ipc_idr_alloc's idr_alloc_cyclic), the sequence moving on when it wraps; or the
        one next_id asks for (the first free from its index on, with its sequence)."""
        if len(self.slots) >= min(limit, IPCMNI):
            raise KernelError(Errno.ENOSPC)
        perm = obj.perm
        next_id, self.next_id = self.next_id, -1
        if next_id >= 0:
            idx = self._free_slot(next_id & (IPCMNI - 1), IPCMNI)
            if idx is None:
                raise KernelError(Errno.ENOSPC)
            perm.seq = next_id >> IPCMNI_SHIFT
        else:
            end = min(max(len(self.slots) * 3 // 2, IPC_MIN_CYCLE), IPCMNI)
            idx = self._free_slot(self.next_idx, end) if self.next_idx < end else None
            if idx is None:
                idx = self._free_slot(0, end)
            if idx is None:
                raise KernelError(Errno.ENOSPC)
            if idx <= self.last_idx:
                self.seq = (self.seq + 1) % IPCID_SEQ_MAX
            self.last_idx, self.next_idx = idx, idx + 1
            perm.seq = self.seq
        perm.id = (perm.seq << IPCMNI_SHIFT) + idx
        self.slots[idx] = obj
        if perm.key != IPC_PRIVATE:
            self.keys[perm.key] = obj
        return perm.id

    def rmid(self, obj) -> None:
        """ipc_rmid: the slot and the key go; sleepers see the object deleted."""
        perm = obj.perm
        self.slots.pop(perm.id & (IPCMNI - 1), None)
        self.set_key_private(obj)
        perm.deleted = True

    def set_key_private(self, obj) -> None:
        """ipc_set_key_private: nobody finds it by key any more."""
        if obj.perm.key != IPC_PRIVATE and self.keys.get(obj.perm.key) is obj:
            del self.keys[obj.perm.key]
        obj.perm.key = IPC_PRIVATE

    def obtain_object_idr(self, idx: int):
        """An object by slot (the *_STAT commands): EINVAL if none."""
        obj = self.slots.get(idx & (IPCMNI - 1)) if idx >= 0 else None
        if obj is None:
            raise KernelError(Errno.EINVAL)
        return obj

    def obtain_object_check(self, ipc_id: int):
        """ipc_obtain_object_check: EINVAL for a negative id, a free slot or a stale
        sequence number."""
        if ipc_id < 0:
            raise KernelError(Errno.EINVAL)
        obj = self.obtain_object_idr(ipc_id)
        if obj.perm.id != ipc_id:
            raise KernelError(Errno.EINVAL)
        return obj


def in_group_p(cred, gid: int) -> bool:
    return gid == cred.egid or gid in cred.groups


def ipcperms(task, perm: KernIpcPerm, flag: int) -> bool:
    """ipcperms: may the caller have the access bits in ``flag`` (0400/0200 forms)?
    Owner or creator, then group, then others; CAP_IPC_OWNER overrides."""
    cred = task.cred
    requested = (flag >> 6) | (flag >> 3) | flag
    granted = perm.mode
    if cred.euid in (perm.cuid, perm.uid):
        granted >>= 6
    elif in_group_p(cred, perm.cgid) or in_group_p(cred, perm.gid):
        granted >>= 3
    return not (requested & ~granted & 0o7) or capable(task, CAP_IPC_OWNER)


def ipcget(task, ids: IpcIds, key: int, flg: int, getnew, more_checks=None) -> int:
    """ipcget: IPC_PRIVATE always makes a new object; a key finds its object (EEXIST with
    IPC_CREAT|IPC_EXCL, EACCES without permission) or makes one with IPC_CREAT (else
    ENOENT)."""
    if key == IPC_PRIVATE:
        return getnew()
    obj = ids.keys.get(key)
    if obj is None:
        if not flg & IPC_CREAT:
            raise KernelError(Errno.ENOENT)
        return getnew()
    if flg & IPC_CREAT and flg & IPC_EXCL:
        raise KernelError(Errno.EEXIST)
    if more_checks is not None:
        more_checks(obj)
    if not ipcperms(task, obj.perm, flg):
        raise KernelError(Errno.EACCES)
    return obj.perm.id


def ipcctl_obtain_check(task, ids: IpcIds, ipc_id: int):
    """The object of an IPC_SET or IPC_RMID: only its owner, its creator or
    CAP_SYS_ADMIN may (EPERM)."""
    obj = ids.obtain_object_check(ipc_id)
    euid = task.cred.euid
    if euid in (obj.perm.cuid, obj.perm.uid) or capable(task, CAP_SYS_ADMIN):
        return obj
    raise KernelError(Errno.EPERM)


def read_ipc64_perm(task, addr: int, layout=None) -> tuple:
    """(uid, gid, mode) of the struct ipc64_perm at the head of an IPC_SET buffer."""
    raw = (layout or NATIVE_IPC).get(task, addr, "ipc64_perm")
    _key, uid, gid, _cuid, _cgid, mode, _seq = IPC64_PERM.unpack_from(raw)
    return uid, gid, mode


class NativeIpcLayout:
    """The *ctl calls' user structs in the x86-64 layout, which they build and read:
    put copies one out as it is, get reads the size of ``kind`` (ipc/compat.py's
    CompatIpcLayout converts to and from the i386 structs instead)."""

    __slots__ = ()
    SIZES = {"ipc64_perm": IPC64_PERM.size, "msqid64_ds": 120}

    def put(self, task, addr: int, data: bytes, kind: str) -> None:
        copy_to_user(task, addr, data)

    def get(self, task, addr: int, kind: str) -> bytes:
        return copy_from_user(task, addr, self.SIZES[kind])


NATIVE_IPC = NativeIpcLayout()


def ipc_update_perm(perm: KernIpcPerm, uid: int, gid: int, mode: int) -> None:
    """ipc_update_perm: new owner ids and permission bits (EINVAL for id -1)."""
    if uid == 0xFFFFFFFF or gid == 0xFFFFFFFF:
        raise KernelError(Errno.EINVAL)
    perm.uid, perm.gid = uid, gid
    perm.mode = (perm.mode & ~S_IRWXUGO) | (mode & S_IRWXUGO)


def pid_vnr_of(task, target) -> int:
    """A pid kept in an object (the creator, the last operator) as the caller sees it."""
    if target is None:
        return 0
    from glasskernel.kernel.sys import _vnr
    return _vnr(task, target, True)
