"""Waiting for host descriptors and host signals: the machine's "interrupt lines".

Guest files backed by a host descriptor (the terminal, a pipe or file given as stdin) can
not block the host process in ``os.read``: every other guest task would stop with it. A
task that finds such a descriptor not ready sleeps on the descriptor's wait queue, like it
would on a pipe; the idle loop (and every timer tick) asks the host which descriptors
became ready and wakes their queues: the role of a device interrupt.

Host signals (Ctrl-C typed on the terminal, a resize) arrive the same way: Python's
handler records them and writes a byte to a self-pipe the idle loop also watches, so a
sleeping guest wakes at once. ``deliver`` then hands each one to its consumer (the
terminal's line discipline, drivers/tty/n_tty.py).
"""
import os
import select

from glasskernel.kernel.sched.wait import WaitQueue

POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
POLLRDNORM, POLLWRNORM = 0x40, 0x100
MAX_POLL_MS = 2**31 - 1                 # poll(2)'s timeout is an int; longer waits wake early


def host_fd_ready(host_fd: int, events: int) -> int:
    """The poll mask of a host descriptor right now (no waiting)."""
    poller = select.poll()
    poller.register(host_fd, events & (POLLIN | POLLPRI | POLLOUT))
    try:
        found = poller.poll(0)
    except OSError:
        return POLLERR
    mask = found[0][1] if found else 0
    if mask & POLLIN:
        mask |= POLLRDNORM
    if mask & POLLOUT:
        mask |= POLLWRNORM
    return mask


class HostIo:
    """Host descriptors guest tasks sleep on, plus the host-signal self-pipe."""

    def __init__(self):
        self._queues = {}                  # (host_fd, events) -> WaitQueue
        self.pending_signals = []          # host signals not yet handed to the guest
        self.consumers = {}                # host signo -> callable(signo)
        self.quiet = set()                 # keys whose wake-up changed nothing (see settle)
        self._woken_unattended = set()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    def close(self) -> None:
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self._wake_r = self._wake_w = -1

    # ----- descriptors --------------------------------------------------------------------

    def wait_queue(self, host_fd: int, events: int) -> WaitQueue:
        """The queue woken when host_fd becomes ready for any of events (POLLIN/POLLOUT)."""
        key = (host_fd, events & (POLLIN | POLLOUT))
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = WaitQueue(f"host_fd{host_fd}")
        return queue

    def _iter_watched(self):
        """(key, queue) of the descriptors somebody waits on and that are not quiet."""
        quiet = self.quiet
        return ((key, q) for key, q in self._queues.items() if len(q) and key not in quiet)

    def _watched(self) -> list:
        return list(self._iter_watched())

    def has_waiters(self) -> bool:
        """Is a task (or a poll entry) waiting on a watched descriptor? Asked before every
        return to user mode (apic_timer.timer_budget), so it stops at the first."""
        return next(self._iter_watched(), None) is not None

    def settle(self, anything_runnable: bool, something_ran: bool) -> None:
        """After an idle wait. A descriptor that is always ready (stdout in an epoll set
        nobody waits on) would wake the idle loop forever; when waking its queue made
        nothing runnable, stop watching it until some task runs again."""
        if something_ran:
            self.quiet.clear()
        if not anything_runnable:
            self.quiet |= self._woken_unattended
        self._woken_unattended = set()

    def wait(self, kernel, timeout_ns) -> None:
        """Sleep on the host until a watched descriptor is ready, a host signal arrives or
        timeout_ns passes (None: no limit); then wake whoever that concerns."""
        watched = self._watched()
        timeout_ms = None if timeout_ns is None else min(MAX_POLL_MS, max(0, -(-timeout_ns // 1_000_000)))
        ready = self._poll(watched, timeout_ms, wake_pipe=True)
        self._drain_wake_pipe(ready)
        self._wake_ready(kernel, watched, ready)

    def poll_now(self, kernel) -> None:
        """At a timer tick: wake sleepers whose descriptors became ready meanwhile."""
        watched = self._watched()
        if watched:
            self._wake_ready(kernel, watched, self._poll(watched, 0, wake_pipe=False))

    def _poll(self, watched, timeout_ms, wake_pipe: bool) -> dict:
        """One host poll() over the watched descriptors: fd -> revents. A descriptor
        watched for input and for output is registered once, for both."""
        masks = {}
        for (fd, events), _ in watched:
            masks[fd] = masks.get(fd, 0) | events
        poller = select.poll()
        for fd, events in masks.items():
            poller.register(fd, events)
        if wake_pipe:
            poller.register(self._wake_r, POLLIN)
        try:
            return dict(poller.poll(timeout_ms))
        except InterruptedError:
            return {}

    def _wake_ready(self, kernel, watched, ready: dict) -> None:
        """Wake each queue whose own events (or an error or hang-up) came true."""
        for key, queue in watched:
            revents = ready.get(key[0], 0) & (key[1] | POLLERR | POLLHUP | POLLNVAL)
            if revents:
                if not queue.waiters:
                    self._woken_unattended.add(key)
                queue.wake_up(kernel, revents)

    def _drain_wake_pipe(self, ready: dict) -> None:
        if self._wake_r in ready:
            try:
                while os.read(self._wake_r, 512):
                    pass
            except BlockingIOError:
                pass

    # ----- host signals -------------------------------------------------------------------

    def host_signal(self, signo: int, _frame=None) -> None:
        """Python's handler for a forwarded host signal: remember it, wake the idle loop."""
        self.pending_signals.append(signo)
        self.wake()

    def wake(self) -> None:
        """Make the idle loop's poll return (from any thread)."""
        try:
            os.write(self._wake_w, b"s")
        except (BlockingIOError, OSError):
            pass

    def deliver(self) -> None:
        """Hand every recorded host signal to its consumer (in kernel context)."""
        while self.pending_signals:
            signo = self.pending_signals.pop(0)
            consumer = self.consumers.get(signo)
            if consumer is not None:
                consumer(signo)
