"""Leases (fs/locks.c: fcntl_setlease, fcntl_getlease, __break_lease).

A lease lets the holder know, by a signal, that another open of the file is coming: a
read lease is broken by an open for writing, a write lease by any open. The opener waits
until the holder gives the lease up or downgrades it, or until lease-break-time seconds
pass (then the kernel does it for the holder); with O_NONBLOCK it gets EWOULDBLOCK at once.

Linux counts the opens of an inode (i_readcount, i_writecount) to refuse a lease that
another open already breaks; we count the same opens by walking the descriptor tables,
which costs something only when a lease is asked for.
"""
from glasskernel.kernel.capability import capable
from glasskernel.uapi.capability import CAP_LEASE
from glasskernel.fs.fcntl_owner import (POLL_MSG, PIDTYPE_TGID, __f_setown, file_owner,
                                        send_sigio)
from glasskernel.fs.locks import (F_RDLCK, F_UNLCK, F_WRLCK, FL_DOWNGRADE_PENDING, FL_LEASE,
                                  FL_UNLOCK_PENDING, FileLock, _delete_lock, _insert_lock,
                                  file_locks, locks_conflict, locks_delete_block,
                                  locks_get_lock_context, locks_inode_key, locks_insert_block,
                                  locks_put_context, locks_wake_up_blocks, task_lock_pid)
from glasskernel.kernel.sched.wait import SlowPathRequired, WaitQueue, wait_event
from glasskernel.kernel.time import monotonic_ns
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_ACCMODE, O_NONBLOCK, O_RDONLY
from glasskernel.uapi.stat import S_ISREG


class LeaseSysctl:
    """fs.leases-enable and fs.lease-break-time (seconds)."""

    __slots__ = ("leases_enable", "lease_break_time")

    def __init__(self):
        self.leases_enable = 1
        self.lease_break_time = 45


lease_sysctl = LeaseSysctl()



def lease_breaking(fl: FileLock) -> bool:
    return bool(fl.flags & (FL_UNLOCK_PENDING | FL_DOWNGRADE_PENDING))


def target_leasetype(fl: FileLock) -> int:
    """What the lease will be once its pending break is done."""
    if fl.flags & FL_UNLOCK_PENDING:
        return F_UNLCK
    if fl.flags & FL_DOWNGRADE_PENDING:
        return F_RDLCK
    return fl.type


def lease_status(fl: FileLock) -> str:
    """The kind columns of a lease in /proc/locks."""
    if lease_breaking(fl):
        return "LEASE  BREAKING  "
    return "LEASE  ACTIVE    " if fl.file is not None else "LEASE  BREAKER   "


def leases_conflict(lease: FileLock, breaker: FileLock) -> bool:
    return locks_conflict(breaker, lease)


# --- changing and timing out -----------------------------------------------------------
def lease_modify(ctx, fl: FileLock, arg: int) -> None:
    """Make the lease ``arg`` (F_UNLCK removes it); its waiters look again."""
    fl.type = arg
    if arg == F_UNLCK:
        fl.flags &= ~(FL_UNLOCK_PENDING | FL_DOWNGRADE_PENDING)
    elif arg == F_RDLCK:
        fl.flags &= ~FL_DOWNGRADE_PENDING
    locks_wake_up_blocks(ctx.kernel, fl)
    if arg == F_UNLCK:
        owner = file_owner(fl.file)
        owner.nr, owner.pid_type, owner.signum = 0, PIDTYPE_TGID, 0      # f_delown
        _delete_lock(ctx, ctx.lease, fl)


def time_out_leases(ctx, now: int) -> None:
    """Leases whose break time has passed are downgraded or removed for their holder."""
    for fl in list(ctx.lease):
        if fl.downgrade_time and now > fl.downgrade_time:
            lease_modify(ctx, fl, F_RDLCK)
        if fl.break_time and now > fl.break_time and fl in ctx.lease:
            lease_modify(ctx, fl, F_UNLCK)


