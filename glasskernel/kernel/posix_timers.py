"""POSIX interval timers: timer_create, timer_settime, timer_gettime, timer_getoverrun,
timer_delete (kernel/time/posix-timers.c; the CPU-clock timers of posix-cpu-timers.c).

A process's timers live in its signal_struct (``signal.posix_timers``), numbered from 0;
fork does not copy them, exec and the exit of the last thread delete them. Each timer
owns one preallocated siginfo (``SigQueue``, Linux's SIGQUEUE_PREALLOC sigqueue): while it
is still queued, a new expiry only counts an overrun in it. A periodic timer is re-armed
when its signal is dequeued (``posixtimer_rearm``), which then reports the periods that
passed in si_overrun, so a blocked or slow handler does not make the timer run away.

Wall-clock timers (REALTIME, MONOTONIC, BOOTTIME, TAI) are hrtimers on the base clock
(kernel/time.py). CPU-time timers (PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID) are polled
like the CPU itimers: CPU time cannot run faster than the wall clock, so an hrtimer is
armed for the CPU time still missing and the poll re-armed until the timer is due;
they are as precise as the CPU accounting (a time slice).
"""
import struct

from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.kernel.hrtimer import hrtimer_forward
from glasskernel.kernel.time import (clock_expiry_to_base, get_itimerspec64, hrtimer_arm_at,
                                     realtime_abs, itimerspec64_valid, put_itimerspec64,
                                     cpu_clock_value,
                                     CPUCLOCK_SCHED, CPUCLOCK_PERTHREAD_MASK,
                                     cpu_clock_task, timespec_ns)
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.time import ClockId
from glasskernel.kernel.task import EXIT_DEAD, signal_group_exit

SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID = 0, 1, 2, 4
SI_TIMER = -2
SIGALRM, SIGRTMAX = 14, 64
TIMER_ABSTIME = 1
REQUEUE_PENDING = 1
INT_MAX = 0x7FFFFFFF
TICK_NSEC = 4_000_000
_SIGEVENT = struct.Struct("<QiiI")       # sigev_value, sigev_signo, sigev_notify, _tid
_HR_CLOCKS = (ClockId.CLOCK_REALTIME, ClockId.CLOCK_MONOTONIC, ClockId.CLOCK_BOOTTIME,
              ClockId.CLOCK_TAI, ClockId.CLOCK_REALTIME_ALARM, ClockId.CLOCK_BOOTTIME_ALARM)
_CPU_CLOCKS = (ClockId.CLOCK_PROCESS_CPUTIME_ID, ClockId.CLOCK_THREAD_CPUTIME_ID)
# Clocks that exist but have no timers (no timer_create in their k_clock).
_NO_TIMER_CLOCKS = (ClockId.CLOCK_MONOTONIC_RAW, ClockId.CLOCK_REALTIME_COARSE,
                    ClockId.CLOCK_MONOTONIC_COARSE)


class SigQueue(bytearray):
    """A timer's preallocated siginfo (sigqueue with SIGQUEUE_PREALLOC): the same object
    is queued again at each expiry; ``timer`` is None once the timer is deleted."""

    def __init__(self, data: bytes, timer):
        super().__init__(data)
        self.timer = timer
        self.sys_private = 0             # si_sys_private: the requeue generation

    @property
    def overrun(self) -> int:
        return struct.unpack_from("<i", self, 20)[0]

    @overrun.setter
    def overrun(self, value: int) -> None:
        struct.pack_into("<i", self, 20, max(-(1 << 31), min(value, INT_MAX)))


class PosixTimers:
    """The process's timers (signal_struct's posix_timers list and the id counter)."""

    __slots__ = ("timers", "next_id")

    def __init__(self):
        self.timers = {}
        self.next_id = 0

    def add(self, timer) -> int:
        """posix_timer_add: the next free id from the counter, wrapping at INT_MAX."""
        while self.next_id in self.timers:
            self.next_id = (self.next_id + 1) & INT_MAX
        timer_id = self.next_id
        self.next_id = (timer_id + 1) & INT_MAX
        self.timers[timer_id] = timer
        return timer_id


