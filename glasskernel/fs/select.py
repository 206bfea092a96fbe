"""Waiting on many descriptors: poll, ppoll, select, pselect6 (fs/select.c), and the
poll protocol every file follows.

The protocol (Linux's ``->poll``): ``file.poll(pt)`` returns the events ready now
(POLLIN, POLLOUT, POLLHUP, POLLERR…). When ``pt`` is not None, the file also calls
``poll_wait(file, wq, pt)`` for every wait queue whose wake-up may change that answer.
What registering means is the caller's business: poll and select hang an entry on each
queue that wakes the sleeping task (``__pollwait``/``pollwake``), epoll one that marks
its item ready (fs/eventpoll.py). ``pt.key`` tells the file which events the caller
wants; it is a hint, a file should register on all of its queues regardless.

poll/select never sleep inside the emulator hook: when they find they must wait, or
must report an interrupted call, they raise SlowPathRequired before writing anything
back, and run again on the task's kernel stack.
"""
import struct

from glasskernel.arch.x86.entry.args import int_arg, uint_arg
from glasskernel.kernel.sched.wait import (SlowPathRequired, WaitQueueEntry, finish_wait,
                                           signal_pending, sleep_once)
from glasskernel.kernel.signal import restore_saved_sigmask_unless, set_user_sigmask
from glasskernel.kernel.compat import in_compat_syscall
from glasskernel.kernel.time import monotonic_ns
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import ERESTART_RESTARTBLOCK, ERESTARTNOHAND, Errno, KernelError
from glasskernel.uapi.fcntl import O_PATH
from glasskernel.uapi.poll import (POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI,
                                   POLLRDBAND, POLLRDNORM, POLLWRBAND, POLLWRNORM,
                                   SIZEOF_POLLFD)
from glasskernel.uapi.time import NSEC_PER_SEC, NSEC_PER_USEC, USEC_PER_SEC

# What vfs_poll answers for a file without ->poll: always ready (include/linux/poll.h).
DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM
# The events select counts as readable, writable, exceptional.
POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR
POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR
POLLEX_SET = POLLPRI
ALL_EVENTS = 0xFFFFFFFF
NSEC_PER_MSEC = 1_000_000
STICKY_TIMEOUTS = 0x4000000          # personality flag: never write the remaining time back
NR_OPEN_DEFAULT = 64                 # the fd table embedded in files_struct (BITS_PER_LONG)
# One hrtimer never sleeps longer than this (the host's poll() takes an int of ms); a
# longer timeout re-arms it.
MAX_TIMER_NS = 0x7FFFFFFF * 1_000_000
_PTR_ARGPACK = struct.Struct("<QQ")   # pselect6's {const sigset_t *p; size_t size}
_TIME_PAIR = struct.Struct("<qq")     # timespec and (on x86-64) timeval alike
PT_TIMEVAL, PT_TIMESPEC = "timeval", "timespec"
# The i386 structs (select_compat.py): two s32, the seconds truncated as C stores them.
PT_OLD_TIMEVAL, PT_OLD_TIMESPEC = "old_timeval", "old_timespec"
_OLD_TIME_PAIR = struct.Struct("<Ii")


# ----- the poll table -----------------------------------------------------------------------

class PollTable:
    """poll_table_struct: ``qproc(file, wq, pt)`` queues the caller on one of the file's
    wait queues (None once nothing more needs registering); ``key`` is the wanted events."""

    __slots__ = ("qproc", "key")

    def __init__(self, qproc=None, key: int = ALL_EVENTS):
        self.qproc = qproc
        self.key = key


def poll_wait(file, wq, pt) -> None:
    """Called by a file's poll for each queue that may signal a change of its mask."""
    if pt is not None and pt.qproc is not None and wq is not None:
        pt.qproc(file, wq, pt)


def fdget(files, fd: int):
    """fdget: the File at fd, or None for a free slot or an O_PATH descriptor (which
    names a file without opening it for I/O, so it cannot be polled either)."""
    file = files.fds.get(fd)
    if file is None or file.flags & O_PATH:
        return None
    return file


def vfs_poll(file, pt) -> int:
    """The file's ready mask (File.poll answers DEFAULT_POLLMASK for files without one)."""
    return file.poll(pt)


class PollWqueues:
    """struct poll_wqueues: one poll/select call, the entries it hung on the files'
    queues, and whether a wake-up arrived since it last looked (so none is lost)."""

    def __init__(self, task):
        self.task = task
        self.pt = PollTable(self._pollwait)
        self.triggered = False
        self.queued = []             # (WaitQueue, WaitQueueEntry)
        self.timer = None

    def _pollwait(self, file, wq, pt) -> None:
        """__pollwait: an entry that wakes this task when one of the wanted events comes."""
        entry = WaitQueueEntry(pollwake, self, pt.key)
        wq.add_entry(entry)
        self.queued.append((wq, entry))

    def freewait(self) -> None:
        """poll_freewait: off every queue; the timer (if one was armed) is cancelled."""
        for wq, entry in self.queued:
            wq.remove_entry(entry)
        self.queued.clear()
        if self.timer is not None:
            self.task.kernel.hrtimers.cancel(self.timer)
            self.timer = None