def locks_remove_lease(ctx, file) -> None:
    """The last close of a description ends its leases."""
    for fl in [fl for fl in ctx.lease if fl.file is file]:
        lease_modify(ctx, fl, F_UNLCK)


# --- F_GETLEASE / F_SETLEASE -----------------------------------------------------------
def fcntl_getlease(task, file) -> int:
    """The type the caller's lease on this description is (or is becoming), or F_UNLCK."""
    ctx = locks_get_lock_context(task.kernel, file, create=False)
    if ctx is None or not ctx.lease:
        return F_UNLCK
    time_out_leases(ctx, monotonic_ns(task))
    for fl in ctx.lease:
        if fl.file is file:
            return target_leasetype(fl)
    return F_UNLCK


def _open_counts(kernel, key) -> tuple:
    """(i_readcount, i_writecount) of the inode: descriptions open on it read-only, and
    open for writing, in every descriptor table."""
    seen, readers, writers = set(), 0, 0
    for task in kernel.tasks.values():
        files = task.files
        if files is None:
            continue
        for f in files.fds.values():
            if id(f) in seen or not getattr(f, "is_regular", False):
                continue
            seen.add(id(f))
            try:
                if locks_inode_key(f) != key:
                    continue
            except KernelError:
                continue
            if f.writable:
                writers += 1
            elif f.readable:
                readers += 1
    return readers, writers


def _waiting_breakers(ctx) -> list:
    """The opens waiting behind the inode's leases (directly or behind each other)."""
    found, todo = [], list(ctx.lease) if ctx is not None else []
    while todo:
        for waiter in todo.pop().blocked:
            found.append(waiter)
            todo.append(waiter)
    return found


def check_conflicting_open(task, file, key, arg: int) -> None:
    """EAGAIN if another open would break the lease at once: any writer for a read lease;
    any open but the caller's own for a write lease."""
    readers, writers = _open_counts(task.kernel, key)
    ctx = file_locks(task.kernel).contexts.get(key)
    for breaker in _waiting_breakers(ctx):
        # An opener waiting for a break already counts as open (do_dentry_open takes
        # write access before break_lease).
        if breaker.type == F_WRLCK:
            writers += 1
        else:
            readers += 1
    if arg == F_RDLCK:
        if writers:
            raise KernelError(Errno.EAGAIN)
    elif arg == F_WRLCK:
        self_w = 1 if file.writable else 0
        self_r = 1 if not file.writable and file.readable else 0
        if writers != self_w or readers != self_r:
            raise KernelError(Errno.EAGAIN)


def fcntl_setlease(task, fd: int, file, arg: int) -> int:
    """F_SETLEASE: take, change or (F_UNLCK) give up a lease on an open regular file the
    caller owns (or may, with CAP_LEASE)."""
    if arg not in (F_RDLCK, F_WRLCK, F_UNLCK):
        raise KernelError(Errno.EINVAL)
    st = file.stat()
    fsuid = task.cred.fsuid if task.cred.fsuid != -1 else task.cred.euid
    if st.st_uid != fsuid and not capable(task, CAP_LEASE):
        raise KernelError(Errno.EACCES)
    if not S_ISREG(st.st_mode):
        raise KernelError(Errno.EINVAL)
    if arg == F_UNLCK:
        ctx = locks_get_lock_context(task.kernel, file, create=False)
        mine = [fl for fl in (ctx.lease if ctx else ()) if fl.file is file]
        if not mine:
            raise KernelError(Errno.EAGAIN)
        lease_modify(ctx, mine[0], F_UNLCK)
        locks_put_context(ctx)
        return 0
    ctx = locks_get_lock_context(task.kernel, file)
    try:
        _add_lease(task, fd, file, ctx, arg)
    finally:
        locks_put_context(ctx)
    return 0


