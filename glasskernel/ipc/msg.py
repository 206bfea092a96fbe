"""System V message queues (ipc/msg.c): msgget, msgsnd, msgrcv, msgctl.

A queue holds (type, bytes) messages in order, bounded by q_qbytes bytes (and as many
messages). A receiver that finds nothing sleeps as a MsgReceiver; a sender hands a new
message straight to the first sleeping receiver it suits (pipelined_send), else queues it.
A sender that does not fit sleeps until a receive makes room. Removal wakes everyone with
EIDRM; a signal ends a sleep with ERESTARTNOHAND (EINTR once a handler runs).
"""
import struct

from glasskernel.arch.x86.entry.args import int_arg, long_arg
from glasskernel.ipc.namespace import ipc_ns_of
from glasskernel.ipc.util import (
    IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, IPC64_PERM, KernIpcPerm, S_IRWXUGO,
    NATIVE_IPC, ipcctl_obtain_check, ipcget, ipcperms, ipc_update_perm, now_seconds, pid_vnr_of)
from glasskernel.kernel.capability import capable
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.capability import CAP_SYS_RESOURCE
from glasskernel.uapi.errno import ERESTARTNOHAND, ERESTARTSYS, Errno, KernelError

MSG_STAT, MSG_INFO, MSG_STAT_ANY = 11, 12, 13
MSG_NOERROR, MSG_EXCEPT, MSG_COPY = 0o10000, 0o20000, 0o40000
SEARCH_ANY, SEARCH_EQUAL, SEARCH_NOTEQUAL, SEARCH_LESSEQUAL, SEARCH_NUMBER = 1, 2, 3, 4, 5
MSGPOOL, MSGMAP, MSGTQL, MSGSSZ, MSGSEG = 32000 * 16384 // 1024, 16384, 16384, 16, 0xFFFF
INT_MAX, LONG_MAX = 0x7FFFFFFF, (1 << 63) - 1
_LONG = struct.Struct("<q")
# struct msqid64_ds after its ipc64_perm: stime rtime ctime, cbytes qnum qbytes, lspid lrpid
_MSQID64_TAIL = struct.Struct("<qqqQQQii16x")
_MSGINFO = struct.Struct("<7iH2x")


class MsgQueue:
    """struct msg_queue."""

    __slots__ = ("perm", "ns", "messages", "cbytes", "qbytes", "stime", "rtime", "ctime",
                 "lspid", "lrpid", "receivers", "senders")

    def __init__(self, ns, key: int, mode: int, cred):
        self.perm = KernIpcPerm(key, mode, cred)
        self.ns = ns
        self.messages = []                 # [type, bytes], oldest first
        self.cbytes, self.qbytes = 0, ns.msg_ctlmnb
        self.stime = self.rtime = 0
        self.ctime = now_seconds()
        self.lspid = self.lrpid = None
        self.receivers = []                # MsgReceiver, oldest first
        self.senders = []                  # MsgSender

    def fits(self, size: int) -> bool:
        """msg_fits_inqueue: bytes and message count both within q_qbytes."""
        return size + self.cbytes <= self.qbytes and 1 + len(self.messages) <= self.qbytes


class MsgReceiver:
    """struct msg_receiver: a sleeping msgrcv; ``msg`` is set by whoever settles it
    (a message, or an errno: E2BIG, EIDRM, or EAGAIN meaning "look again")."""

    __slots__ = ("task", "msgtype", "mode", "maxsize", "msg", "wq")

    def __init__(self, task, msgtype, mode, maxsize):
        from glasskernel.kernel.sched.wait import WaitQueue
        self.task, self.msgtype, self.mode, self.maxsize = task, msgtype, mode, maxsize
        self.msg = None
        self.wq = WaitQueue("msgrcv")


class MsgSender:
    __slots__ = ("task", "size", "wq")

    def __init__(self, task, size):
        from glasskernel.kernel.sched.wait import WaitQueue
        self.task, self.size, self.wq = task, size, WaitQueue("msgsnd")


# --- msgget -----------------------------------------------------------------------------

def newque(task, ns, key: int, msgflg: int) -> int:
    msq = MsgQueue(ns, key, msgflg & S_IRWXUGO, task.cred)
    return ns.msg_ids.addid(msq, ns.msg_ctlmni)