def pollwake(entry, kernel, key: int) -> None:
    """The wake function of a poll/select entry: ignore events nobody asked for."""
    if key and not key & entry.key:
        return
    pwq = entry.private
    pwq.triggered = True
    kernel.sched.try_to_wake_up(pwq.task)


def leave_fast_path(task) -> None:
    """About to sleep or to report an interruption: only the slow path may do that."""
    if task.kernel.in_fast_syscall:
        raise SlowPathRequired()


def poll_schedule_timeout(pwq: PollWqueues, end_ns) -> bool:
    """Sleep until a wake-up (unless one came already) or end_ns; False once timed out."""
    task = pwq.task
    kernel = task.kernel
    if end_ns is not None and pwq.timer is None:
        pwq.timer = kernel.hrtimers.start(task, min(end_ns - monotonic_ns(task), MAX_TIMER_NS))
    timer = pwq.timer
    if not pwq.triggered and not (timer is not None and timer.fired):
        sleep_once(task)
        finish_wait(task)
    pwq.triggered = False
    if timer is None or not timer.fired:
        return True
    pwq.timer = None
    if monotonic_ns(task) >= end_ns:
        return False
    return True                      # a capped timer fired early: re-armed next time


# ----- timeouts ------------------------------------------------------------------------------

def poll_select_set_timeout(task, sec: int, nsec: int) -> int:
    """The absolute end of a relative timeout (CLOCK_MONOTONIC ns); 0 means "do not wait".

    EINVAL unless sec >= 0 and 0 <= nsec < 1e9 (timespec64_valid).
    """
    if sec < 0 or not 0 <= nsec < NSEC_PER_SEC:
        raise KernelError(Errno.EINVAL)
    if sec == 0 and nsec == 0:
        return 0
    return monotonic_ns(task) + sec * NSEC_PER_SEC + nsec


def get_timespec(task, addr: int) -> tuple:
    """A user struct __kernel_timespec as (tv_sec, tv_nsec), EFAULT if unreadable."""
    return _TIME_PAIR.unpack(copy_from_user(task, addr, _TIME_PAIR.size))


def _c_divmod(a: int, b: int) -> tuple:
    """C's / and % (truncating towards zero), as the kernel computes them."""
    q = abs(a) // b
    q = -q if a < 0 else q
    return q, a - q * b


def poll_select_finish(task, end_ns, uaddr: int, kind: str, ret: int) -> int:
    """Restore the signal mask (unless interrupted) and write the time left back to the
    caller's timeval/timespec. If that write fails the call cannot be restarted with the
    right timeout any more, so an interrupted call becomes EINTR."""
    restore_saved_sigmask_unless(task, ret == -ERESTARTNOHAND)
    if not uaddr:
        return ret
    if not task.personality & STICKY_TIMEOUTS:
        if not end_ns:
            return ret                                 # a zero timeout is left alone
        left = max(0, end_ns - monotonic_ns(task))
        sec, nsec = divmod(left, NSEC_PER_SEC)
        sub = nsec // NSEC_PER_USEC if kind in (PT_TIMEVAL, PT_OLD_TIMEVAL) else nsec
        if kind in (PT_OLD_TIMEVAL, PT_OLD_TIMESPEC):
            data = _OLD_TIME_PAIR.pack(sec & 0xFFFFFFFF, sub)
        else:
            data = _TIME_PAIR.pack(sec, sub)
        try:
            copy_to_user(task, uaddr, data)
            return ret
        except KernelError:
            pass
    return -Errno.EINTR if ret == -ERESTARTNOHAND else ret


def _finish_call(task, end_ns, uaddr: int, kind: str, call) -> int:
    """Run the wait (call() -> count or -error) and finish it like poll_select_finish."""
    try:
        ret = call()
    except KernelError as err:
        ret = -err.errno
    ret = poll_select_finish(task, end_ns, uaddr, kind, ret)
    if ret < 0:
        raise KernelError(-ret)
    return ret


# ----- poll ----------------------------------------------------------------------------------

def do_pollfd(files, pfd: list, pt: PollTable) -> int:
    """One pollfd ([fd, events, revents]): negative fds are skipped, closed ones POLLNVAL."""
    fd = pfd[0]
    mask = 0
    if fd >= 0:
        file = fdget(files, fd)
        if file is None:
            mask = POLLNVAL
        else:
            wanted = pfd[1] | POLLERR | POLLHUP
            pt.key = wanted
            mask = vfs_poll(file, pt) & wanted
    pfd[2] = mask
    return mask


