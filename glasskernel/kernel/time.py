"""Clock syscalls: clock_gettime, clock_getres, gettimeofday, time, nanosleep, times
(kernel/time/posix-timers.c, kernel/time/time.c, kernel/time/hrtimer.c; times from
kernel/sys.c). Interval timers and alarm are in time_itimer.py.

Time comes from ``task.kernel.clock`` when the kernel has one (``realtime_ns()`` and
``monotonic_ns()``; the deterministic virtual clock), otherwise from the host. CPU-time
clocks (also those of another pid: a negative id) are the scheduler's accounting of the
guest's threads (``task_sched_runtime``), the numbers times(2) and the CPU timers use.
Every other clock is CLOCK_MONOTONIC plus the timekeeper's offset (time_vsyscall.py),
exactly what the vDSO computes in user mode, so the two paths agree.
"""
import struct
import time as _host_time

from glasskernel.kernel.sched.cputime import task_cputime, thread_group_cputime
from glasskernel.mm.uaccess import copy_to_user
from glasskernel.uapi.errno import ERESTART_RESTARTBLOCK, ERESTARTNOHAND, Errno, KernelError
from glasskernel.uapi.time import NSEC_PER_SEC, NSEC_PER_USEC, ClockId
from glasskernel.kernel.task import EXIT_DEAD

_TIMESPEC = struct.Struct("<qq")
_TIMEZONE = struct.Struct("<ii")
HRTIMER_RES_NS = 1                  # hrtimer clocks report 1 ns resolution
TICK_NSEC = 4_000_000               # coarse clocks tick at HZ=250 (Debian's configuration)


def _clock(task):
    return task.kernel.clock


def realtime_ns(task) -> int:
    """ktime_get_real(): nanoseconds since the epoch (monotonic + offs_real)."""
    return task.kernel.clock_ns() + task.kernel.timekeeper.offs_real


def monotonic_ns(task) -> int:
    """ktime_get(): nanoseconds since an arbitrary start, never going back."""
    clock = _clock(task)
    return clock.monotonic_ns() if clock is not None else _host_time.monotonic_ns()


def _coarse(task, read) -> int:
    """A coarse clock: read(task) taken back to the last tick boundary (time_vsyscall.py)."""
    tk = task.kernel.timekeeper
    mono = task.kernel.clock_ns()
    offset = tk.offs_real if read is realtime_ns else 0
    return mono + offset - tk.coarse_back(mono)


def realtime_coarse_ns(task) -> int:
    """ktime_get_coarse_real: the wall clock at the last tick."""
    return _coarse(task, realtime_ns)


def monotonic_coarse_ns(task) -> int:
    """ktime_get_coarse: the monotonic clock at the last tick."""
    return _coarse(task, monotonic_ns)


def task_sched_runtime(task) -> int:
    """The thread's CPU time, with the part of its current run not charged yet."""
    utime, stime = task_cputime(task)
    return utime + stime


def thread_cputime_ns(task) -> int:
    """CLOCK_THREAD_CPUTIME_ID."""
    return task_sched_runtime(task)


def cputime_ns(task) -> int:
    """CLOCK_PROCESS_CPUTIME_ID: every live thread of the process (the CPU time of
    exited threads is not kept)."""
    return sum(thread_group_cputime(task))


# The posix_clocks[] table: clock id -> (read function, resolution).
_CLOCKS = {
    ClockId.CLOCK_REALTIME: (realtime_ns, HRTIMER_RES_NS),
    ClockId.CLOCK_MONOTONIC: (monotonic_ns, HRTIMER_RES_NS),
    ClockId.CLOCK_PROCESS_CPUTIME_ID: (cputime_ns, HRTIMER_RES_NS),
    ClockId.CLOCK_THREAD_CPUTIME_ID: (thread_cputime_ns, HRTIMER_RES_NS),
    ClockId.CLOCK_MONOTONIC_RAW: (monotonic_ns, HRTIMER_RES_NS),
    ClockId.CLOCK_REALTIME_COARSE: (realtime_coarse_ns, TICK_NSEC),
    ClockId.CLOCK_MONOTONIC_COARSE: (monotonic_coarse_ns, TICK_NSEC),
    ClockId.CLOCK_BOOTTIME: (monotonic_ns, HRTIMER_RES_NS),   # we never suspend
    ClockId.CLOCK_TAI: (realtime_ns, HRTIMER_RES_NS),         # TAI offset 0 until NTP sets it
}


# CPU-time clocks of another thread or process (kernel/time/posix-cpu-timers.c): a
# negative id holds ~pid << 3, a per-thread bit and which time (CPUCLOCK_*).
CPUCLOCK_PROF, CPUCLOCK_VIRT, CPUCLOCK_SCHED, CPUCLOCK_MAX = 0, 1, 2, 3
CPUCLOCK_PERTHREAD_MASK = 4
HZ_RES_NS = (NSEC_PER_SEC + 250 - 1) // 250     # the tick (HZ=250): PROF and VIRT clocks