def sys_msgget(task, key, msgflg) -> int:
    """msgget(2)."""
    ns = ipc_ns_of(task)
    key, msgflg = int_arg(key), msgflg & 0xFFFFFFFF
    return ipcget(task, ns.msg_ids, key, msgflg, lambda: newque(task, ns, key, msgflg))


# --- sleeping ---------------------------------------------------------------------------

def _sleep(task, wq, done) -> bool:
    """Sleep on wq until done(); False if a signal came first."""
    from glasskernel.kernel.sched.wait import wait_event
    try:
        wait_event(task, wq, done)
    except KernelError as err:
        if err.errno != ERESTARTSYS:
            raise
        return done()
    return True


def _must_sleep(task) -> None:
    from glasskernel.kernel.sched.wait import SlowPathRequired
    if task.kernel.in_fast_syscall:
        raise SlowPathRequired()            # nothing has changed: rerun where we may sleep


def ss_wakeup(msq: MsgQueue, kernel) -> None:
    """Wake the sleeping senders: each checks again whether its message fits."""
    for sender in list(msq.senders):
        sender.wq.wake_up(kernel)


def expunge_all(msq: MsgQueue, res: int, kernel) -> None:
    """Settle every sleeping receiver with -res."""
    for msr in msq.receivers:
        msr.msg = -res
        msr.wq.wake_up(kernel)
    msq.receivers.clear()


# --- msgsnd -----------------------------------------------------------------------------

def testmsg(mtype: int, want: int, mode: int) -> bool:
    if mode in (SEARCH_ANY, SEARCH_NUMBER):
        return True
    if mode == SEARCH_LESSEQUAL:
        return mtype <= want
    if mode == SEARCH_EQUAL:
        return mtype == want
    return mtype != want                    # SEARCH_NOTEQUAL


def pipelined_send(task, msq: MsgQueue, msg: list) -> bool:
    """Give the message to the first sleeping receiver it suits (one too small for it
    gets E2BIG and the search goes on); True if one took it."""
    for msr in list(msq.receivers):
        if not testmsg(msg[0], msr.msgtype, msr.mode):
            continue
        msq.receivers.remove(msr)
        if msr.maxsize < len(msg[1]):
            msr.msg = -Errno.E2BIG
            msr.wq.wake_up(task.kernel)
            continue
        msq.lrpid, msq.rtime = msr.task, now_seconds()
        msr.msg = msg
        msr.wq.wake_up(task.kernel)
        return True
    return False


def do_msgsnd(task, msqid: int, mtype: int, text: bytes, msgflg: int) -> int:
    ns = ipc_ns_of(task)
    msq = ns.msg_ids.obtain_object_check(msqid)
    while True:
        if not ipcperms(task, msq.perm, 0o222):
            raise KernelError(Errno.EACCES)
        if msq.perm.deleted:
            raise KernelError(Errno.EIDRM)
        if msq.fits(len(text)):
            break
        if msgflg & IPC_NOWAIT:
            raise KernelError(Errno.EAGAIN)
        _must_sleep(task)
        sender = MsgSender(task, len(text))
        msq.senders.append(sender)
        interrupted = not _sleep(task, sender.wq, lambda: msq.perm.deleted or msq.fits(len(text)))
        msq.senders.remove(sender)
        if msq.perm.deleted:
            raise KernelError(Errno.EIDRM)
        if interrupted:
            raise KernelError(ERESTARTNOHAND)
    msq.lspid, msq.stime = task, now_seconds()
    msg = [mtype, text]
    if not pipelined_send(task, msq, msg):
        msq.messages.append(msg)
        msq.cbytes += len(text)
    return 0


def sys_msgsnd(task, msqid, msgp, msgsz, msgflg) -> int:
    """msgsnd(2): EFAULT for the type first, then EINVAL for a size past msgmax, a
    negative id or a type below 1."""
    mtype = _LONG.unpack(copy_from_user(task, msgp, 8))[0]
    ns = ipc_ns_of(task)
    msqid, msgsz = int_arg(msqid), long_arg(msgsz)
    if msgsz > ns.msg_ctlmax or msgsz < 0 or msqid < 0 or mtype < 1:
        raise KernelError(Errno.EINVAL)
    text = copy_from_user(task, msgp + 8, msgsz) if msgsz else b""
    return do_msgsnd(task, msqid, mtype, text, msgflg & 0xFFFFFFFF)