class KItimer:
    """struct k_itimer: one timer, its clock, whom it signals and its overrun state."""

    __slots__ = ("kernel", "it_id", "it_clock", "sigev_notify", "tgid", "thread", "sigq",
                 "it_interval", "it_active", "it_overrun", "it_overrun_last",
                 "it_requeue_pending", "expires", "hrtimer", "owner", "cpu_thread", "cpu_which",
                 "real")

    def __init__(self, kernel, clock: int, owner):
        self.kernel = kernel
        self.it_id = -1
        self.it_clock = clock
        self.sigev_notify = SIGEV_SIGNAL
        self.tgid = 0                    # the process it signals (it_pid, PIDTYPE_TGID)
        self.thread = None               # SIGEV_THREAD_ID: the thread it signals
        self.sigq = None
        self.it_interval = 0
        self.it_active = False
        self.it_overrun = -1
        self.it_overrun_last = 0
        self.it_requeue_pending = 0
        self.expires = 0                 # base-clock ns, or CPU-time ns for a CPU timer
        self.hrtimer = None              # the armed HrTimer (the poll of a CPU timer)
        self.real = None                 # a first expiry set as an absolute realtime
        self.owner = owner               # the creating task, or whose CPU clock it counts
        self.cpu_thread = clock == ClockId.CLOCK_THREAD_CPUTIME_ID   # a thread's CPU clock
        self.cpu_which = CPUCLOCK_SCHED

    @property
    def is_cpu(self) -> bool:
        return self.it_clock in _CPU_CLOCKS or self.it_clock < 0

    @property
    def sig_none(self) -> bool:
        return self.sigev_notify & ~SIGEV_THREAD_ID == SIGEV_NONE

    def now(self) -> int:
        """The timer's clock now: the base clock, or the CPU time it counts."""
        if not self.is_cpu:
            return self.kernel.clock_ns()
        return cpu_clock_value(self.owner, self.cpu_thread, self.cpu_which)

    # --- arming -----------------------------------------------------------------------------
    def arm(self) -> None:
        """Start the hrtimer for self.expires (for a CPU timer: the poll)."""
        self.cancel()
        if self.is_cpu:
            delay = max(self.expires - self.now(), TICK_NSEC)
            self.hrtimer = hrtimer_arm_at(self.kernel, self.kernel.clock_ns() + delay, self._cpu_poll)
        else:
            self.hrtimer = hrtimer_arm_at(self.kernel, self.expires, self._fire, self.real)

    def cancel(self) -> None:
        if self.hrtimer is not None:
            self.kernel.hrtimers.cancel(self.hrtimer)
            self.hrtimer = None

    def _cpu_poll(self, hrtimer) -> None:
        """The CPU time poll: fire when the CPU clock reached the expiry, else poll again."""
        if hrtimer is not self.hrtimer:
            return
        self.hrtimer = None
        if self.owner.exit_state and (self.cpu_thread or self.owner.signal.nr_threads == 0):
            return
        if self.now() >= self.expires:
            self._fire(None)
        else:
            self.arm()

    def forward(self, now: int) -> int:
        """hrtimer_forward / bump_cpu_timer: expiry past now; returns the overruns."""
        self.expires, orun = hrtimer_forward(self.expires, now, self.it_interval)
        return orun

    # --- expiry (posix_timer_fn, cpu_timer_fire) ---------------------------------------------
    def _fire(self, hrtimer) -> None:
        if hrtimer is not None:
            if hrtimer is not self.hrtimer:
                return
            self.hrtimer = None
            self.expires = hrtimer.expires     # moved if the clock was set meanwhile
            self.real = None                   # later periods follow the monotonic base
        self.it_active = False
        si_private = 0
        if self.it_interval:
            self.it_requeue_pending += 1
            si_private = self.it_requeue_pending
        elif self.is_cpu:
            self.expires = 0                       # a one-shot CPU timer clears itself
        if posix_timer_event(self, si_private) and self.it_interval:
            # Ignored, so no dequeue will re-arm it: keep it ticking, at most once a
            # jiffy (a handler may be installed later).
            now = self.now()
            interval = max(self.it_interval, TICK_NSEC)
            self.expires, orun = hrtimer_forward(self.expires, now, interval)
            self.it_overrun += orun
            self.it_requeue_pending += 1
            self.it_active = True
            self.arm()

    def rearm(self) -> None:
        """common_hrtimer_rearm / posix_cpu_timer_rearm at the dequeue of its signal."""
        self.it_overrun += self.forward(self.now())
        self.arm()

    # --- settime / gettime (common_timer_set, common_timer_get) -------------------------------
    def get(self) -> tuple:
        """(remaining, interval) in ns; a timer that is due but not delivered reports 1."""
        interval = self.it_interval
        if not interval and not self.it_active and not self.sig_none and not self.is_cpu:
            return 0, 0
        if self.is_cpu and not self.expires:
            return 0, interval
        now = self.now()
        if interval and (self.it_requeue_pending & REQUEUE_PENDING or self.sig_none):
            self.it_overrun += self.forward(now)
        if self.hrtimer is not None and not self.is_cpu:
            self.expires = self.hrtimer.expires    # moved if the clock was set meanwhile
        remaining = self.expires - now
        if remaining <= 0:
            return (0 if self.sig_none else 1), interval
        return remaining, interval

    def set(self, flags: int, value: tuple, interval: tuple) -> None:
        """Disarm, reset the overrun bookkeeping, and arm for the new value (0: off)."""
        self.it_interval = 0
        self.cancel()
        self.it_active = False
        self.it_requeue_pending = (self.it_requeue_pending + 2) & ~REQUEUE_PENDING
        self.it_overrun_last = 0
        self.it_overrun = -1
        value_ns = timespec_ns(value)
        if not value_ns:
            self.expires = 0
            return
        self.it_interval = timespec_ns(interval)
        absolute = bool(flags & TIMER_ABSTIME)
        if self.is_cpu:
            self.expires = value_ns if absolute else self.now() + value_ns
        else:
            self.expires = clock_expiry_to_base(self.kernel, self.it_clock, value_ns, absolute)
            self.real = realtime_abs(self.it_clock, value_ns, absolute)
        if not self.sig_none:
            self.arm()
            self.it_active = True