def cpu_clock_task(task, which: int):
    """lookup_task: the thread (or process leader) a CPU-clock id names; EINVAL if none,
    for a thread outside the caller's process, for a non-leader as a process clock and
    for the descriptor clocks (CLOCKFD)."""
    if which & 3 == CPUCLOCK_MAX:
        raise KernelError(Errno.EINVAL)
    pid = ~(which >> 3)
    thread = which & CPUCLOCK_PERTHREAD_MASK
    if pid == 0:
        return task
    from glasskernel.kernel.pid import find_task_by_vpid
    target = find_task_by_vpid(task, pid)
    if target is None or target.exit_state == EXIT_DEAD:
        raise KernelError(Errno.EINVAL)
    if thread and target.tgid != task.tgid:
        raise KernelError(Errno.EINVAL)
    if not thread and target.pid != target.tgid:
        raise KernelError(Errno.EINVAL)
    return target


def cpu_clock_value(target, thread: bool, kind: int) -> int:
    """cpu_clock_sample(_group): the user time (VIRT) or all of it (PROF, SCHED) of the
    thread, or of every live thread of its process."""
    utime, stime = task_cputime(target) if thread else thread_group_cputime(target)
    return utime if kind == CPUCLOCK_VIRT else utime + stime


def _cpu_clock(which: int):
    """(read, res) of a negative CPU-clock id, as a _CLOCKS entry."""
    kind, thread = which & 3, which & CPUCLOCK_PERTHREAD_MASK

    def read(task) -> int:
        return cpu_clock_value(cpu_clock_task(task, which), bool(thread), kind)

    return read, HRTIMER_RES_NS if kind == CPUCLOCK_SCHED else HZ_RES_NS


def clockid_to_kclock(which: int, task=None):
    """The clock for an id; EINVAL for unknown ids. A negative id is a CPU-time clock of
    a thread or process, checked against task (the caller) when given."""
    which &= 0xFFFFFFFF
    if which & 0x8000_0000:
        which -= 1 << 32
        if task is not None:
            cpu_clock_task(task, which)         # validate_clock_permissions
        return _cpu_clock(which)
    if which not in _CLOCKS:
        raise KernelError(Errno.EINVAL)
    return _CLOCKS[ClockId(which)]


