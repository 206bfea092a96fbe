"""System V semaphores (ipc/sem.c): semget, semop, semtimedop, semctl, SEM_UNDO.

A semop applies all its operations or none. One that cannot go on yet (a decrement
below 0, a wait-for-zero on a non-zero value) queues a SemQueue on the set and sleeps;
every change of a value retries the queue in order, and a queued operation that now
succeeds is applied by the task that made it possible, which then wakes the sleeper with
its result (0, or EIDRM when the set is removed). A sleep ends with EAGAIN at the
timeout and EINTR on a signal, never restarted (as Linux: System V IPC calls are not).

SEM_UNDO keeps, per process (shared by CLONE_SYSVSEM), an adjustment per semaphore of
each set it used; exit_sem applies them, clamped to 0..SEMVMX.
"""
import struct

from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.ipc.namespace import SEMAEM, SEMVMX, ipc_ns_of
from glasskernel.ipc.util import (
    IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, KernIpcPerm, S_IRWXUGO,
    ipcctl_obtain_check, ipcget, ipcperms, ipc_update_perm, now_seconds, pid_vnr_of,
    NATIVE_IPC, read_ipc64_perm)
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import ERESTARTSYS, Errno, KernelError

SEM_UNDO = 0x1000
GETPID, GETVAL, GETALL, GETNCNT, GETZCNT, SETVAL, SETALL = 11, 12, 13, 14, 15, 16, 17
SEM_STAT, SEM_INFO, SEM_STAT_ANY = 18, 19, 20
SEMMNU = SEMMAP = 32000 * 32000
SEMUME, SEMUSZ = 500, 20
_SEMBUF = struct.Struct("<HhH")                    # sem_num, sem_op, sem_flg
_SEMID64_TAIL = struct.Struct("<q8xq8xQ16x")       # otime, ctime, nsems (x86-64 layout)
_SEMINFO = struct.Struct("<10i")


class Sem:
    __slots__ = ("semval", "sempid")

    def __init__(self):
        self.semval, self.sempid = 0, None


class SemArray:
    """struct sem_array: the semaphores, the sleeping operations, the undo entries."""

    __slots__ = ("perm", "ns", "sems", "otime", "ctime", "pending", "undos")

    def __init__(self, ns, key: int, mode: int, nsems: int, cred):
        self.perm = KernIpcPerm(key, mode, cred)
        self.ns = ns
        self.sems = [Sem() for _ in range(nsems)]
        self.otime, self.ctime = 0, now_seconds()
        self.pending = []                  # SemQueue, oldest first
        self.undos = []                    # SemUndo of every process that has one here


class SemQueue:
    """struct sem_queue: one sleeping semop."""

    __slots__ = ("task", "sops", "undo", "alter", "blocking", "status", "wq")

    def __init__(self, task, sops, undo, alter):
        from glasskernel.kernel.sched.wait import WaitQueue
        self.task, self.sops, self.undo, self.alter = task, sops, undo, alter
        self.blocking = None
        self.status = None                 # set by the waker: 0 or -errno
        self.wq = WaitQueue("semop")


class SemUndo:
    """struct sem_undo: one process's adjustments for one set (semid -1 once removed)."""

    __slots__ = ("semid", "semadj")

    def __init__(self, semid: int, nsems: int):
        self.semid, self.semadj = semid, [0] * nsems


class SemUndoList:
    """struct sem_undo_list: a process's SemUndo by semid, most recent first."""

    __slots__ = ("refcnt", "undos")

    def __init__(self):
        self.refcnt, self.undos = 1, []


# --- semget ---------------------------------------------------------------------------

def newary(task, ns, key: int, semflg: int, nsems: int) -> int:
    """newary: EINVAL for no semaphores, ENOSPC past semmns semaphores or semmni sets."""
    semmsl, semmns, _semopm, semmni = ns.sem_ctls
    if not nsems:
        raise KernelError(Errno.EINVAL)
    if ns.used_sems + nsems > semmns:
        raise KernelError(Errno.ENOSPC)
    sma = SemArray(ns, key, semflg & S_IRWXUGO, nsems, task.cred)
    semid = ns.sem_ids.addid(sma, semmni)
    ns.used_sems += nsems
    return semid


def sys_semget(task, key, nsems, semflg) -> int:
    """semget(2): EINVAL for nsems < 0 or > semmsl, or more than an existing set has."""
    ns = ipc_ns_of(task)
    key, nsems, semflg = int_arg(key), int_arg(nsems), semflg & 0xFFFFFFFF
    if nsems < 0 or nsems > ns.sem_ctls[0]:
        raise KernelError(Errno.EINVAL)

    def more_checks(sma):
        if nsems > len(sma.sems):
            raise KernelError(Errno.EINVAL)
    return ipcget(task, ns.sem_ids, key, semflg, lambda: newary(task, ns, key, semflg, nsems),
                  more_checks)