# ----- sending the signal (posix_timer_event, send_sigqueue) ---------------------------------

def _sigq_queued(task, sigq) -> bool:
    """Is the timer's siginfo still queued on some thread of task's process?"""
    from glasskernel.kernel.signal import for_each_thread
    signo = sigq_signo(sigq)
    return any(info is sigq for t in for_each_thread(task) for _shared, info in t.pending_info.get(signo, ()))


def sigq_signo(sigq) -> int:
    return struct.unpack_from("<i", sigq, 0)[0]


def posix_timer_event(timer: KItimer, si_private: int) -> bool:
    """Queue the timer's signal; True when it was not queued because it is ignored (or
    its target is gone), so that no dequeue will re-arm the timer."""
    if timer.sig_none:
        return False
    timer.sigq.sys_private = si_private
    kernel = timer.kernel
    target = timer.thread if timer.sigev_notify & SIGEV_THREAD_ID else kernel.tasks.get(timer.tgid)
    if target is None or target.exiting and target.exit_state == EXIT_DEAD or target.sighand is None:
        return True
    return send_sigqueue(timer.sigq, target, not timer.sigev_notify & SIGEV_THREAD_ID) != 0


def send_sigqueue(sigq: SigQueue, target, group: bool) -> int:
    """1: ignored; 0: queued, or an overrun counted in the copy still queued."""
    from glasskernel.kernel.signal import _pick_thread, complete_signal, prepare_signal, sigmask
    from glasskernel.fs.signalfd import signalfd_notify
    signo = sigq_signo(sigq)
    if signal_group_exit(target.signal) or not prepare_signal(target, signo, False):
        return 1
    if _sigq_queued(target, sigq):
        sigq.overrun = sigq.overrun + 1
        return 0
    sigq.overrun = 0
    t = _pick_thread(target, signo) if group else target
    if t.exiting:
        return 1
    signalfd_notify(t)
    t.pending_info.setdefault(signo, []).append((group, sigq))
    t.pending |= sigmask(signo)
    complete_signal(t, signo)
    return 0