def put_timespec64(task, addr: int, ns: int) -> None:
    copy_to_user(task, addr, _TIMESPEC.pack(ns // NSEC_PER_SEC, ns % NSEC_PER_SEC))


_TIMENS_MONOTONIC = (ClockId.CLOCK_MONOTONIC, ClockId.CLOCK_MONOTONIC_RAW,
                     ClockId.CLOCK_MONOTONIC_COARSE)


def timens_adjust(task, which: int, ns: int) -> int:
    """The task's time namespace's view of a clock read (timens_add_monotonic/boottime)."""
    tns = getattr(task.nsproxy, "time_ns", None)
    if tns is None:
        return ns
    if which in _TIMENS_MONOTONIC:
        return ns + tns.monotonic
    if which == ClockId.CLOCK_BOOTTIME:
        return ns + tns.boottime
    return ns


def sys_clock_gettime(task, which_clock, tp, *, put=put_timespec64) -> int:
    """clock_gettime(2), in the caller's time namespace (put: the user struct's layout,
    old_timespec32 for the compat call)."""
    read, _res = clockid_to_kclock(which_clock, task)
    put(task, tp, timens_adjust(task, which_clock & 0xFFFFFFFF, read(task)))
    return 0


def sys_clock_getres(task, which_clock, tp, *, put=put_timespec64) -> int:
    """clock_getres(2): the resolution; tp may be NULL to just validate the clock."""
    _read, res = clockid_to_kclock(which_clock, task)
    if tp:
        put(task, tp, res)
    return 0


def sys_gettimeofday(task, tv, tz) -> int:
    """gettimeofday(2): either pointer may be NULL; the timezone is settimeofday's (sys_tz)."""
    if tv:
        ns = realtime_ns(task)
        copy_to_user(task, tv, _TIMESPEC.pack(ns // NSEC_PER_SEC,
                                              ns % NSEC_PER_SEC // NSEC_PER_USEC))
    if tz:
        copy_to_user(task, tz, _TIMEZONE.pack(*task.kernel.timekeeper.sys_tz))
    return 0


def sys_time(task, tloc) -> int:
    """time(2): seconds since the epoch at the last tick (ktime_get_real_seconds, as the
    vDSO's time), also stored at tloc unless it is NULL."""
    secs = realtime_coarse_ns(task) // NSEC_PER_SEC
    if tloc:
        copy_to_user(task, tloc, struct.pack("<q", secs))
    return secs


TIMER_ABSTIME = 1
_MAX_NSEC = NSEC_PER_SEC


def get_timespec64(task, addr: int) -> int:
    """A user timespec as nanoseconds; EINVAL if tv_nsec is out of range or tv_sec < 0."""
    from glasskernel.mm.uaccess import copy_from_user
    sec, nsec = _TIMESPEC.unpack(copy_from_user(task, addr, _TIMESPEC.size))
    if sec < 0 or not 0 <= nsec < _MAX_NSEC:
        raise KernelError(Errno.EINVAL)
    return sec * NSEC_PER_SEC + nsec


def _sleep_until(task, expires: int) -> bool:
    """Sleep until the hrtimer clock reaches expires; False if a signal came first."""
    from glasskernel.kernel.sched.wait import WaitQueue, wait_event
    delay = expires - task.kernel.clock_ns()
    if delay <= 0:
        return True
    try:
        wait_event(task, WaitQueue("nanosleep"), lambda: False, timeout_ns=delay)
    except KernelError:
        return task.kernel.clock_ns() >= expires
    return True


def do_nanosleep(task, expires: int, rmtp: int, put=put_timespec64) -> int:
    """Sleep to expires (hrtimer clock). Interrupted: report what is left at rmtp and ask
    for a restart through restart_syscall, which sleeps the rest unless a handler runs."""
    if _sleep_until(task, expires):
        return 0
    if rmtp:
        put(task, rmtp, max(0, expires - task.kernel.clock_ns()))
    task.restart_block = lambda t: do_nanosleep(t, expires, rmtp, put)
    raise KernelError(ERESTART_RESTARTBLOCK)


def sys_nanosleep(task, rqtp, rmtp, *, get=None, put=put_timespec64) -> int:
    """nanosleep(2); get/put: the timespec layout (old_timespec32 for nanosleep_time32)."""
    ns = (get or get_timespec64)(task, rqtp)
    return do_nanosleep(task, task.kernel.clock_ns() + ns, rmtp, put)


# Clocks whose k_clock has no nsleep (posix-timers.c): clock_nanosleep is EOPNOTSUPP.
_NO_NSLEEP = {ClockId.CLOCK_THREAD_CPUTIME_ID, ClockId.CLOCK_MONOTONIC_RAW,
              ClockId.CLOCK_REALTIME_COARSE, ClockId.CLOCK_MONOTONIC_COARSE,
              ClockId.CLOCK_REALTIME_ALARM, ClockId.CLOCK_BOOTTIME_ALARM}   # (alarm: no RTC)


def sys_clock_nanosleep(task, which_clock, flags, rqtp, rmtp, *, get=None,
                        put=put_timespec64) -> int:
    """clock_nanosleep(2): relative or TIMER_ABSTIME sleeps on the realtime/monotonic clocks.
    An absolute sleep is simply run again after a signal (ERESTARTNOHAND), without rmtp."""
    which = which_clock & 0xFFFFFFFF
    if which in _NO_NSLEEP:
        raise KernelError(Errno.EOPNOTSUPP)     # the k_clock has no nsleep
    if which & 0x8000_0000:
        raise KernelError(Errno.EINVAL)     # no sleeping on another task's CPU clock here
    read, _res = clockid_to_kclock(which)
    ns = (get or get_timespec64)(task, rqtp)
    if not flags & TIMER_ABSTIME:
        return do_nanosleep(task, task.kernel.clock_ns() + ns, rmtp, put)
    from glasskernel.kernel.time_namespace import timens_ktime_to_host
    ns = timens_ktime_to_host(task, which, ns)      # common_nsleep_timens
    if which in (ClockId.CLOCK_REALTIME, ClockId.CLOCK_TAI):
        slept = _sleep_until_real(task, ns - (read(task) - realtime_ns(task)))
    else:
        slept = _sleep_until(task, task.kernel.clock_ns() + max(0, ns - read(task)))
    if slept:
        return 0
    raise KernelError(ERESTARTNOHAND)


def _sleep_until_real(task, real: int) -> bool:
    """Sleep until CLOCK_REALTIME reaches real, however the clock is set meanwhile (the
    timer moves with it); False if a signal came first."""
    from glasskernel.kernel.sched.wait import WaitQueue, wait_event
    kernel = task.kernel
    offs = real_offset_ns(kernel)
    if real <= kernel.clock_ns() + offs:
        return True
    timer = kernel.hrtimers.start_real(task, real, offs)
    try:
        wait_event(task, WaitQueue("nanosleep"), lambda: timer.fired)
    except KernelError:
        return timer.fired
    finally:
        kernel.hrtimers.cancel(timer)
    return True


# ----- times(2) (kernel/sys.c) --------------------------------------------------------------

USER_HZ = 100
HZ = 250
INITIAL_JIFFIES = (1 << 32) - 300 * HZ   # jiffies start 5 minutes before wrapping 32 bits
_TMS = struct.Struct("<qqqq")


def nsec_to_clock_t(ns: int) -> int:
    return ns // (NSEC_PER_SEC // USER_HZ)


def sys_times(task, tbuf) -> int:
    """times(2): the process's and its reaped children's CPU times in clock ticks; returns
    the jiffies counter in clock ticks (it starts at INITIAL_JIFFIES, as Linux's does)."""
    if tbuf:
        copy_to_user(task, tbuf, _TMS.pack(*do_sys_times(task)))
    return jiffies_clock_t(task)


def do_sys_times(task) -> tuple:
    """do_sys_times: utime, stime, cutime, cstime of the thread group in clock ticks."""
    utime, stime = thread_group_cputime(task)
    sig = task.signal
    return (nsec_to_clock_t(utime), nsec_to_clock_t(stime), nsec_to_clock_t(sig.cutime_ns),
            nsec_to_clock_t(sig.cstime_ns))


def jiffies_clock_t(task) -> int:
    """jiffies_64_to_clock_t(jiffies): the tick counter in USER_HZ units."""
    jiffies = INITIAL_JIFFIES + (task.kernel.clock_ns() - task.kernel.boot_time_ns) // TICK_NSEC
    return jiffies * TICK_NSEC // (NSEC_PER_SEC // USER_HZ)


# ----- clocks as the hrtimer base sees them (timerfd, POSIX timers) -------------------------

_ITIMERSPEC = struct.Struct("<qqqq")     # it_interval {sec, nsec}, it_value {sec, nsec}


def real_offset_ns(kernel) -> int:
    """CLOCK_REALTIME minus CLOCK_MONOTONIC (the timekeeper's offs_real): the host's, and
    what the guest set (time_ntp.py)."""
    return kernel.timekeeper.offs_real


def clock_expiry_to_base(kernel, clockid: int, value: int, absolute: bool) -> int:
    """A timer's expiry on the hrtimer base's clock (CLOCK_MONOTONIC): a relative value is
    added to now; an absolute one on a realtime clock is moved by the realtime offset
    (BOOTTIME and TAI run with MONOTONIC and REALTIME here: no suspend, TAI offset 0)."""
    if not absolute:
        return kernel.clock_ns() + value
    if clockid in (ClockId.CLOCK_REALTIME, ClockId.CLOCK_REALTIME_ALARM, ClockId.CLOCK_TAI):
        return value - real_offset_ns(kernel)
    return value


def hrtimer_arm_at(kernel, expires: int, callback, real=None):
    """Start an hrtimer for a base-clock time (or, given real, for that absolute realtime,
    which follows clock changes). Armed inside the syscall hook, it ends the emulator's
    run after the syscall (the next run is sliced, so the timer can fire in a busy loop),
    as the slow syscalls that arm timers do."""
    if kernel.in_fast_syscall:
        kernel.sched.resched_curr()
    if real is not None:
        return kernel.hrtimers.start_real(None, real, real_offset_ns(kernel), callback)
    return kernel.hrtimers.start_at(None, expires, callback)


def realtime_abs(clockid: int, value: int, absolute: bool):
    """The absolute CLOCK_REALTIME time of a timer's first expiry, when it was set as one
    (it then moves with the clock), else None."""
    if absolute and clockid in (ClockId.CLOCK_REALTIME, ClockId.CLOCK_REALTIME_ALARM):
        return value
    return None


def timespec64_valid(sec: int, nsec: int) -> bool:
    return sec >= 0 and 0 <= nsec < NSEC_PER_SEC


def get_itimerspec64(task, addr: int) -> tuple:
    """A user itimerspec as ((value sec, nsec), (interval sec, nsec)), unchecked."""
    from glasskernel.mm.uaccess import copy_from_user
    isec, insec, vsec, vnsec = _ITIMERSPEC.unpack(copy_from_user(task, addr, _ITIMERSPEC.size))
    return (vsec, vnsec), (isec, insec)


def itimerspec64_valid(spec: tuple) -> bool:
    return all(timespec64_valid(sec, nsec) for sec, nsec in spec)


def put_itimerspec64(task, addr: int, value_ns: int, interval_ns: int) -> None:
    copy_to_user(task, addr, _ITIMERSPEC.pack(interval_ns // NSEC_PER_SEC, interval_ns % NSEC_PER_SEC,
                                              value_ns // NSEC_PER_SEC, value_ns % NSEC_PER_SEC))


KTIME_MAX = (1 << 63) - 1


def timespec_ns(spec: tuple) -> int:
    """timespec64_to_ktime: nanoseconds, saturating at KTIME_MAX."""
    sec, nsec = spec
    return min(sec * NSEC_PER_SEC + nsec, KTIME_MAX)
