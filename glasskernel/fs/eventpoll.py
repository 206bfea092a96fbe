"""epoll (fs/eventpoll.c): an interest list of (file, fd) pairs and a ready list.

``epoll_ctl(ADD)`` polls the target file once with a poll table whose queue function
hangs an ``ep_poll_callback`` entry on each of the file's wait queues. From then on a
wake-up of one of those queues puts the item on the ready list (in wake-up order) and
wakes the tasks in ``epoll_wait``. ``epoll_wait`` re-polls each ready item: events are
reported if the file still has some; a level-triggered item goes back to the end of the
ready list, an edge-triggered one waits for the next wake-up, a one-shot one is disabled
until EPOLL_CTL_MOD.

An item holds no reference to its file: closing one of several descriptors of a file
leaves the item in place; the last close of the file (``File.put``) removes it from every
epoll set (``eventpoll_release``). An epoll file can itself be polled, or watched by
another epoll (loops and nesting deeper than EP_MAX_NESTS are ELOOP).
"""
import struct

from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.fs.dcache import Dentry
from glasskernel.fs.file_table import File
from glasskernel.fs.kstat import StatResult
from glasskernel.fs.select import (MAX_TIMER_NS, PollTable, fdget, get_timespec, leave_fast_path,
                                   poll_select_set_timeout, poll_wait)
from glasskernel.kernel.sched.wait import (WaitQueue, WaitQueueEntry, fatal_signal_pending, signal_pending,
                                           wait_event)
from glasskernel.kernel.signal import restore_saved_sigmask_unless, set_user_sigmask
from glasskernel.kernel.time import monotonic_ns
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import ERESTARTSYS, Errno, KernelError
from glasskernel.uapi.eventpoll import (EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL,
                                        EPOLL_CTL_MOD, EPOLLERR, EPOLLET, EPOLLEXCLUSIVE,
                                        EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLLOUT,
                                        EPOLLRDNORM, EPOLLWAKEUP, SIZEOF_EPOLL_EVENT)
from glasskernel.uapi.fcntl import O_RDWR
from glasskernel.kernel.capability import capable
from glasskernel.uapi.capability import CAP_BLOCK_SUSPEND

EP_PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE
EPOLLEXCLUSIVE_OK_BITS = (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET
                          | EPOLLEXCLUSIVE)
EP_MAX_NESTS = 4
EP_MAX_EVENTS = 0x7FFFFFFF // SIZEOF_EPOLL_EVENT
TASK_SIZE_MAX = (1 << 47) - 4096
NSEC_PER_MSEC = 1_000_000
ANON_INODE_DEV = 0xF                 # anon_inodefs: one small anonymous device
ANON_INODE_INO = 1                   # every anonymous file shares one inode
_EVENT = struct.Struct("<IQ")        # struct epoll_event (packed on x86-64)


class AnonInodeDentry(Dentry):
    """anon_inode_getfile's name: /proc/<pid>/fd shows "anon_inode:[eventpoll]"; the
    shared inode has mode 0600 and no file type bits."""

    def __init__(self, name: str):
        super().__init__(name, None, f"anon_inode:{name}")

    def stat(self):
        return StatResult(ANON_INODE_DEV, ANON_INODE_INO, 0o600, 1, 0, 0, 0, 0, 4096, 0,
                          (0, 0), (0, 0), (0, 0))


def fdget_or_ebadf(task, fd: int):
    """fdget for epoll: EBADF for a free slot or an O_PATH descriptor."""
    file = fdget(task.files, fd)
    if file is None:
        raise KernelError(Errno.EBADF)
    return file


def file_can_poll(file) -> bool:
    """The file has a ->poll of its own (epoll refuses the others with EPERM)."""
    return type(file).poll is not File.poll and getattr(file, "can_poll", True)