# --- msgrcv -----------------------------------------------------------------------------

def convert_mode(msgtyp: int, msgflg: int) -> tuple:
    """(search mode, type): a negative type asks for the lowest type up to -type."""
    if msgflg & MSG_COPY:
        return SEARCH_NUMBER, msgtyp
    if msgtyp == 0:
        return SEARCH_ANY, msgtyp
    if msgtyp < 0:
        return SEARCH_LESSEQUAL, LONG_MAX if msgtyp == -(1 << 63) else -msgtyp
    return (SEARCH_NOTEQUAL if msgflg & MSG_EXCEPT else SEARCH_EQUAL), msgtyp


def find_msg(msq: MsgQueue, msgtyp: int, mode: int):
    """The first matching message (the lowest type for SEARCH_LESSEQUAL, the msgtyp-th
    for MSG_COPY); None if there is none."""
    if mode == SEARCH_NUMBER:
        return msq.messages[msgtyp] if 0 <= msgtyp < len(msq.messages) else None
    found = None
    for msg in msq.messages:
        if testmsg(msg[0], msgtyp, mode):
            if mode != SEARCH_LESSEQUAL:
                return msg
            if found is None or msg[0] < found[0]:
                found = msg
    return found


def _take(task, msq: MsgQueue, msg: list) -> None:
    msq.messages.remove(msg)
    msq.rtime, msq.lrpid = now_seconds(), task
    msq.cbytes -= len(msg[1])
    ss_wakeup(msq, task.kernel)


def do_msgrcv(task, msqid: int, bufsz: int, msgtyp: int, msgflg: int) -> list:
    """The message msgrcv returns: E2BIG if it is longer than bufsz (without
    MSG_NOERROR), ENOMSG with IPC_NOWAIT, else sleep for one."""
    ns = ipc_ns_of(task)
    if msqid < 0 or bufsz < 0:
        raise KernelError(Errno.EINVAL)
    if msgflg & MSG_COPY and (msgflg & MSG_EXCEPT or not msgflg & IPC_NOWAIT):
        raise KernelError(Errno.EINVAL)
    mode, msgtyp = convert_mode(msgtyp, msgflg)
    msq = ns.msg_ids.obtain_object_check(msqid)
    while True:
        if not ipcperms(task, msq.perm, 0o444):
            raise KernelError(Errno.EACCES)
        if msq.perm.deleted:
            raise KernelError(Errno.EIDRM)
        msg = find_msg(msq, msgtyp, mode)
        if msg is not None:
            if bufsz < len(msg[1]) and not msgflg & MSG_NOERROR:
                raise KernelError(Errno.E2BIG)
            if not msgflg & MSG_COPY:
                _take(task, msq, msg)
            return msg
        if msgflg & IPC_NOWAIT:
            raise KernelError(Errno.ENOMSG)
        _must_sleep(task)
        msr = MsgReceiver(task, msgtyp, mode, INT_MAX if msgflg & MSG_NOERROR else bufsz)
        msq.receivers.append(msr)
        settled = _sleep(task, msr.wq, lambda: msr.msg is not None)
        if isinstance(msr.msg, list):
            return msr.msg
        if msr.msg is not None and msr.msg != -Errno.EAGAIN:
            raise KernelError(-msr.msg)
        if msr in msq.receivers:
            msq.receivers.remove(msr)
        if not settled:
            raise KernelError(ERESTARTNOHAND)


def sys_msgrcv(task, msqid, msgp, msgsz, msgtyp, msgflg) -> int:
    """msgrcv(2): the type, then the text cut to msgsz (MSG_NOERROR); the length."""
    msgsz = long_arg(msgsz)
    mtype, text = do_msgrcv(task, int_arg(msqid), msgsz, long_arg(msgtyp),
                            msgflg & 0xFFFFFFFF)
    text = text[:msgsz]
    copy_to_user(task, msgp, _LONG.pack(mtype) + text)
    return len(text)


# --- msgctl -----------------------------------------------------------------------------

