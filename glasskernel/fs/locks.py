"""File locks (fs/locks.c): flock(2), POSIX record locks and OFD locks, kept by the kernel.

Every inode that has been locked gets a ``FileLockContext`` (Linux's ``inode->i_flctx``)
with one list per kind: flock locks (owned by the open file description), POSIX locks
(owned by the process's descriptor table, FilesStruct) and OFD locks (owned by the open
file description, but in the POSIX list and with POSIX ranges), and leases
(locks_lease.py). The host never sees a lock: two guest processes contend here, whatever
the layer the file lives in.

The inode is named by the guest's identity of it, (st_dev, st_ino) as fstat shows it, the
same key the shared page cache uses (mm/filemap.py): the overlay makes dentries afresh at
each lookup, so the key, not a dentry, finds the context. A file keeps the key it had when
it first locked.

A request that must wait is put on the blocked list of the lock it conflicts with (or of
an earlier waiter it conflicts with: the waiters form a tree, as in Linux) and sleeps on its
own wait queue until that lock goes away or changes; then it tries again from the start.
POSIX waiters are also in the kernel-wide ``blocked`` list, which the deadlock detector
walks (posix_locks_deadlock).
"""
import weakref

from glasskernel.kernel.sched.wait import SlowPathRequired, WaitQueue, wait_event
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_PATH

F_RDLCK, F_WRLCK, F_UNLCK = 0, 1, 2
OFFSET_MAX = (1 << 63) - 1

# fl_flags (include/linux/filelock.h)
FL_POSIX, FL_FLOCK, FL_DELEG, FL_ACCESS, FL_EXISTS, FL_LEASE = 1, 2, 4, 8, 16, 32
FL_CLOSE, FL_SLEEP, FL_DOWNGRADE_PENDING, FL_UNLOCK_PENDING, FL_OFDLCK = 64, 128, 256, 512, 1024

FILE_LOCK_DEFERRED = 1          # the request was queued behind a conflicting lock
MAX_DEADLK_ITERATIONS = 10      # the detector gives up (no deadlock) after this many hops

_registries = weakref.WeakKeyDictionary()     # kernel -> FileLocks


class FileLock:
    """struct file_lock: one held lock, or a request (which may be waiting)."""

    __slots__ = ("owner", "pid", "pid_links", "flags", "type", "start", "end", "file",
                 "blocker", "blocked", "wait", "break_time", "downgrade_time", "fa")

    def __init__(self, owner, flags: int, ltype: int, start: int = 0, end: int = OFFSET_MAX,
                 file=None, pid: int = 0, pid_links=()):
        self.owner = owner          # FilesStruct (POSIX) or File (flock, OFD, lease)
        self.pid = pid              # tgid of the locker, root namespace (fl_pid)
        self.pid_links = pid_links  # its numbers in every namespace, for l_pid and /proc/locks
        self.flags = flags
        self.type = ltype
        self.start = start
        self.end = end
        self.file = file
        self.blocker = None         # the lock this request waits behind (fl_blocker)
        self.blocked = []           # requests waiting behind this one (fl_blocked_requests)
        self.wait = None            # the waiter's own queue (fl_wait), made when it sleeps
        self.break_time = 0         # leases: when a pending break removes the lease
        self.downgrade_time = 0     # leases: when a pending break makes it a read lease
        self.fa = None              # leases: who gets the break signal (fl_fasync)

    def copy(self) -> "FileLock":
        """locks_copy_lock: the same lock, without waiters."""
        new = FileLock(self.owner, self.flags, self.type, self.start, self.end, self.file,
                       self.pid, self.pid_links)
        new.fa = self.fa
        return new

    def is_posix(self) -> bool:
        return bool(self.flags & FL_POSIX)

    def is_ofd(self) -> bool:
        return bool(self.flags & FL_OFDLCK)

    def __repr__(self) -> str:
        return f"<FileLock {self.flags:#x} type={self.type} {self.start}-{self.end}>"


class FileLockContext:
    """struct file_lock_context: the locks of one inode."""

    __slots__ = ("key", "kernel", "flock", "posix", "lease", "users")

    def __init__(self, key, kernel):
        self.key = key              # (st_dev, st_ino)
        self.kernel = kernel
        self.flock: list = []
        self.posix: list = []       # grouped by owner, each owner's sorted by start
        self.lease: list = []
        self.users = 0              # requests working on it (waiting ones too): keep it

    def empty(self) -> bool:
        return not (self.flock or self.posix or self.lease or self.users)


class FileLocks:
    """A kernel's lock state: the contexts, the global list /proc/locks shows (newest
    first, like Linux's file_lock_list on one CPU) and the blocked POSIX waiters."""

    __slots__ = ("kernel", "contexts", "all", "blocked", "__weakref__")

    def __init__(self, kernel):
        self.kernel = kernel
        self.contexts: dict = {}
        self.all: list = []
        self.blocked: list = []


