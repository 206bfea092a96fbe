"""Fast user-space mutexes (kernel/futex/core.c, waitwake.c, requeue.c).

A futex is a 32-bit word in user memory. FUTEX_WAIT sleeps only if the word still holds
the expected value (checked under the hash-bucket lock in Linux; here nothing can run in
between); FUTEX_WAKE wakes sleepers on the same key. The key is (mm, address) for private
memory, and the physical page for a shared futex in a MAP_SHARED mapping, so processes
sharing the page meet on it.
"""
import struct

from glasskernel.kernel.sched.wait import WaitQueue, wait_event
from glasskernel.mm.uaccess import copy_from_user, get_user_u32, put_user_u32
from glasskernel.mm.mm_types import TASK_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError

FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = 0, 1, 2, 3, 4, 5
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
FUTEX_BITSET_MATCH_ANY = 0xFFFFFFFF


class FutexWaiter:
    __slots__ = ("task", "key", "bitset", "woken")

    def __init__(self, task, key, bitset):
        self.task = task
        self.key = key
        self.bitset = bitset
        self.woken = False


class FutexTable:
    """The futex hash: key → queue of waiters, in arrival order."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.queues: dict = {}

    def get_futex_key(self, mm, uaddr: int, shared: bool):
        """EINVAL if misaligned, EFAULT outside user space. A private futex is (mm,
        address) without touching memory; a shared one faults its page in first, as
        get_user_pages_fast does (EFAULT if unmapped or PROT_NONE), and is keyed by the
        page when the mapping is shared, else by (mm, address) like an anonymous page."""
        if uaddr & 3:
            raise KernelError(Errno.EINVAL)
        if not 0 <= uaddr < TASK_SIZE:
            raise KernelError(Errno.EFAULT)
        if not shared:
            return (id(mm), uaddr)
        from glasskernel.mm.memory import _user_page
        page = _user_page(mm, uaddr, False)
        vma = mm.vma_containing(uaddr)
        if vma is not None and vma.flags & VmFlags.VM_SHARED:
            return ("page", page)
        return (id(mm), uaddr)

    def queue(self, waiter) -> None:
        self.queues.setdefault(waiter.key, []).append(waiter)

    def unqueue(self, waiter) -> None:
        waiters = self.queues.get(waiter.key)
        if waiters and waiter in waiters:
            waiters.remove(waiter)
            if not waiters:
                del self.queues[waiter.key]

    def wake(self, key, nr: int, bitset: int = FUTEX_BITSET_MATCH_ANY) -> int:
        """Wake up to nr waiters whose bitset meets ``bitset``; nr <= 0 still wakes one,
        as futex_wake counts after waking (++ret >= nr_wake)."""
        nr = max(nr, 1)
        woken = 0
        for waiter in list(self.queues.get(key, ())):
            if woken >= nr:
                break
            if waiter.bitset & bitset:
                waiter.woken = True
                self.unqueue(waiter)
                self.kernel.sched.try_to_wake_up(waiter.task)
                woken += 1
        return woken

    def requeue(self, key1, key2, nr_wake: int, nr_requeue: int) -> int:
        """Wake nr_wake waiters of key1 (none for 0) and move up to nr_requeue more to key2."""
        woken = self.wake(key1, nr_wake) if nr_wake > 0 else 0
        moved = 0
        for waiter in list(self.queues.get(key1, ())):
            if moved >= nr_requeue:
                break
            self.unqueue(waiter)
            waiter.key = key2
            self.queue(waiter)
            moved += 1
        return woken + moved


def futex_wait(task, key, uaddr: int, val: int, timeout_ns, bitset: int) -> int:
    """Sleep if *uaddr == val; EAGAIN if it changed, ETIMEDOUT, or ERESTARTSYS on a signal."""
    table = task.kernel.futexes
    if get_user_u32(task, uaddr) != val & 0xFFFFFFFF:
        raise KernelError(Errno.EAGAIN)
    waiter = FutexWaiter(task, key, bitset)
    table.queue(waiter)
    try:
        done = wait_event(task, WaitQueue("futex"), lambda: waiter.woken, timeout_ns=timeout_ns)
    finally:
        table.unqueue(waiter)
    if not done:
        raise KernelError(Errno.ETIMEDOUT)
    return 0


def _timeout(task, utime: int, cmd: int, op: int, get=None):
    """Relative timeout for FUTEX_WAIT, absolute (monotonic or realtime) for WAIT_BITSET."""
    if not utime:
        return None
    from glasskernel.kernel.time import get_timespec64, monotonic_ns, realtime_ns
    ns = (get or get_timespec64)(task, utime)
    if cmd == FUTEX_WAIT:
        return ns
    now = realtime_ns(task) if op & FUTEX_CLOCK_REALTIME else monotonic_ns(task)
    return max(0, ns - now)


def _wake_op(task, table, key1, key2, uaddr2: int, nr_wake: int, nr_wake2: int, encoded: int) -> int:
    """FUTEX_WAKE_OP: atomically update *uaddr2, wake on uaddr, maybe wake on uaddr2."""
    op, cmp = (encoded >> 28) & 0xF, (encoded >> 24) & 0xF
    oparg, cmparg = (encoded >> 12) & 0xFFF, encoded & 0xFFF
    if op & 8:
        oparg = 1 << (oparg & 31)
        op &= 7
    old = get_user_u32(task, uaddr2)
    new = {0: oparg, 1: old + oparg, 2: old | oparg, 3: old & ~oparg, 4: old ^ oparg}.get(op)
    if new is None:
        raise KernelError(Errno.ENOSYS)
    put_user_u32(task, uaddr2, new & 0xFFFFFFFF)
    signed_old = old - (1 << 32) if old & 0x80000000 else old
    checks = {0: signed_old == cmparg, 1: signed_old != cmparg, 2: signed_old < cmparg,
              3: signed_old <= cmparg, 4: signed_old > cmparg, 5: signed_old >= cmparg}
    woken = table.wake(key1, nr_wake)
    if checks.get(cmp, False):
        woken += table.wake(key2, nr_wake2)
    return woken


def _s32(value: int) -> int:
    """A u32 syscall argument read as the kernel's int (nr_wake, nr_requeue)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def sys_futex(task, uaddr, op, val, utime, uaddr2, val3, *, get_timeout=None) -> int:
    """do_futex: argument checks of each command come before its keys (EINVAL, then
    EFAULT), the compare after them (EAGAIN), as in Linux. get_timeout reads the
    timeout (old_timespec32 for futex_time32)."""
    op &= 0xFFFFFFFF
    cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
    shared = not op & FUTEX_PRIVATE_FLAG
    if op & FUTEX_CLOCK_REALTIME and cmd not in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        raise KernelError(Errno.ENOSYS)
    table = task.kernel.futexes
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAKE, FUTEX_WAKE_BITSET):
        bitset = val3 & 0xFFFFFFFF if cmd in (FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET) \
            else FUTEX_BITSET_MATCH_ANY
        if not bitset:
            raise KernelError(Errno.EINVAL)
        key = table.get_futex_key(task.mm, uaddr, shared)
        if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
            return table.wake(key, _s32(val), bitset)
        timeout = _timeout(task, utime, cmd, op, get_timeout)
        return futex_wait(task, key, uaddr, val & 0xFFFFFFFF, timeout, bitset)
    if cmd not in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP):
        raise KernelError(Errno.ENOSYS)       # PI futexes and FUTEX_FD are not supported
    nr_wake, nr2 = _s32(val), _s32(utime)     # val2 travels in the timeout argument
    if cmd != FUTEX_WAKE_OP and (nr_wake < 0 or nr2 < 0):
        raise KernelError(Errno.EINVAL)
    key = table.get_futex_key(task.mm, uaddr, shared)
    key2 = table.get_futex_key(task.mm, uaddr2, shared)
    if cmd == FUTEX_WAKE_OP:
        return _wake_op(task, table, key, key2, uaddr2, nr_wake, nr2, val3 & 0xFFFFFFFF)
    if cmd == FUTEX_CMP_REQUEUE and get_user_u32(task, uaddr) != val3 & 0xFFFFFFFF:
        raise KernelError(Errno.EAGAIN)
    return table.requeue(key, key2, nr_wake, nr2)