class EpItem:
    """struct epitem: one (file, fd) of one epoll set, its events and user data."""

    __slots__ = ("ep", "file", "fd", "events", "data", "pwqlist")

    def __init__(self, ep, file, fd: int, events: int, data: int):
        self.ep = ep
        self.file = file
        self.fd = fd
        self.events = events
        self.data = data
        self.pwqlist = []            # (WaitQueue, WaitQueueEntry) it hangs on


class EpItemPollTable(PollTable):
    """ep_pqueue: the poll table of EPOLL_CTL_ADD, whose queue function registers the item."""

    __slots__ = ("epi",)

    def __init__(self, epi: EpItem):
        super().__init__(ep_ptable_queue_proc, epi.events)
        self.epi = epi


def ep_ptable_queue_proc(file, wq, pt) -> None:
    """Hang the item's callback on one wait queue of the watched file."""
    epi = pt.epi
    entry = WaitQueueEntry(ep_poll_callback, epi, exclusive=bool(epi.events & EPOLLEXCLUSIVE))
    wq.add_entry(entry)
    epi.pwqlist.append((wq, entry))


def ep_poll_callback(entry, kernel, key: int) -> bool:
    """A watched queue was woken: the item joins the ready list, epoll_wait wakes. For an
    EPOLLEXCLUSIVE item, true when the event is one it waits for (it took the wake-up)."""
    epi = entry.private
    ep = epi.ep
    if not epi.events & ~EP_PRIVATE_BITS:
        return False                  # disabled by EPOLLONESHOT until EPOLL_CTL_MOD
    if key and not key & epi.events:
        return False
    ep.rdllist.setdefault(epi)
    ep.wake_waiters()
    if not epi.events & EPOLLEXCLUSIVE:
        return False
    inout = key & (EPOLLIN | EPOLLOUT)
    if not inout:
        return True
    return inout in (EPOLLIN, EPOLLOUT) and bool(inout & epi.events)


class EventPoll(File):
    """struct eventpoll behind an anonymous-inode file."""

    seekable = False

    def __init__(self, kernel):
        super().__init__(AnonInodeDentry("[eventpoll]"), O_RDWR)
        self.kernel = kernel
        self.items = {}               # (file, fd) -> EpItem: the interest list
        self.rdllist = {}             # EpItem -> None, in the order they became ready
        self.wq = WaitQueue("epoll_wait")
        self.poll_wait = WaitQueue("eventpoll_poll")

    def wake_waiters(self) -> None:
        """Wake epoll_wait sleepers and whoever polls this epoll file."""
        if self.wq:
            self.wq.wake_up(self.kernel)
        if self.poll_wait:
            self.poll_wait.wake_up(self.kernel, EPOLLIN)

    def poll(self, pt) -> int:
        return self.ep_eventpoll_poll(pt, 0)

    def ep_eventpoll_poll(self, pt, depth: int) -> int:
        """Readable when a ready item really has events; stale ready items are dropped."""
        poll_wait(self, self.poll_wait, pt)
        probe = PollTable()
        for epi in list(self.rdllist):
            if ep_item_poll(epi, probe, depth + 1):
                return EPOLLIN | EPOLLRDNORM
            del self.rdllist[epi]
        return 0

    def lseek(self, offset: int, whence: int) -> int:
        """noop_llseek: the position stays where it is."""
        return self.pos

    def release(self) -> None:
        """ep_free: every item leaves its file's queues."""
        for epi in list(self.items.values()):
            ep_remove(self, epi)


def ep_item_poll(epi: EpItem, pt: PollTable, depth: int) -> int:
    """The item's file's ready mask, cut to the events the item watches."""
    pt.key = epi.events
    file = epi.file
    if isinstance(file, EventPoll):
        mask = file.ep_eventpoll_poll(pt, depth)
    else:
        mask = file.poll(pt)
    return mask & epi.events


def ep_make_ready(ep: EventPoll, epi: EpItem) -> None:
    if epi not in ep.rdllist:
        ep.rdllist[epi] = None
        ep.wake_waiters()