# --- the operations ---------------------------------------------------------------------

def perform_atomic_semop(sma: SemArray, sops, undo, task) -> tuple:
    """Apply the operations in order; on one that cannot go on, undo those done.
    Returns (result, blocking operation): 0 done; 1 must wait; -errno: EAGAIN for
    IPC_NOWAIT, ERANGE past SEMVMX or past the undo range."""
    done = []
    result, blocking = 0, None
    for sop in sops:
        num, op, flg = sop
        sem = sma.sems[num]
        value = sem.semval + op
        if (op == 0 and sem.semval) or value < 0:
            result = -Errno.EAGAIN if flg & IPC_NOWAIT else 1
            blocking = sop
            break
        if value > SEMVMX:
            result = -Errno.ERANGE
            break
        if flg & SEM_UNDO:
            adj = undo.semadj[num] - op
            if adj < -SEMAEM - 1 or adj > SEMAEM:
                result = -Errno.ERANGE
                break
            undo.semadj[num] = adj
        sem.semval = value
        done.append(sop)
    else:
        for num, _op, _flg in sops:
            sma.sems[num].sempid = task
        return 0, None
    for num, op, flg in reversed(done):
        sma.sems[num].semval -= op
        if flg & SEM_UNDO:
            undo.semadj[num] += op
    return result, blocking


def update_queue(sma: SemArray, kernel) -> None:
    """Retry the sleeping operations, oldest first, after values changed; each that
    completes (or fails) is unqueued and its sleeper woken with the result. A completed
    alteration may unblock an older one: the scan starts again."""
    again = True
    while again:
        again = False
        for q in list(sma.pending):
            result, blocking = perform_atomic_semop(sma, q.sops, q.undo, q.task)
            if result == 1:
                q.blocking = blocking
                continue
            sma.pending.remove(q)
            if result == 0:
                sma.otime = now_seconds()
                again = again or q.alter
            q.status = result
            q.wq.wake_up(kernel)
            if again:
                break


def _read_sops(task, tsops: int, nsops: int) -> list:
    raw = copy_from_user(task, tsops, nsops * _SEMBUF.size)
    return [_SEMBUF.unpack_from(raw, i * _SEMBUF.size) for i in range(nsops)]


def get_undo_list(task) -> SemUndoList:
    ulp = task.sysvsem
    if ulp is None:
        ulp = task.sysvsem = SemUndoList()
    return ulp


def find_alloc_undo(task, ns, semid: int) -> SemUndo:
    """The caller's SemUndo for the set, made (zeroed) the first time."""
    ulp = get_undo_list(task)
    for un in ulp.undos:
        if un.semid == semid:
            return un
    sma = ns.sem_ids.obtain_object_check(semid)
    un = SemUndo(semid, len(sma.sems))
    ulp.undos.insert(0, un)
    sma.undos.append(un)
    return un


def do_semtimedop(task, semid: int, sops: list, timeout_ns) -> int:
    """__do_semtimedop: EFBIG for a semaphore number past the set, EACCES without write
    (alter) or read (wait-for-zero) permission; then apply now or sleep."""
    ns = ipc_ns_of(task)
    if semid < 0:
        raise KernelError(Errno.EINVAL)
    if timeout_ns is not None and (timeout_ns[0] < 0 or not 0 <= timeout_ns[1] < 10**9):
        raise KernelError(Errno.EINVAL)
    alter = any(op for _n, op, _f in sops)
    undo = find_alloc_undo(task, ns, semid) if any(f & SEM_UNDO for _n, _o, f in sops) else None
    sma = ns.sem_ids.obtain_object_check(semid)
    if max(n for n, _o, _f in sops) >= len(sma.sems):
        raise KernelError(Errno.EFBIG)
    if not ipcperms(task, sma.perm, 0o222 if alter else 0o444):
        raise KernelError(Errno.EACCES)
    if undo is not None and undo.semid == -1:
        raise KernelError(Errno.EIDRM)
    result, blocking = perform_atomic_semop(sma, sops, undo, task)
    if result == 0:
        sma.otime = now_seconds()
        if alter:
            update_queue(sma, task.kernel)
        return 0
    if result < 0:
        raise KernelError(-result)
    return _sleep(task, sma, SemQueue(task, sops, undo, alter), blocking, timeout_ns)