def file_locks(kernel) -> FileLocks:
    reg = _registries.get(kernel)
    if reg is None:
        reg = _registries[kernel] = FileLocks(kernel)
    return reg


def locks_inode_key(file):
    """The (st_dev, st_ino) of the inode ``file`` is open on, kept once known."""
    key = getattr(file, "_flkey", None)
    if key is None:
        st = file.stat()
        key = (st.st_dev, st.st_ino)
        file._flkey = key
    return key


def locks_get_lock_context(kernel, file, create: bool = True):
    """The inode's context, made on first use (None for an unlock of an unlocked inode)."""
    reg = file_locks(kernel)
    key = locks_inode_key(file)
    ctx = reg.contexts.get(key)
    if ctx is None and create:
        ctx = reg.contexts[key] = FileLockContext(key, kernel)
    return ctx


def locks_put_context(ctx: FileLockContext) -> None:
    """Forget a context with nothing left in it (Linux keeps it until the inode dies)."""
    reg = file_locks(ctx.kernel)
    if ctx.empty() and reg.contexts.get(ctx.key) is ctx:
        del reg.contexts[ctx.key]


# --- conflicts -------------------------------------------------------------------------
def locks_overlap(a: FileLock, b: FileLock) -> bool:
    return a.end >= b.start and b.end >= a.start


def locks_conflict(caller: FileLock, sys_fl: FileLock) -> bool:
    """Two locks on the same bytes conflict unless both are read locks."""
    return sys_fl.type == F_WRLCK or caller.type == F_WRLCK


def posix_locks_conflict(caller: FileLock, sys_fl: FileLock) -> bool:
    """POSIX/OFD: an owner never conflicts with itself; others only where they overlap."""
    if caller.owner is sys_fl.owner or not locks_overlap(caller, sys_fl):
        return False
    return locks_conflict(caller, sys_fl)


def flock_locks_conflict(caller: FileLock, sys_fl: FileLock) -> bool:
    """flock: locks of one open file description never conflict with each other."""
    if caller.file is sys_fl.file:
        return False
    return locks_conflict(caller, sys_fl)


# --- waiters ---------------------------------------------------------------------------
def _wake_waiter(reg: FileLocks, waiter: FileLock) -> None:
    """__locks_delete_block + wake_up(&waiter->fl_wait)."""
    if waiter in reg.blocked:
        reg.blocked.remove(waiter)
    waiter.blocker = None
    if waiter.wait is not None:
        waiter.wait.wake_up(reg.kernel)


def locks_wake_up_blocks(kernel, blocker: FileLock) -> None:
    """Every request waiting behind ``blocker`` tries again."""
    if not blocker.blocked:
        return
    reg = file_locks(kernel)
    waiters, blocker.blocked = blocker.blocked, []
    for waiter in waiters:
        _wake_waiter(reg, waiter)


def locks_insert_block(kernel, blocker: FileLock, waiter: FileLock, conflict) -> None:
    """Queue ``waiter`` behind ``blocker``, or behind an earlier waiter it conflicts with
    (so that it is not woken only to find that one in its way)."""
    moved = True
    while moved:
        moved = False
        for fl in blocker.blocked:
            if conflict(fl, waiter):
                blocker, moved = fl, True
                break
    waiter.blocker = blocker
    blocker.blocked.append(waiter)
    if blocker.is_posix() and not blocker.is_ofd():
        file_locks(kernel).blocked.append(waiter)
    locks_wake_up_blocks(kernel, waiter)     # its own waiters may now get further


def locks_delete_block(kernel, waiter: FileLock) -> None:
    """The request is done waiting (granted, refused or interrupted)."""
    locks_wake_up_blocks(kernel, waiter)
    blocker = waiter.blocker
    if blocker is not None and waiter in blocker.blocked:
        blocker.blocked.remove(waiter)
    reg = file_locks(kernel)
    if waiter in reg.blocked:
        reg.blocked.remove(waiter)
    waiter.blocker = None


def locks_move_blocks(new: FileLock, old: FileLock) -> None:
    """The waiters of a request now wait behind the lock made from it."""
    for waiter in old.blocked:
        waiter.blocker = new
    new.blocked.extend(old.blocked)
    old.blocked = []


def what_owner_is_waiting_for(reg: FileLocks, block_fl: FileLock):
    """The lock at the root of what the owner of ``block_fl`` waits for, or None."""
    for fl in reg.blocked:
        if fl.owner is block_fl.owner:
            while fl.blocker is not None:
                fl = fl.blocker
            return fl
    return None