FUTEX_WAITV_MAX = 128
FUTEX2_SIZE_U32 = 2                                  # FUTEX_32: a waiter's only size
FUTEXV_WAITER_MASK = FUTEX2_SIZE_U32 | FUTEX_PRIVATE_FLAG
CLOCK_REALTIME, CLOCK_MONOTONIC = 0, 1
_FUTEX_WAITV = struct.Struct("<QQII")                # struct futex_waitv: val, uaddr, flags


def sys_futex_waitv(task, waiters, nr_futexes, flags, timeout, clockid) -> int:
    """futex_waitv: sleep until one of up to 128 futexes is woken and return its index.
    EINVAL for flags, a count outside 1..128, a NULL array, a clock other than REALTIME or
    MONOTONIC or a waiter without FUTEX_32; then each key (EINVAL, EFAULT); EAGAIN if a
    word no longer holds its value; ETIMEDOUT at the absolute timeout."""
    nr = nr_futexes & 0xFFFFFFFF
    if flags & 0xFFFFFFFF or not nr or nr > FUTEX_WAITV_MAX or not waiters:
        raise KernelError(Errno.EINVAL)
    timeout_ns = None
    if timeout:
        clockid = _s32(clockid)
        if clockid not in (CLOCK_REALTIME, CLOCK_MONOTONIC):
            raise KernelError(Errno.EINVAL)
        from glasskernel.kernel.time import get_timespec64, monotonic_ns, realtime_ns
        expires = get_timespec64(task, timeout)
        now = realtime_ns(task) if clockid == CLOCK_REALTIME else monotonic_ns(task)
        timeout_ns = max(0, expires - now)
    entries = []
    for i in range(nr):                     # futex_parse_waitv: one copy and check at a time
        val, uaddr, wflags, reserved = _FUTEX_WAITV.unpack(
            copy_from_user(task, waiters + i * _FUTEX_WAITV.size, _FUTEX_WAITV.size))
        if wflags & ~FUTEXV_WAITER_MASK or reserved or not wflags & FUTEX2_SIZE_U32:
            raise KernelError(Errno.EINVAL)
        entries.append((val & 0xFFFFFFFF, uaddr, not wflags & FUTEX_PRIVATE_FLAG))
    table = task.kernel.futexes
    keys = [table.get_futex_key(task.mm, uaddr, shared) for _, uaddr, shared in entries]
    return futex_wait_multiple(task, entries, keys, timeout_ns)