def _sleep(task, sma: SemArray, q: SemQueue, blocking, timeout_ns) -> int:
    """Queue the operation and sleep until a waker settles it, the timeout (EAGAIN) or
    a signal (EINTR)."""
    from glasskernel.kernel.sched.wait import SlowPathRequired, wait_event
    if task.kernel.in_fast_syscall:
        raise SlowPathRequired()            # nothing has changed: rerun where we may sleep
    q.blocking = blocking
    sma.pending.append(q)
    ns_timeout = None if timeout_ns is None else timeout_ns[0] * 10**9 + timeout_ns[1]
    try:
        settled = wait_event(task, q.wq, lambda: q.status is not None, timeout_ns=ns_timeout)
    except KernelError as err:
        if err.errno != ERESTARTSYS:
            raise
        settled = None
    if q.status is not None:
        if q.status:
            raise KernelError(-q.status)
        return 0
    sma.pending.remove(q)
    raise KernelError(Errno.EAGAIN if settled is False else Errno.EINTR)


def sys_semtimedop(task, semid, tsops, nsops, timeout) -> int:
    """semtimedop(2): semop with a relative timeout (EAGAIN when it passes)."""
    from glasskernel.fs.select import get_timespec
    spec = get_timespec(task, timeout) if timeout else None
    return _semop(task, semid, tsops, nsops, spec)


def sys_semop(task, semid, tsops, nsops) -> int:
    """semop(2)."""
    return _semop(task, semid, tsops, nsops, None)


def _semop(task, semid, tsops, nsops, spec) -> int:
    ns = ipc_ns_of(task)
    nsops = nsops & 0xFFFFFFFF
    if nsops > ns.sem_ctls[2]:
        raise KernelError(Errno.E2BIG)
    if nsops < 1:
        raise KernelError(Errno.EINVAL)
    return do_semtimedop(task, int_arg(semid), _read_sops(task, tsops, nsops), spec)


# --- removal and exit -------------------------------------------------------------------

def freeary(sma: SemArray, kernel) -> None:
    """IPC_RMID: undo entries die (semid -1), sleepers wake with EIDRM, the id goes."""
    ns = sma.ns
    for un in sma.undos:
        un.semid = -1
    sma.undos.clear()
    for q in sma.pending:
        q.status = -Errno.EIDRM
        q.wq.wake_up(kernel)
    sma.pending.clear()
    ns.used_sems -= len(sma.sems)
    ns.sem_ids.rmid(sma)


def exit_sem(task) -> None:
    """exit_sem: the last user of an undo list applies its adjustments, newest first,
    each value clamped to 0..SEMVMX, and lets waiting operations retry."""
    ulp, task.sysvsem = task.sysvsem, None
    if ulp is None:
        return
    ulp.refcnt -= 1
    if ulp.refcnt:
        return
    ns = ipc_ns_of(task)
    for un in ulp.undos:
        if un.semid == -1:
            continue
        sma = ns.sem_ids.slots.get(un.semid & 0x7FFF)
        if sma is None or sma.perm.id != un.semid:
            continue
        sma.undos.remove(un)
        for num, adj in enumerate(un.semadj):
            if adj:
                sem = sma.sems[num]
                sem.semval = min(max(sem.semval + adj, 0), SEMVMX)
                sem.sempid = task
        update_queue(sma, task.kernel)


def copy_semundo(flags: int, current, p) -> None:
    """fork: CLONE_SYSVSEM shares the undo list, otherwise the child starts without."""
    from glasskernel.uapi.sched import CLONE_SYSVSEM
    if flags & CLONE_SYSVSEM and current.sysvsem is not None:
        current.sysvsem.refcnt += 1
        p.sysvsem = current.sysvsem
    else:
        p.sysvsem = None


# --- semctl -----------------------------------------------------------------------------

def _semid64_ds(task, sma: SemArray) -> bytes:
    return sma.perm.pack() + _SEMID64_TAIL.pack(sma.otime, sma.ctime, len(sma.sems))


def semctl_stat(task, ns, semid: int, cmd: int, buf: int, layout=NATIVE_IPC) -> int:
    sma = ns.sem_ids.obtain_object_idr(semid) if cmd in (SEM_STAT, SEM_STAT_ANY) else \
        ns.sem_ids.obtain_object_check(semid)       # (IPC_STAT, with IPC_64 or not)
    if cmd != SEM_STAT_ANY and not ipcperms(task, sma.perm, 0o444):
        raise KernelError(Errno.EACCES)
    layout.put(task, buf, _semid64_ds(task, sma), "semid64_ds")
    return 0 if cmd == IPC_STAT else sma.perm.id