def do_poll(task, pollfds: list, pwq: PollWqueues, end_ns) -> int:
    """Poll every entry until one has events, the time is up or a signal is pending:
    the number of entries with events, or -ERESTARTNOHAND."""
    pt = pwq.pt
    timed_out = end_ns == 0
    if timed_out:
        pt.qproc = None
    files = task.files
    while True:
        count = 0
        for pfd in pollfds:
            if do_pollfd(files, pfd, pt):
                count += 1
                pt.qproc = None           # found one: no need to register any further
        pt.qproc = None                   # every queue is registered after the first pass
        if not count and signal_pending(task):
            leave_fast_path(task)
            return -ERESTARTNOHAND
        if count or timed_out:
            return count
        leave_fast_path(task)
        if not poll_schedule_timeout(pwq, end_ns):
            timed_out = True


def do_sys_poll(task, ufds: int, nfds: int, end_ns) -> int:
    """Copy the pollfd array in, poll, copy every revents back (even when interrupted)."""
    if nfds > task.files.limit(task):
        raise KernelError(Errno.EINVAL)
    raw = copy_from_user(task, ufds, nfds * SIZEOF_POLLFD)
    pollfds = [[fd, events & 0xFFFF, 0] for fd, events, _ in struct.iter_unpack("<ihh", raw)]
    pwq = PollWqueues(task)
    try:
        count = do_poll(task, pollfds, pwq, end_ns)
    finally:
        pwq.freewait()
    out = b"".join(struct.pack("<iHH", fd, events, revents & 0xFFFF)
                   for fd, events, revents in pollfds)
    copy_to_user(task, ufds, out)
    return count