def freeque(msq: MsgQueue, kernel) -> None:
    """IPC_RMID: receivers and senders wake to EIDRM, the messages and the id go."""
    ns = msq.ns
    ns.msg_ids.rmid(msq)
    expunge_all(msq, Errno.EIDRM, kernel)
    ss_wakeup(msq, kernel)
    msq.messages.clear()
    msq.cbytes = 0


def _msqid64_ds(task, msq: MsgQueue) -> bytes:
    return msq.perm.pack() + _MSQID64_TAIL.pack(
        msq.stime, msq.rtime, msq.ctime, msq.cbytes, len(msq.messages), msq.qbytes,
        pid_vnr_of(task, msq.lspid), pid_vnr_of(task, msq.lrpid))


def msgctl_stat(task, ns, msqid: int, cmd: int, buf: int, layout=NATIVE_IPC) -> int:
    msq = ns.msg_ids.obtain_object_idr(msqid) if cmd in (MSG_STAT, MSG_STAT_ANY) else \
        ns.msg_ids.obtain_object_check(msqid)       # (IPC_STAT, with IPC_64 or not)
    if cmd != MSG_STAT_ANY and not ipcperms(task, msq.perm, 0o444):
        raise KernelError(Errno.EACCES)
    layout.put(task, buf, _msqid64_ds(task, msq), "msqid64_ds")
    return 0 if cmd == IPC_STAT else msq.perm.id


def msgctl_info(task, ns, cmd: int, buf: int) -> int:
    ids = ns.msg_ids
    if cmd == MSG_INFO:
        hdrs = sum(len(q.messages) for q in ids.slots.values())
        nbytes = sum(q.cbytes for q in ids.slots.values())
        pool, msgmap, tql = ids.in_use, min(hdrs, INT_MAX), min(nbytes, INT_MAX)
    else:
        pool, msgmap, tql = MSGPOOL, MSGMAP, MSGTQL
    copy_to_user(task, buf, _MSGINFO.pack(pool, msgmap, ns.msg_ctlmax, ns.msg_ctlmnb,
                                          ns.msg_ctlmni, MSGSSZ, tql, MSGSEG))
    return max(ids.max_idx(), 0)


def msgctl_down(task, ns, msqid: int, cmd: int, buf: int, layout=NATIVE_IPC) -> int:
    """IPC_SET (owner, mode, q_qbytes: above msgmnb needs CAP_SYS_RESOURCE) and
    IPC_RMID."""
    new = None
    if cmd == IPC_SET:
        raw = layout.get(task, buf, "msqid64_ds")
        _k, uid, gid, _cu, _cg, mode, _seq = IPC64_PERM.unpack_from(raw)
        qbytes = _MSQID64_TAIL.unpack_from(raw, IPC64_PERM.size)[5]
        new = (uid, gid, mode)
    msq = ipcctl_obtain_check(task, ns.msg_ids, msqid)
    if cmd == IPC_RMID:
        freeque(msq, task.kernel)
        return 0
    if qbytes > ns.msg_ctlmnb and not capable(task, CAP_SYS_RESOURCE):
        raise KernelError(Errno.EPERM)
    ipc_update_perm(msq.perm, *new)
    msq.qbytes = qbytes
    msq.ctime = now_seconds()
    expunge_all(msq, Errno.EAGAIN, task.kernel)     # receivers look again
    ss_wakeup(msq, task.kernel)                      # room may have appeared
    return 0


def sys_msgctl(task, msqid, cmd, buf, *, layout=NATIVE_IPC) -> int:
    """msgctl(2); layout: the user structs' (the i386 ones for compat_sys_msgctl)."""
    msqid, cmd = int_arg(msqid), int_arg(cmd)
    if msqid < 0 or cmd < 0:
        raise KernelError(Errno.EINVAL)
    ns = ipc_ns_of(task)
    if cmd in (IPC_INFO, MSG_INFO):
        return msgctl_info(task, ns, cmd, buf)
    if cmd in (IPC_STAT, MSG_STAT, MSG_STAT_ANY):
        return msgctl_stat(task, ns, msqid, cmd, buf, layout)
    if cmd in (IPC_SET, IPC_RMID):
        return msgctl_down(task, ns, msqid, cmd, buf, layout)
    raise KernelError(Errno.EINVAL)