def posixtimer_rearm(task, info):
    """The dequeue of a timer's signal: a periodic timer that has not been set since
    starts its next period; the overruns go into the siginfo the caller gets (a copy,
    with si_sys_private cleared). Other siginfos pass through."""
    if not isinstance(info, SigQueue):
        return info
    timer, private = info.timer, info.sys_private
    out = bytearray(info)
    if timer is not None and private and timer.it_interval and timer.it_requeue_pending == private:
        timer.rearm()
        timer.it_active = True
        timer.it_overrun_last = timer.it_overrun
        timer.it_overrun = -1
        timer.it_requeue_pending += 1
        total = timer.it_overrun_last + info.overrun
        struct.pack_into("<i", out, 20, min(total, INT_MAX))
    return bytes(out)


# ----- the syscalls ---------------------------------------------------------------------------

def posix_timers_of(task) -> PosixTimers:
    sig = task.signal
    if sig.posix_timers is None:
        sig.posix_timers = PosixTimers()
    return sig.posix_timers


def lock_timer(task, timer_id) -> KItimer:
    """The caller's process's timer with that id; EINVAL for any other."""
    timer_id = int_arg(timer_id)
    timers = task.signal.posix_timers
    timer = timers.timers.get(timer_id) if timers is not None and timer_id >= 0 else None
    if timer is None:
        raise KernelError(Errno.EINVAL)
    return timer


def _clock_check(task, clock: int) -> None:
    """clockid_to_kclock and the clock's own timer_create checks (a negative id is the
    CPU clock of a pid, see time.py: cpu_clock_task)."""
    if clock < 0:
        return                           # checked by the CPU timers' timer_create
    if clock in _NO_TIMER_CLOCKS:
        raise KernelError(Errno.EOPNOTSUPP)
    if clock not in _HR_CLOCKS and clock not in _CPU_CLOCKS:
        raise KernelError(Errno.EINVAL)


def _alarm_check(task, clock: int) -> None:
    """alarm_timer_create: no RTC device here, so EOPNOTSUPP, as a machine without one."""
    if clock in (ClockId.CLOCK_REALTIME_ALARM, ClockId.CLOCK_BOOTTIME_ALARM):
        raise KernelError(Errno.EOPNOTSUPP)


def good_sigevent(task, notify: int, signo: int, tid: int):
    """(tgid, thread) the timer signals, or EINVAL: a SIGEV_THREAD_ID thread must be in
    the caller's process, and a signal must be 1..SIGRTMAX."""
    from glasskernel.kernel.pid import find_task_by_vpid
    thread = None
    if notify == SIGEV_SIGNAL | SIGEV_THREAD_ID:
        thread = find_task_by_vpid(task, tid)
        if thread is None or thread.signal is not task.signal or thread.exit_state == EXIT_DEAD:
            raise KernelError(Errno.EINVAL)
    elif notify not in (SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_NONE):
        raise KernelError(Errno.EINVAL)
    if notify != SIGEV_NONE and not 0 < signo <= SIGRTMAX:
        raise KernelError(Errno.EINVAL)
    return task.tgid, thread