def sys_poll(task, ufds, nfds, timeout_msecs) -> int:
    """poll(2): a negative timeout waits forever."""
    timeout = int_arg(timeout_msecs)
    end_ns = None
    if timeout >= 0:
        end_ns = poll_select_set_timeout(task, timeout // 1000, timeout % 1000 * NSEC_PER_MSEC)
    return do_restart_poll(task, ufds, uint_arg(nfds), end_ns)


def do_restart_poll(task, ufds: int, nfds: int, end_ns) -> int:
    """Poll; when a signal without a handler interrupted it (a stop, say), restart_syscall
    resumes it with the same end time (poll's timeout argument is not written back)."""
    ret = do_sys_poll(task, ufds, nfds, end_ns)
    if ret == -ERESTARTNOHAND:
        task.restart_block = lambda t: do_restart_poll(t, ufds, nfds, end_ns)
        raise KernelError(ERESTART_RESTARTBLOCK)
    return ret


def _masked_timespec_call(task, tsp, sigmask, sigsetsize, call, kind=PT_TIMESPEC) -> int:
    """ppoll and pselect6: the timespec deadline (an old_timespec32 for PT_OLD_TIMESPEC),
    the temporary signal mask, then call(end_ns), with the time left written back."""
    if sigmask:
        leave_fast_path(task)
    end_ns = None
    if tsp:
        pair = _OLD_TIME_PAIR if kind == PT_OLD_TIMESPEC else _TIME_PAIR
        sec, nsec = pair.unpack(copy_from_user(task, tsp, pair.size))
        if kind == PT_OLD_TIMESPEC:
            sec -= (sec & 0x80000000) << 1                   # (s32 tv_sec)
        end_ns = poll_select_set_timeout(task, sec, nsec)
    set_user_sigmask(task, sigmask, sigsetsize)
    return _finish_call(task, end_ns, tsp, kind, lambda: call(end_ns))


def sys_ppoll(task, ufds, nfds, tsp, sigmask, sigsetsize) -> int:
    """ppoll(2): a timespec timeout (written back with the time left) and a signal mask
    for the duration of the wait."""
    return _masked_timespec_call(task, tsp, sigmask, sigsetsize,
                                 lambda end_ns: do_sys_poll(task, ufds, uint_arg(nfds), end_ns))


# ----- select --------------------------------------------------------------------------------

def fdtable_max_fds(files) -> int:
    """fdt->max_fds, the size of the descriptor table: 64 entries until a higher fd is
    used, then grown as alloc_fdtable grows it (pages of pointers, powers of two).

    Linux never shrinks the table; we size it from the highest fd open now.
    """
    highest = max(files.fds, default=0)
    if highest < NR_OPEN_DEFAULT:
        return NR_OPEN_DEFAULT
    per_kb = 1024 // 8
    return (1 << (highest // per_kb).bit_length()) * per_kb


def _set_bits(mask: int):
    """The fds of an fd_set bit mask, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def max_select_fd(files, all_bits: int) -> int:
    """EBADF if a requested fd is not open; otherwise the highest requested fd + 1."""
    fds = files.fds
    for fd in _set_bits(all_bits):
        if fd not in fds:
            raise KernelError(Errno.EBADF)
    return all_bits.bit_length()


def select_scan(files, fds: tuple, pt: PollTable) -> tuple:
    """One pass over the requested fds: (count, ready in, ready out, ready ex)."""
    inp, outp, exp = fds
    count = res_in = res_out = res_ex = 0
    for fd in _set_bits(inp | outp | exp):
        bit = 1 << fd
        file = fdget(files, fd)
        mask = POLLNVAL
        if file is not None:
            pt.key = (POLLEX_SET | (POLLIN_SET if inp & bit else 0)
                      | (POLLOUT_SET if outp & bit else 0))
            mask = vfs_poll(file, pt)
        if mask & POLLIN_SET and inp & bit:
            res_in |= bit
            count += 1
        if mask & POLLOUT_SET and outp & bit:
            res_out |= bit
            count += 1
        if mask & POLLEX_SET and exp & bit:
            res_ex |= bit
            count += 1
        if count:
            pt.qproc = None              # found something: stop registering
    return count, res_in, res_out, res_ex


def do_select(task, fds: tuple, end_ns) -> tuple:
    """Scan until something is ready, the time is up or a signal is pending."""
    files = task.files
    max_select_fd(files, fds[0] | fds[1] | fds[2])
    pwq = PollWqueues(task)
    pt = pwq.pt
    timed_out = end_ns == 0
    if timed_out:
        pt.qproc = None
    try:
        while True:
            result = select_scan(files, fds, pt)
            pt.qproc = None
            if result[0] or timed_out or signal_pending(task):
                return result
            leave_fast_path(task)
            if not poll_schedule_timeout(pwq, end_ns):
                timed_out = True
    finally:
        pwq.freewait()


def _fd_set_bytes(task, n: int) -> int:
    """The bytes of an n-bit fd_set: whole longs, 32-bit ones for a compat task
    (compat_get_fd_set: the bits fall the same way in little-endian words)."""
    if in_compat_syscall(task):
        return (n + 31) // 32 * 4
    return (n + 63) // 64 * 8


def get_fd_set(task, uaddr: int, n: int) -> int:
    """An fd_set (unsigned longs, fd k is bit k%64 of word k/64) as one integer, cut at n."""
    if not uaddr:
        return 0
    nbytes = _fd_set_bytes(task, n)
    return int.from_bytes(copy_from_user(task, uaddr, nbytes), "little") & ((1 << n) - 1)


def set_fd_set(task, uaddr: int, n: int, bits: int) -> None:
    if uaddr:
        copy_to_user(task, uaddr, bits.to_bytes(_fd_set_bytes(task, n), "little"))


def core_sys_select(task, n: int, inp: int, outp: int, exp: int, end_ns) -> int:
    """Read the three sets (n is cut to the fd table size), wait, write the results."""
    if n < 0:
        raise KernelError(Errno.EINVAL)
    n = min(n, fdtable_max_fds(task.files))
    fds = (get_fd_set(task, inp, n), get_fd_set(task, outp, n), get_fd_set(task, exp, n))
    count, res_in, res_out, res_ex = do_select(task, fds, end_ns)
    if not count and signal_pending(task):
        leave_fast_path(task)
        return -ERESTARTNOHAND        # the sets are left as they were
    set_fd_set(task, inp, n, res_in)
    set_fd_set(task, outp, n, res_out)
    set_fd_set(task, exp, n, res_ex)
    return count


def sys_select(task, n, inp, outp, exp, tvp) -> int:
    """select(2): the timeval is normalised (whole seconds of tv_usec move to tv_sec) and
    gets the time left written back, as Linux does and POSIX allows."""
    end_ns = None
    if tvp:
        sec, usec = _TIME_PAIR.unpack(copy_from_user(task, tvp, _TIME_PAIR.size))
        carry, usec = _c_divmod(usec, USEC_PER_SEC)
        end_ns = poll_select_set_timeout(task, sec + carry, usec * NSEC_PER_USEC)
    return _finish_call(task, end_ns, tvp, PT_TIMEVAL,
                        lambda: core_sys_select(task, int_arg(n), inp, outp, exp, end_ns))


def sys_pselect6(task, n, inp, outp, exp, tsp, sig) -> int:
    """pselect6: select with a timespec (written back too) and, through the sixth
    argument {sigset pointer, size}, a signal mask for the duration of the wait."""
    sigmask = sigsetsize = 0
    if sig:
        sigmask, sigsetsize = _PTR_ARGPACK.unpack(copy_from_user(task, sig, _PTR_ARGPACK.size))
    return _masked_timespec_call(task, tsp, sigmask, sigsetsize,
                                 lambda end_ns: core_sys_select(task, int_arg(n), inp, outp, exp,
                                                                end_ns))