def ep_insert(ep: EventPoll, file, fd: int, events: int, data: int) -> None:
    epi = EpItem(ep, file, fd, events, data)
    ep.items[(file, fd)] = epi
    if file.f_ep is None:
        file.f_ep = []
    file.f_ep.append(epi)
    if ep_item_poll(epi, EpItemPollTable(epi), 1):
        ep_make_ready(ep, epi)


def ep_remove(ep: EventPoll, epi: EpItem) -> None:
    for wq, entry in epi.pwqlist:
        wq.remove_entry(entry)
    epi.pwqlist.clear()
    watchers = epi.file.f_ep
    if watchers is not None and epi in watchers:
        watchers.remove(epi)
    ep.items.pop((epi.file, epi.fd), None)
    ep.rdllist.pop(epi, None)


def ep_modify(ep: EventPoll, epi: EpItem, events: int, data: int) -> None:
    """New events and data; ready now means onto the ready list (the queues stay)."""
    epi.events = events
    epi.data = data
    if ep_item_poll(epi, PollTable(), 1):
        ep_make_ready(ep, epi)


def eventpoll_release(file) -> None:
    """The last reference to a watched file went: it leaves every epoll set."""
    for epi in list(file.f_ep or ()):
        ep_remove(epi.ep, epi)


# ----- epoll_wait ----------------------------------------------------------------------------

def _put_events(task, uevents: int, found: list) -> int:
    """Copy (item, revents) pairs out; the number copied before a fault."""
    try:
        copy_to_user(task, uevents, b"".join(_EVENT.pack(rev, epi.data) for epi, rev in found))
        return len(found)
    except KernelError:
        pass
    for i, (epi, rev) in enumerate(found):
        try:
            copy_to_user(task, uevents + i * SIZEOF_EPOLL_EVENT, _EVENT.pack(rev, epi.data))
        except KernelError:
            return i
    return len(found)


def ep_send_events(ep: EventPoll, task, uevents: int, maxevents: int) -> int:
    """Report up to maxevents ready items, re-polling each one first."""
    if fatal_signal_pending(task):
        raise KernelError(Errno.EINTR)          # a fatal signal: leave at once
    txlist = list(ep.rdllist)
    ep.rdllist = {}
    probe = PollTable()
    found = []
    scanned = 0
    for epi in txlist:
        if len(found) >= maxevents:
            break
        scanned += 1
        revents = ep_item_poll(epi, probe, 1)
        if revents:
            found.append((epi, revents))
    copied = _put_events(task, uevents, found)
    requeue = []
    for epi, _ in found[:copied]:
        if epi.events & EPOLLONESHOT:
            epi.events &= EP_PRIVATE_BITS
        elif not epi.events & EPOLLET:
            requeue.append(epi)                 # level-triggered: check again next time
    # Not reported (beyond maxevents or after a fault) first, then whatever became
    # ready meanwhile, then the level-triggered items just reported.
    later = ep.rdllist
    ep.rdllist = dict.fromkeys([epi for epi, _ in found[copied:]] + txlist[scanned:])
    ep.rdllist.update(later)
    ep.rdllist.update(dict.fromkeys(requeue))
    if found and not copied:
        raise KernelError(Errno.EFAULT)
    return copied


def ep_poll(ep: EventPoll, task, uevents: int, maxevents: int, end_ns) -> int:
    """Fish for events until some come, the time is up (end_ns; 0: do not wait) or a
    signal is pending (EINTR: epoll_wait is never restarted)."""
    timed_out = end_ns == 0
    while True:
        if ep.rdllist:
            res = ep_send_events(ep, task, uevents, maxevents)
            if res:
                return res
        if timed_out:
            return 0
        if signal_pending(task):
            raise KernelError(Errno.EINTR)
        timeout = None if end_ns is None else max(0, min(end_ns - monotonic_ns(task), MAX_TIMER_NS))
        try:
            woken = wait_event(task, ep.wq, lambda: bool(ep.rdllist), timeout_ns=timeout)
        except KernelError as err:
            if err.errno == ERESTARTSYS:
                raise KernelError(Errno.EINTR) from None
            raise
        if not woken and monotonic_ns(task) >= end_ns:
            timed_out = True