def posix_locks_deadlock(kernel, caller: FileLock, block_fl: FileLock) -> bool:
    """Would ``caller`` waiting for ``block_fl`` close a cycle of process owners waiting
    for each other? OFD locks have no process to follow and are never checked."""
    if caller.is_ofd():
        return False
    reg = file_locks(kernel)
    for _ in range(MAX_DEADLK_ITERATIONS + 2):
        block_fl = what_owner_is_waiting_for(reg, block_fl)
        if block_fl is None:
            return False
        if block_fl.owner is caller.owner:
            return True
    return False


# --- the lists -------------------------------------------------------------------------
def _insert_lock(ctx: FileLockContext, lst: list, index: int, fl: FileLock) -> None:
    """locks_insert_lock_ctx: into the inode's list, and first in the global list."""
    lst.insert(index, fl)
    file_locks(ctx.kernel).all.insert(0, fl)


def _delete_lock(ctx: FileLockContext, lst: list, fl: FileLock) -> None:
    """locks_delete_lock_ctx: out of both lists; its waiters try again."""
    lst.remove(fl)
    reg = file_locks(ctx.kernel)
    if fl in reg.all:
        reg.all.remove(fl)
    locks_wake_up_blocks(ctx.kernel, fl)


def flock_lock_inode(ctx: FileLockContext, request: FileLock) -> int:
    """Apply a flock request: replace (or drop) the description's lock; EAGAIN or
    FILE_LOCK_DEFERRED on a conflict. A conversion drops the old lock first, so a refused
    conversion leaves none, as in Linux."""
    if not request.flags & FL_ACCESS:
        for fl in ctx.flock:
            if fl.file is request.file:
                if fl.type == request.type:
                    return 0
                _delete_lock(ctx, ctx.flock, fl)
                break
        if request.type == F_UNLCK:
            return 0
    for fl in ctx.flock:
        if flock_locks_conflict(request, fl):
            if not request.flags & FL_SLEEP:
                raise KernelError(Errno.EAGAIN)
            locks_insert_block(ctx.kernel, fl, request, flock_locks_conflict)
            return FILE_LOCK_DEFERRED
    if request.flags & FL_ACCESS:
        return 0
    new = request.copy()
    locks_move_blocks(new, request)
    _insert_lock(ctx, ctx.flock, len(ctx.flock), new)
    return 0


def posix_find_conflict(ctx: FileLockContext, request: FileLock):
    """The first lock in the inode's list that blocks ``request`` (posix_test_lock)."""
    for fl in ctx.posix:
        if posix_locks_conflict(request, fl):
            return fl
    return None


def posix_lock_inode(ctx: FileLockContext, request: FileLock) -> int:
    """Apply a POSIX/OFD request to the inode: wait or fail on a conflict, else make the
    owner's locks cover exactly what it asked, merging neighbours of the same type and
    cutting or splitting those of another type."""
    if request.type != F_UNLCK:
        fl = posix_find_conflict(ctx, request)
        if fl is not None:
            if not request.flags & FL_SLEEP:
                raise KernelError(Errno.EAGAIN)
            locks_wake_up_blocks(ctx.kernel, request)
            if posix_locks_deadlock(ctx.kernel, request, fl):
                raise KernelError(Errno.EDEADLK)
            locks_insert_block(ctx.kernel, fl, request, posix_locks_conflict)
            return FILE_LOCK_DEFERRED
    if request.flags & FL_ACCESS:
        return 0
    return _posix_apply(ctx, request)


def _posix_apply(ctx: FileLockContext, request: FileLock) -> int:
    """The no-conflict part of posix_lock_inode, over the owner's run of the list."""
    posix, owner = ctx.posix, request.owner
    i = 0
    while i < len(posix) and posix[i].owner is not owner:
        i += 1
    added, left, right = False, None, None
    while i < len(posix) and posix[i].owner is owner:
        fl = posix[i]
        if request.type == fl.type:
            # Same type, touching or overlapping: one lock covering both.
            if fl.end < request.start - 1:
                i += 1
                continue
            if fl.start - 1 > request.end:
                break
            fl.start = request.start = min(fl.start, request.start)
            fl.end = request.end = max(fl.end, request.end)
            if added:
                _delete_lock(ctx, posix, fl)
                continue
            request, added = fl, True
            i += 1
            continue
        if fl.end < request.start:
            i += 1
            continue
        if fl.start > request.end:
            break
        if request.type == F_UNLCK:
            added = True
        if fl.start < request.start:
            left = fl
        if fl.end > request.end:
            right = fl
            break
        if fl.start >= request.start:
            # The request covers this lock whole: it goes.
            if added:
                _delete_lock(ctx, posix, fl)
                continue
            new = request.copy()
            locks_move_blocks(new, request)
            request = new
            _insert_lock(ctx, posix, i, new)
            _delete_lock(ctx, posix, fl)
            added = True
            i += 1
            continue
        i += 1
    if not added:
        if request.type == F_UNLCK:
            return 0
        new = request.copy()
        locks_move_blocks(new, request)
        _insert_lock(ctx, posix, i, new)
        request = new
    if right is not None:
        if left is right:
            # The request falls inside one lock: its first part becomes a lock of its own.
            left = right.copy()
            _insert_lock(ctx, posix, i, left)
        right.start = request.end + 1
        locks_wake_up_blocks(ctx.kernel, right)
    if left is not None:
        left.end = request.start - 1
        locks_wake_up_blocks(ctx.kernel, left)
    return 0