def sys_timer_create(task, which_clock, timer_event_spec, created_timer_id, *,
                     sigevent=_SIGEVENT) -> int:
    """timer_create(2): EINVAL for a bad clock or sigevent, EOPNOTSUPP for a clock
    without timers, EFAULT for bad pointers. Without a sigevent: SIGALRM with the id
    as its value."""
    clock = int_arg(which_clock)
    _clock_check(task, clock)
    event = None
    if timer_event_spec:
        event = sigevent.unpack(copy_from_user(task, timer_event_spec, sigevent.size))
    timers = posix_timers_of(task)
    timer = KItimer(task.kernel, clock, task)
    timer_id = timer.it_id = timers.add(timer)
    try:
        if event is not None:
            value, signo, notify, tid = event
            timer.tgid, timer.thread = good_sigevent(task, notify, signo, int_arg(tid))
            timer.sigev_notify = notify
        else:
            value, signo = timer_id, SIGALRM
            timer.tgid = task.tgid
        info = struct.pack("<iii4xiiQ", signo, 0, SI_TIMER, timer_id, 0, value)
        timer.sigq = SigQueue(info.ljust(128, b"\0"), timer)
        copy_to_user(task, created_timer_id, struct.pack("<i", timer_id))
        _alarm_check(task, clock)
        if clock < 0:                    # posix_cpu_timer_create
            timer.owner = cpu_clock_task(task, clock)
            timer.cpu_thread, timer.cpu_which = bool(clock & CPUCLOCK_PERTHREAD_MASK), clock & 3
    except KernelError:
        del timers.timers[timer_id]
        raise
    return 0


def sys_timer_settime(task, timer_id, flags, new_setting, old_setting, *, get=get_itimerspec64,
                      put=put_itimerspec64) -> int:
    """timer_settime(2): EINVAL for no new value, EFAULT, EINVAL for bad values or id
    (get/put: the itimerspec layout, old_itimerspec32 for timer_settime32)."""
    if not new_setting:
        raise KernelError(Errno.EINVAL)
    value, interval = get(task, new_setting)
    if not itimerspec64_valid((value, interval)):
        raise KernelError(Errno.EINVAL)
    timer = lock_timer(task, timer_id)
    old = timer.get() if old_setting else None
    if not timer.is_cpu:
        from glasskernel.kernel.time_namespace import timens_timespec_to_host
        value = timens_timespec_to_host(task, timer.it_clock, value, bool(int_arg(flags) & TIMER_ABSTIME))
    timer.set(int_arg(flags), value, interval)
    if old is not None:
        put(task, old_setting, *old)
    return 0


def sys_timer_gettime(task, timer_id, setting, *, put=put_itimerspec64) -> int:
    timer = lock_timer(task, timer_id)
    put(task, setting, *timer.get())
    return 0


def sys_timer_getoverrun(task, timer_id) -> int:
    """The overruns the last delivered signal reported (clamped to INT_MAX)."""
    return min(lock_timer(task, timer_id).it_overrun_last, INT_MAX)


def itimer_delete(timer: KItimer) -> None:
    """Stop the timer; a signal of it still queued stays, but will not re-arm it."""
    timer.it_interval = 0
    timer.cancel()
    timer.it_active = False
    if timer.sigq is not None:
        timer.sigq.timer = None


def sys_timer_delete(task, timer_id) -> int:
    timer = lock_timer(task, timer_id)
    itimer_delete(timer)
    del task.signal.posix_timers.timers[timer.it_id]
    return 0


def exit_itimers(task) -> None:
    """Exec, or the exit of the process's last thread: every timer is deleted."""
    timers = task.signal.posix_timers
    if timers is None:
        return
    for timer in timers.timers.values():
        itimer_delete(timer)
    timers.timers.clear()


def flush_itimer_signals(task) -> None:
    """Exec: the queued signals of (now deleted) timers are dropped."""
    from glasskernel.kernel.signal import for_each_thread, sigmask
    for t in for_each_thread(task):
        for signo, queue in list(t.pending_info.items()):
            kept = [entry for entry in queue if not isinstance(entry[1], SigQueue)]
            if len(kept) == len(queue):
                continue
            if kept:
                t.pending_info[signo] = kept
            else:
                del t.pending_info[signo]
                t.pending &= ~sigmask(signo)