def ep_timeout_to_end(task, ms: int):
    """epoll_wait's int timeout: negative waits forever, 0 does not wait."""
    if ms < 0:
        return None
    if ms == 0:
        return 0
    return monotonic_ns(task) + ms * NSEC_PER_MSEC


def do_epoll_wait(task, epfd: int, uevents: int, maxevents: int, end_ns) -> int:
    if maxevents <= 0 or maxevents > EP_MAX_EVENTS:
        raise KernelError(Errno.EINVAL)
    if uevents + maxevents * SIZEOF_EPOLL_EVENT > TASK_SIZE_MAX:
        raise KernelError(Errno.EFAULT)         # access_ok
    ep = fdget_or_ebadf(task, epfd)
    if not isinstance(ep, EventPoll):
        raise KernelError(Errno.EINVAL)
    return ep_poll(ep, task, uevents, maxevents, end_ns)


def do_epoll_pwait(task, epfd: int, uevents: int, maxevents: int, end_ns, sigmask: int,
                   sigsetsize: int) -> int:
    """epoll_wait under a temporary signal mask (kept for the handler after EINTR)."""
    if sigmask:
        leave_fast_path(task)
    set_user_sigmask(task, sigmask, sigsetsize)
    try:
        ret = do_epoll_wait(task, epfd, uevents, maxevents, end_ns)
    except KernelError as err:
        ret = -err.errno
    restore_saved_sigmask_unless(task, ret == -Errno.EINTR)
    if ret < 0:
        raise KernelError(-ret)
    return ret


def sys_epoll_wait(task, epfd, events, maxevents, timeout) -> int:
    end_ns = ep_timeout_to_end(task, int_arg(timeout))
    return do_epoll_wait(task, int_arg(epfd), events, int_arg(maxevents), end_ns)


def sys_epoll_pwait(task, epfd, events, maxevents, timeout, sigmask, sigsetsize) -> int:
    end_ns = ep_timeout_to_end(task, int_arg(timeout))
    return do_epoll_pwait(task, int_arg(epfd), events, int_arg(maxevents), end_ns,
                          sigmask, sigsetsize)


def sys_epoll_pwait2(task, epfd, events, maxevents, timeout, sigmask, sigsetsize) -> int:
    """epoll_pwait2: the timeout is a timespec (NULL waits forever)."""
    end_ns = None
    if timeout:
        end_ns = poll_select_set_timeout(task, *get_timespec(task, timeout))
    return do_epoll_pwait(task, int_arg(epfd), events, int_arg(maxevents), end_ns,
                          sigmask, sigsetsize)


# ----- creating and controlling ----------------------------------------------------------------

def do_epoll_create(task, flags: int) -> int:
    if flags & ~EPOLL_CLOEXEC:
        raise KernelError(Errno.EINVAL)
    ep = EventPoll(task.kernel)
    return task.files.install_new(ep, bool(flags & EPOLL_CLOEXEC), task=task)


def sys_epoll_create1(task, flags) -> int:
    return do_epoll_create(task, int_arg(flags))


def sys_epoll_create(task, size) -> int:
    """epoll_create(2): size is only checked to be positive."""
    if int_arg(size) <= 0:
        raise KernelError(Errno.EINVAL)
    return do_epoll_create(task, 0)


def ep_loop_check(ep: EventPoll, to: EventPoll) -> None:
    """ELOOP if watching ``to`` from ``ep`` closes a cycle, or makes a chain of epolls
    watching epolls longer than EP_MAX_NESTS links: the deepest chain below ``to``, this
    new link, and the longest chain of epolls above ``ep``."""
    if to is ep:
        raise KernelError(Errno.ELOOP)
    depth = _depth_below(ep, to, 0, {})
    if depth > EP_MAX_NESTS or depth + 1 + _depth_above(ep, {}) > EP_MAX_NESTS:
        raise KernelError(Errno.ELOOP)


