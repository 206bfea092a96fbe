"""High-resolution timers (kernel/time/hrtimer.c): wake a task at a point in time.

Sleeping syscalls (nanosleep, timed waits) arm a timer and sleep; the timer interrupt and
the idle loop run expired timers, which wake their tasks. When nothing can run, the idle
loop sleeps on the host until the earliest timer, so a sleeping guest burns no CPU.
"""
import heapq
import itertools


class HrTimer:
    __slots__ = ("task", "expires", "fired", "cancelled", "callback")

    def __init__(self, task, expires: int, callback=None):
        self.task = task
        self.expires = expires
        self.fired = False
        self.cancelled = False
        self.callback = callback


class HrTimerBase:
    """The CPU's timer queue, ordered by expiry (CLOCK_MONOTONIC nanoseconds)."""

    def __init__(self, kernel):
        self.kernel = kernel
        self._heap = []
        self._seq = itertools.count()

    def start(self, task, delay_ns: int, callback=None) -> HrTimer:
        return self.start_at(task, self.kernel.clock_ns() + max(0, delay_ns), callback)

    def start_at(self, task, expires: int, callback=None) -> HrTimer:
        """A timer for an absolute time of the base's clock (HRTIMER_MODE_ABS)."""
        timer = HrTimer(task, expires, callback)
        heapq.heappush(self._heap, (timer.expires, next(self._seq), timer))
        return timer

    def cancel(self, timer: HrTimer) -> None:
        timer.cancelled = True

    def run_expired(self) -> None:
        """Fire every timer whose time has come: wake its task (or run its callback)."""
        now = self.kernel.clock_ns()
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, _, timer = heapq.heappop(heap)
            if timer.cancelled:
                continue
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
        while heap and heap[0][2].cancelled:
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