def _add_lease(task, fd: int, file, ctx, arg: int) -> None:
    """generic_add_lease: refuse against other opens and leases, else add or change."""
    time_out_leases(ctx, monotonic_ns(task))
    check_conflicting_open(task, file, ctx.key, arg)
    mine = None
    for fl in ctx.lease:
        if fl.file is file:
            mine = fl
            continue
        if arg == F_WRLCK or fl.flags & FL_UNLOCK_PENDING:
            raise KernelError(Errno.EAGAIN)
    if mine is not None:
        lease_modify(ctx, mine, arg)
    else:
        if not lease_sysctl.leases_enable:
            raise KernelError(Errno.EINVAL)
        pid, links = task_lock_pid(task)
        mine = FileLock(file, FL_LEASE, arg, file=file, pid=pid, pid_links=links)
        _insert_lock(ctx, ctx.lease, len(ctx.lease), mine)
        file.f_flctx = ctx
    mine.fa = fd                                # lease_setup: the fasync entry's fd
    __f_setown(task, file, task.tgid, PIDTYPE_TGID, False)


# --- breaking --------------------------------------------------------------------------
def break_lease(task, key, flags: int) -> None:
    """__break_lease, for an open of the inode ``key`` with ``flags``: signal the holders
    of conflicting leases, then wait until none conflicts (EWOULDBLOCK with O_NONBLOCK)."""
    ctx = file_locks(task.kernel).contexts.get(key)
    if ctx is None or not ctx.lease:
        return
    want_write = (flags & O_ACCMODE) != O_RDONLY
    breaker = FileLock(None, FL_LEASE, F_WRLCK if want_write else F_RDLCK)
    time_out_leases(ctx, monotonic_ns(task))
    if not any(leases_conflict(fl, breaker) for fl in ctx.lease):
        return
    if task.kernel.in_fast_syscall and not flags & O_NONBLOCK:
        raise SlowPathRequired()    # nothing changed yet; the wait needs a kernel stack
    _start_break(task, ctx, breaker, want_write)
    if not ctx.lease:
        return
    if flags & O_NONBLOCK:
        raise KernelError(Errno.EWOULDBLOCK)
    _wait_for_break(task, ctx, breaker)


def _start_break(task, ctx, breaker: FileLock, want_write: bool) -> None:
    """Mark each conflicting lease as breaking (with its deadline) and signal its holder."""
    secs = lease_sysctl.lease_break_time
    deadline = monotonic_ns(task) + secs * 1_000_000_000 if secs > 0 else 0
    for fl in list(ctx.lease):
        if not leases_conflict(fl, breaker):
            continue
        if want_write:
            if fl.flags & FL_UNLOCK_PENDING:
                continue
            fl.flags |= FL_UNLOCK_PENDING
            fl.break_time = deadline
        else:
            if lease_breaking(fl):
                continue
            fl.flags |= FL_DOWNGRADE_PENDING
            fl.downgrade_time = deadline
        send_sigio(task.kernel, fl.file, fl.fa, POLL_MSG)


def _wait_for_break(task, ctx, breaker: FileLock) -> None:
    """Sleep behind the first lease until it changes or its break time passes."""
    breaker.wait = WaitQueue("lease_break")
    ctx.users += 1
    try:
        _wait_loop(task, ctx, breaker)
    finally:
        ctx.users -= 1
        locks_put_context(ctx)


def _wait_loop(task, ctx, breaker: FileLock) -> None:
    while ctx.lease:
        fl = ctx.lease[0]
        deadline = fl.break_time or fl.downgrade_time
        timeout = max(1, deadline - monotonic_ns(task)) if deadline else None
        locks_insert_block(ctx.kernel, fl, breaker, leases_conflict)
        try:
            woken = wait_event(task, breaker.wait, lambda: breaker.blocker is None,
                               timeout_ns=timeout)
        finally:
            locks_delete_block(ctx.kernel, breaker)
        if not woken:
            time_out_leases(ctx, monotonic_ns(task))
        if not any(leases_conflict(l, breaker) for l in ctx.lease):
            return