def _depth_below(inserting_into: EventPoll, node: EventPoll, depth: int, seen: dict) -> int:
    """ep_loop_check_proc: the longest chain of epolls below node (EP_MAX_NESTS + 1 for a
    path back to inserting_into, or one too deep)."""
    if node in seen:
        return seen[node]
    seen[node] = 0
    result = 0
    for epi in list(node.items.values()):
        inner = epi.file
        if not isinstance(inner, EventPoll):
            continue
        if inner is inserting_into or depth > EP_MAX_NESTS:
            result = EP_MAX_NESTS + 1
        else:
            result = max(result, _depth_below(inserting_into, inner, depth + 1, seen) + 1)
        if result > EP_MAX_NESTS:
            break
    seen[node] = result
    return result


def _depth_above(node: EventPoll, seen: dict) -> int:
    """ep_get_upwards_depth_proc: the longest chain of epolls that watch node."""
    if node in seen:
        return seen[node]
    seen[node] = 0
    result = max((_depth_above(epi.ep, seen) + 1 for epi in list(node.f_ep or ())), default=0)
    seen[node] = result
    return result


def check_exclusive(op: int, events: int, tfile) -> None:
    """EPOLLEXCLUSIVE: only at ADD, only with the few events it supports, not on an epoll."""
    if not events & EPOLLEXCLUSIVE:
        return
    if op == EPOLL_CTL_MOD:
        raise KernelError(Errno.EINVAL)
    if op == EPOLL_CTL_ADD and (isinstance(tfile, EventPoll) or events & ~EPOLLEXCLUSIVE_OK_BITS):
        raise KernelError(Errno.EINVAL)


def do_epoll_ctl(task, epfd: int, op: int, fd: int, events: int, data: int) -> int:
    """The checks in Linux's order: EBADF, EPERM, EINVAL, ELOOP, then EEXIST/ENOENT."""
    file = fdget_or_ebadf(task, epfd)
    tfile = fdget_or_ebadf(task, fd)
    if not file_can_poll(tfile):
        raise KernelError(Errno.EPERM)
    has_event = op != EPOLL_CTL_DEL
    if has_event and events & EPOLLWAKEUP and not capable(task, CAP_BLOCK_SUSPEND):
        events &= ~EPOLLWAKEUP                  # needs CAP_BLOCK_SUSPEND: dropped silently
    if file is tfile or not isinstance(file, EventPoll):
        raise KernelError(Errno.EINVAL)
    if has_event:
        check_exclusive(op, events, tfile)
    ep = file
    if op == EPOLL_CTL_ADD and isinstance(tfile, EventPoll):
        ep_loop_check(ep, tfile)
    epi = ep.items.get((tfile, fd))
    if op == EPOLL_CTL_ADD:
        if epi is not None:
            raise KernelError(Errno.EEXIST)
        ep_insert(ep, tfile, fd, events | EPOLLERR | EPOLLHUP, data)
    elif op == EPOLL_CTL_DEL:
        if epi is None:
            raise KernelError(Errno.ENOENT)
        ep_remove(ep, epi)
    elif op == EPOLL_CTL_MOD:
        if epi is None:
            raise KernelError(Errno.ENOENT)
        if epi.events & EPOLLEXCLUSIVE:
            raise KernelError(Errno.EINVAL)
        ep_modify(ep, epi, events | EPOLLERR | EPOLLHUP, data)
    else:
        raise KernelError(Errno.EINVAL)
    return 0


def sys_epoll_ctl(task, epfd, op, fd, event) -> int:
    """epoll_ctl(2): the event is read first (EFAULT), except for EPOLL_CTL_DEL."""
    op = int_arg(op)
    events = data = 0
    if op != EPOLL_CTL_DEL:
        events, data = _EVENT.unpack(copy_from_user(task, event, SIZEOF_EPOLL_EVENT))
    return do_epoll_ctl(task, int_arg(epfd), op, int_arg(fd), events, data)