def semctl_info(task, ns, cmd: int, buf: int) -> int:
    semmsl, semmns, semopm, semmni = ns.sem_ctls
    ids = ns.sem_ids
    usz, aem = (ids.in_use, ns.used_sems) if cmd == SEM_INFO else (SEMUSZ, SEMAEM)
    copy_to_user(task, buf, _SEMINFO.pack(SEMMAP & 0x7FFFFFFF, semmni, semmns, SEMMNU & 0x7FFFFFFF,
                                          semmsl, semopm, SEMUME, usz, SEMVMX, aem))
    return max(ids.max_idx(), 0)


def _set_values(task, sma: SemArray, values: dict) -> None:
    """SETVAL/SETALL: new values, the adjustments of those semaphores forgotten."""
    for num, val in values.items():
        sma.sems[num].semval = val
        sma.sems[num].sempid = task
        for un in sma.undos:
            un.semadj[num] = 0
    sma.ctime = now_seconds()
    update_queue(sma, task.kernel)


def semctl_setval(task, ns, semid: int, semnum: int, val: int) -> int:
    if val > SEMVMX or val < 0:
        raise KernelError(Errno.ERANGE)
    sma = ns.sem_ids.obtain_object_check(semid)
    if semnum < 0 or semnum >= len(sma.sems):
        raise KernelError(Errno.EINVAL)
    if not ipcperms(task, sma.perm, 0o222):
        raise KernelError(Errno.EACCES)
    _set_values(task, sma, {semnum: val})
    return 0


def count_semcnt(sma: SemArray, semnum: int, zero: bool) -> int:
    """GETNCNT/GETZCNT: sleepers whose blocking operation waits for an increase (or
    for zero) of this semaphore."""
    return sum(1 for q in sma.pending if q.blocking[0] == semnum and
               (q.blocking[1] == 0 if zero else q.blocking[1] < 0))


def semctl_main(task, ns, semid: int, semnum: int, cmd: int, arg: int) -> int:
    """GETALL/SETALL (arrays of unsigned shorts) and the per-semaphore getters."""
    sma = ns.sem_ids.obtain_object_check(semid)
    nsems = len(sma.sems)
    if not ipcperms(task, sma.perm, 0o222 if cmd == SETALL else 0o444):
        raise KernelError(Errno.EACCES)
    if cmd == GETALL:
        copy_to_user(task, arg, struct.pack(f"<{nsems}H", *(s.semval for s in sma.sems)))
        return 0
    if cmd == SETALL:
        values = struct.unpack(f"<{nsems}H", copy_from_user(task, arg, 2 * nsems))
        if any(v > SEMVMX for v in values):
            raise KernelError(Errno.ERANGE)
        _set_values(task, sma, dict(enumerate(values)))
        return 0
    if semnum < 0 or semnum >= nsems:
        raise KernelError(Errno.EINVAL)
    sem = sma.sems[semnum]
    if cmd == GETVAL:
        return sem.semval
    if cmd == GETPID:
        return pid_vnr_of(task, sem.sempid)
    return count_semcnt(sma, semnum, cmd == GETZCNT)


def semctl_down(task, ns, semid: int, cmd: int, arg: int, layout=NATIVE_IPC) -> int:
    new = read_ipc64_perm(task, arg, layout) if cmd == IPC_SET else None
    sma = ipcctl_obtain_check(task, ns.sem_ids, semid)
    if cmd == IPC_RMID:
        freeary(sma, task.kernel)
        return 0
    ipc_update_perm(sma.perm, *new)
    sma.ctime = now_seconds()
    return 0


def sys_semctl(task, semid, semnum, cmd, arg, *, layout=NATIVE_IPC) -> int:
    """semctl(2): the fourth argument is the union semun, passed by value; layout: the
    user structs' (the i386 ones for compat_sys_semctl)."""
    semid, semnum, cmd = int_arg(semid), int_arg(semnum), int_arg(cmd)
    if semid < 0:
        raise KernelError(Errno.EINVAL)
    ns = ipc_ns_of(task)
    if cmd in (IPC_INFO, SEM_INFO):
        return semctl_info(task, ns, cmd, arg)
    if cmd in (IPC_STAT, SEM_STAT, SEM_STAT_ANY):
        return semctl_stat(task, ns, semid, cmd, arg, layout)
    if cmd in (GETALL, GETVAL, GETPID, GETNCNT, GETZCNT, SETALL):
        return semctl_main(task, ns, semid, semnum, cmd, arg)
    if cmd == SETVAL:
        return semctl_setval(task, ns, semid, semnum, int_arg(arg & 0xFFFFFFFF))
    if cmd in (IPC_SET, IPC_RMID):
        return semctl_down(task, ns, semid, cmd, arg, layout)
    raise KernelError(Errno.EINVAL)