def futex_wait_multiple(task, entries, keys, timeout_ns) -> int:
    """Queue on every key while each word holds its value, sleep until one is woken, and
    return the highest index woken (unqueue_multiple's answer)."""
    table = task.kernel.futexes
    waiters = []
    try:
        for (val, uaddr, _), key in zip(entries, keys):
            if get_user_u32(task, uaddr) != val:
                raise KernelError(Errno.EAGAIN)
            waiter = FutexWaiter(task, key, FUTEX_BITSET_MATCH_ANY)
            table.queue(waiter)
            waiters.append(waiter)
        wait_event(task, WaitQueue("futex_waitv"), lambda: any(w.woken for w in waiters),
                   timeout_ns=timeout_ns)
    finally:
        for waiter in waiters:
            table.unqueue(waiter)
    woken = [i for i, w in enumerate(waiters) if w.woken]
    if not woken:
        raise KernelError(Errno.ETIMEDOUT)
    return woken[-1]


def futex_wake_exiting(kernel, mm, uaddr: int, nr: int) -> int:
    """CLONE_CHILD_CLEARTID at exit: wake a joiner waiting on the tid word (shared key)."""
    try:
        key = kernel.futexes.get_futex_key(mm, uaddr, True)
    except KernelError:
        return 0
    return kernel.futexes.wake(key, nr)


__all__ = ["sys_futex", "sys_futex_waitv", "FutexTable", "futex_wake_exiting"]