# --- sleeping --------------------------------------------------------------------------
def may_sleep(task, request: FileLock) -> None:
    """A request that may wait leaves the emulator's hook first: once queued, the attempt
    cannot be started over."""
    if request.flags & FL_SLEEP and task.kernel.in_fast_syscall:
        raise SlowPathRequired()


def lock_inode_wait(task, ctx: FileLockContext, request: FileLock, apply) -> None:
    """Try ``apply`` until it is not deferred, sleeping between tries (interruptible:
    ERESTARTSYS, so EINTR or a restart with SA_RESTART, as in Linux)."""
    ctx.users += 1
    try:
        while apply(ctx, request) == FILE_LOCK_DEFERRED:
            if request.wait is None:
                request.wait = WaitQueue("file_lock")
            wait_event(task, request.wait, lambda: request.blocker is None)
    finally:
        ctx.users -= 1
        locks_delete_block(ctx.kernel, request)
        locks_put_context(ctx)


def task_lock_pid(task) -> tuple:
    """(fl_pid, its numbers in every namespace) for a lock taken by ``task``."""
    leader = task.kernel.tasks.get(task.tgid) if task.pid != task.tgid else task
    return task.tgid, tuple((leader or task).pid_links)


# --- flock(2) --------------------------------------------------------------------------
LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN, LOCK_MAND = 1, 2, 4, 8, 32
_FLOCK_TYPES = {LOCK_SH: F_RDLCK, LOCK_EX: F_WRLCK, LOCK_UN: F_UNLCK}


def sys_flock(task, fd, cmd) -> int:
    """flock(2): a whole-file lock owned by the open file description."""
    cmd = int(cmd) & 0xFFFFFFFF
    if cmd & LOCK_MAND:
        return 0                    # removed in Linux: the request is ignored
    ltype = _FLOCK_TYPES.get(cmd & ~LOCK_NB)
    if ltype is None:
        raise KernelError(Errno.EINVAL)
    file = task.files.fdget(int(fd) & 0xFFFFFFFF)
    if file.flags & O_PATH:
        raise KernelError(Errno.EBADF)      # fdget, not fdget_raw
    if ltype != F_UNLCK and not (file.readable or file.writable):
        raise KernelError(Errno.EBADF)
    pid, links = task_lock_pid(task)
    request = FileLock(file, FL_FLOCK | (0 if cmd & LOCK_NB else FL_SLEEP), ltype, file=file,
                       pid=pid, pid_links=links)
    may_sleep(task, request)
    ctx = locks_get_lock_context(task.kernel, file, ltype != F_UNLCK)
    if ctx is None:
        return 0
    file.f_flctx = ctx
    lock_inode_wait(task, ctx, request, flock_lock_inode)
    return 0


# --- releasing at close ----------------------------------------------------------------
def _unlock_owner(ctx: FileLockContext, owner, file) -> None:
    """An unlock of the whole file for ``owner`` (FL_CLOSE)."""
    request = FileLock(owner, FL_POSIX | FL_CLOSE, F_UNLCK, file=file)
    _posix_apply(ctx, request)


def locks_remove_posix(files, file) -> None:
    """filp_close: a process closing any descriptor of an inode loses its POSIX locks on
    it (``files`` is the owner)."""
    try:
        key = locks_inode_key(file)
    except KernelError:
        return
    ctx = files.flctxs.get(key)
    if ctx is None:
        return
    _unlock_owner(ctx, files, file)
    if not any(fl.owner is files for fl in ctx.posix):
        del files.flctxs[key]
    locks_put_context(ctx)


def locks_remove_file(file) -> None:
    """__fput: the last close of a description drops its OFD locks, flock lock and
    leases."""
    ctx = file.f_flctx
    file.f_flctx = None
    if ctx.posix:
        _unlock_owner(ctx, file, file)
    for fl in [fl for fl in ctx.flock if fl.file is file]:
        _delete_lock(ctx, ctx.flock, fl)
    if ctx.lease:
        from glasskernel.fs.locks_lease import locks_remove_lease
        locks_remove_lease(ctx, file)
    locks_put_context(ctx)
