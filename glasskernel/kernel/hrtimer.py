"""High-resolution timers (kernel/time/hrtimer.c): wake a task at a point in time.

Sleeping syscalls (nanosleep, timed waits) arm a timer and sleep; the timer interrupt and
the idle loop run expired timers, which wake their tasks. When nothing can run, the idle
loop sleeps on the host until the earliest timer, so a sleeping guest burns no CPU.
"""
import heapq
import itertools


class HrTimer:
    __slots__ = ("task", "expires", "fired", "cancelled", "callback", "real")

    def __init__(self, task, expires: int, callback=None, real=None):
        self.task = task
        self.expires = expires
        self.fired = False
        self.cancelled = False
        self.callback = callback
        self.real = real            # an absolute CLOCK_REALTIME expiry, or None


class HrTimerBase:
    """The CPU's timer queue, ordered by expiry (CLOCK_MONOTONIC nanoseconds)."""

    def __init__(self, kernel):
        self.kernel = kernel
        self._heap = []
        self._seq = itertools.count()
        # Timers set for an absolute CLOCK_REALTIME time: when the guest sets the clock,
        # their expiry on this base moves with it (clock_was_set, hrtimer_bases' offsets).
        self._real = set()

    def start(self, task, delay_ns: int, callback=None) -> HrTimer:
        return self.start_at(task, self.kernel.clock_ns() + max(0, delay_ns), callback)

    def start_at(self, task, expires: int, callback=None) -> HrTimer:
        """A timer for an absolute time of the base's clock (HRTIMER_MODE_ABS)."""
        timer = HrTimer(task, expires, callback)
        heapq.heappush(self._heap, (timer.expires, next(self._seq), timer))
        return timer

    def start_real(self, task, real_expires: int, offs_real: int, callback=None) -> HrTimer:
        """A timer for an absolute CLOCK_REALTIME time (offs_real: realtime - monotonic now)."""
        timer = self.start_at(task, real_expires - offs_real, callback)
        timer.real = real_expires
        self._real.add(timer)
        return timer

    def clock_was_set(self, offs_real: int) -> None:
        """The realtime clock was set: requeue its timers at their new base-clock time (the
        old queue entries are left behind, stale, and skipped)."""
        for timer in list(self._real):
            if timer.fired or timer.cancelled:
                self._real.discard(timer)
                continue
            timer.expires = timer.real - offs_real
            heapq.heappush(self._heap, (timer.expires, next(self._seq), timer))

    def cancel(self, timer: HrTimer) -> None:
        timer.cancelled = True
        self._real.discard(timer)

    def run_expired(self) -> None:
        """Fire every timer whose time has come: wake its task (or run its callback)."""
        now = self.kernel.clock_ns()
        heap = self._heap
        while heap and heap[0][0] <= now:
            expires, _, timer = heapq.heappop(heap)
            if timer.cancelled or timer.fired or expires != timer.expires:
                continue                # cancelled, or requeued by clock_was_set
            self._real.discard(timer)
            timer.fired = True
            if timer.callback is not None:
                timer.callback(timer)
            else:
                self.kernel.sched.try_to_wake_up(timer.task)

    def armed(self) -> bool:
        """Is any timer queued (cancelled ones may still count)?"""
        return bool(self._heap)

    def next_expiry_delay(self):
        """Nanoseconds until the earliest live timer, or None if there is none."""
        heap = self._heap
        while heap and (heap[0][2].cancelled or heap[0][2].fired or heap[0][0] != heap[0][2].expires):
            heapq.heappop(heap)
        if not heap:
            return None
        return heap[0][0] - self.kernel.clock_ns()


def hrtimer_forward(expires: int, now: int, interval: int) -> tuple:
    """(new expiry, overruns): move a periodic timer's expiry forward by whole intervals
    until it is after now; the overruns are the periods that passed (0 if not yet due)."""
    if now < expires:
        return expires, 0
    interval = max(interval, 1)
    orun = 0
    delta = now - expires
    if delta >= interval:
        orun = delta // interval
        expires += interval * orun
        if expires > now:
            return expires, orun
    return expires + interval, orun + 1
