"""Setting the clock (kernel/time/time.c, timekeeping.c's setters, ntp.c): clock_settime,
settimeofday, adjtimex and clock_adjtime.

The guest's wall clock is its own. Setting it changes the timekeeper's offset of
CLOCK_REALTIME from CLOCK_MONOTONIC for this run only (the host's clock is never touched);
steps of the host's clock still carry through, on top of the guest's change. A set clock
is a clock_was_set: timers armed for an absolute realtime move with it (hrtimer.py), and
timerfds with TFD_TIMER_CANCEL_ON_SET are cancelled.

adjtimex keeps the NTP state as Linux reports it (status, offsets, errors, time constant,
tick, TAI offset) and carries out leap seconds: with STA_INS the day's last second is
repeated at midnight UTC (TIME_INS, TIME_OOP, TIME_WAIT), with STA_DEL it is skipped.
The clock is not steered: a frequency or phase offset is recorded, not applied (nothing
drifts here for NTP to correct).
"""
import struct

from glasskernel.kernel.capability import capable
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.capability import CAP_SYS_TIME
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.time import NSEC_PER_SEC, NSEC_PER_USEC, ClockId

# struct __kernel_timex (208 bytes): modes, offset, freq, maxerror, esterror, status,
# constant, precision, tolerance, time {sec, usec}, tick, ppsfreq, jitter, shift, stabil,
# jitcnt, calcnt, errcnt, stbcnt, tai, 11 ints of padding
_TIMEX = struct.Struct("<I4xqqqqi4xqqqqqqqqi4xqqqqqi44x")
ADJ_OFFSET, ADJ_FREQUENCY, ADJ_MAXERROR, ADJ_ESTERROR = 0x1, 0x2, 0x4, 0x8
ADJ_STATUS, ADJ_TIMECONST, ADJ_TAI, ADJ_SETOFFSET = 0x10, 0x20, 0x80, 0x100
ADJ_MICRO, ADJ_NANO, ADJ_TICK = 0x1000, 0x2000, 0x4000
ADJ_ADJTIME, ADJ_OFFSET_READONLY = 0x8000, 0x2000
STA_PLL, STA_PPSFREQ, STA_PPSTIME, STA_INS, STA_DEL, STA_UNSYNC = 0x1, 0x2, 0x4, 0x10, 0x20, 0x40
STA_PPSSIGNAL, STA_PPSJITTER, STA_PPSWANDER, STA_PPSERROR = 0x100, 0x200, 0x400, 0x800
STA_CLOCKERR, STA_NANO, STA_MODE, STA_CLK = 0x1000, 0x2000, 0x4000, 0x8000
STA_RONLY = (STA_PPSSIGNAL | STA_PPSJITTER | STA_PPSWANDER | STA_PPSERROR | STA_CLOCKERR
             | STA_NANO | STA_MODE | STA_CLK)
TIME_OK, TIME_INS, TIME_DEL, TIME_OOP, TIME_WAIT, TIME_ERROR = range(6)
USER_HZ, SECS_PER_DAY = 100, 86400
MAXPHASE = 500_000_000                     # ns
MAXFREQ_SCALED = 500_000 << 32             # 500 ppm, in ns/s << NTP_SCALE_SHIFT
PPM_SCALE = 1000 << 16                     # timex.freq (ppm << 16) to that scale
NTP_PHASE_LIMIT = 16_000_000               # maxerror's ceiling, in usec
MAXTC, MAX_TAI_OFFSET = 10, 100000


class NtpState:
    """kernel/time/ntp.c's state: what adjtimex reads and writes."""

    __slots__ = ("status", "state", "offset", "freq", "maxerror", "esterror", "constant",
                 "tick", "tai", "adjust", "next_leap", "timer")

    def __init__(self):
        self.status = STA_UNSYNC            # ntp_clear: unsynchronised until told
        self.state = TIME_OK
        self.offset = 0                     # ns (recorded, not applied)
        self.freq = 0                       # ns/s << 32 (recorded, not applied)
        self.maxerror = NTP_PHASE_LIMIT
        self.esterror = NTP_PHASE_LIMIT
        self.constant = 2
        self.tick = 1_000_000 // USER_HZ    # usec per tick
        self.tai = 0
        self.adjust = 0                     # adjtime(3)'s outstanding offset, usec
        self.next_leap = None               # ntp_next_leap_sec, when a leap is due
        self.timer = None                   # the per-second timer while a leap is pending


def ntp_of(kernel) -> NtpState:
    tk = kernel.timekeeper
    if tk.ntp is None:
        tk.ntp = NtpState()
    return tk.ntp


# ----- setting the time -----------------------------------------------------------------

def do_settimeofday64(kernel, real_ns: int) -> None:
    """CLOCK_REALTIME reads real_ns now; then clock_was_set. NTP errors start over."""
    tk = kernel.timekeeper
    tk.set_realtime(real_ns)
    ntp = ntp_of(kernel)
    ntp.status |= STA_UNSYNC                # ntp_clear
    ntp.maxerror = ntp.esterror = NTP_PHASE_LIMIT
    clock_was_set(kernel)


def clock_was_set(kernel) -> None:
    """Realtime jumped: re-queue absolute realtime timers, cancel CANCEL_ON_SET timerfds."""
    tk = kernel.timekeeper
    kernel.hrtimers.clock_was_set(tk.offs_real)
    from glasskernel.fs.timerfd import timerfd_clock_was_set
    timerfd_clock_was_set(kernel)


def sys_clock_settime(task, which_clock, tp, *, get=None) -> int:
    """clock_settime(2): only CLOCK_REALTIME is settable (EINVAL for the others), with
    CAP_SYS_TIME (EPERM)."""
    from glasskernel.kernel.time import clockid_to_kclock, get_timespec64
    which = which_clock & 0xFFFFFFFF
    clockid_to_kclock(which, task)                  # EINVAL for an unknown clock
    ns = (get or get_timespec64)(task, tp)      # (get: old_timespec32 for clock_settime32)
    if which != ClockId.CLOCK_REALTIME:
        raise KernelError(Errno.EINVAL)
    if not capable(task, CAP_SYS_TIME):
        raise KernelError(Errno.EPERM)
    do_settimeofday64(task.kernel, ns)
    return 0


def sys_settimeofday(task, tv, tz, *, timeval="<qq") -> int:
    """settimeofday(2): the time (a timeval, "<ii" for the compat call), the timezone, or both."""
    real = None
    if tv:
        sec, usec = struct.unpack(timeval, copy_from_user(task, tv, struct.calcsize(timeval)))
        if not 0 <= usec < 1_000_000:
            raise KernelError(Errno.EINVAL)
        real = sec * NSEC_PER_SEC + usec * NSEC_PER_USEC
    new_tz = struct.unpack("<ii", copy_from_user(task, tz, 8)) if tz else None
    if real is not None and real < 0:
        raise KernelError(Errno.EINVAL)             # timespec64_valid_settod
    if not capable(task, CAP_SYS_TIME):
        raise KernelError(Errno.EPERM)
    kernel = task.kernel
    if new_tz is not None:
        if not -15 * 60 <= new_tz[0] <= 15 * 60:
            raise KernelError(Errno.EINVAL)
        kernel.timekeeper.set_tz(new_tz)
    if real is not None:
        do_settimeofday64(kernel, real)
    return 0


# ----- adjtimex --------------------------------------------------------------------------

def sys_adjtimex(task, txc_p) -> int:
    return do_adjtimex_user(task, txc_p)


def sys_clock_adjtime(task, which_clock, utx, *, layout=None) -> int:
    """clock_adjtime(2): adjtimex of CLOCK_REALTIME; the other clocks cannot be adjusted
    (layout: the struct timex's, old_timex32 for clock_adjtime32)."""
    which = which_clock & 0xFFFFFFFF
    from glasskernel.kernel.time import clockid_to_kclock
    clockid_to_kclock(which, task)
    if which != ClockId.CLOCK_REALTIME:
        raise KernelError(Errno.EOPNOTSUPP)
    return do_adjtimex_user(task, utx, layout)


def do_adjtimex_user(task, addr: int, layout=None) -> int:
    """Read the struct timex (or another layout with the same 21 fields: old_timex32),
    adjust, write it back (each field cut to the layout's width, as C stores it)."""
    layout = layout or _TIMEX
    fields = list(layout.unpack(copy_from_user(task, addr, layout.size)))
    result = do_adjtimex(task, fields)
    if layout is not _TIMEX:
        fields = [fields[0] & 0xFFFFFFFF] + [(v + (1 << 31)) % (1 << 32) - (1 << 31)
                                             for v in fields[1:]]
    copy_to_user(task, addr, layout.pack(*fields))
    return result


def _validate(task, modes: int, usec: int, freq: int, tick: int) -> None:
    """timekeeping_validate_timex."""
    if modes & ADJ_ADJTIME:
        if modes & 0x8001 != 0x8001:
            raise KernelError(Errno.EINVAL)         # singleshot only with its own bits
        if not modes & ADJ_OFFSET_READONLY and not capable(task, CAP_SYS_TIME):
            raise KernelError(Errno.EPERM)
    else:
        if modes and not capable(task, CAP_SYS_TIME):
            raise KernelError(Errno.EPERM)
        if modes & ADJ_TICK and not 900000 // USER_HZ <= tick <= 1100000 // USER_HZ:
            raise KernelError(Errno.EINVAL)
    if modes & ADJ_SETOFFSET:
        if not capable(task, CAP_SYS_TIME):
            raise KernelError(Errno.EPERM)
        if usec < 0 or usec >= (NSEC_PER_SEC if modes & ADJ_NANO else 1_000_000):
            raise KernelError(Errno.EINVAL)
    if modes & ADJ_FREQUENCY and not -(2**63) // PPM_SCALE <= freq <= (2**63 - 1) // PPM_SCALE:
        raise KernelError(Errno.EINVAL)


def do_adjtimex(task, f: list) -> int:
    """do_adjtimex on the unpacked timex f (changed in place); returns the clock state."""
    (modes, offset, freq, maxerror, esterror, status, constant, _prec, _tol, sec, usec,
     tick, *_rest) = f
    _validate(task, modes, usec, freq, tick)
    kernel = task.kernel
    ntp = ntp_of(kernel)
    if modes & ADJ_SETOFFSET:
        from glasskernel.kernel.time import realtime_ns
        delta = sec * NSEC_PER_SEC + (usec if modes & ADJ_NANO else usec * 1000)
        do_settimeofday64(kernel, realtime_ns(task) + delta)
    if modes & ADJ_ADJTIME:
        old = ntp.adjust
        if not modes & ADJ_OFFSET_READONLY:
            ntp.adjust = offset
        f[1] = old
    else:
        _apply_modes(kernel, ntp, modes, offset, freq, maxerror, esterror, status, constant, tick, f)
        f[1] = ntp.offset if ntp.status & STA_NANO else _div_trunc(ntp.offset, 1000)
    return _report(task, ntp, f)


def _apply_modes(kernel, ntp, modes, offset, freq, maxerror, esterror, status, constant,
                 tick, f) -> None:
    """process_adjtimex_modes (the clock itself is not steered)."""
    if modes & ADJ_STATUS:
        if ntp.status & STA_PLL and not status & STA_PLL:
            ntp.state, ntp.status, ntp.next_leap = TIME_OK, STA_UNSYNC, None
        ntp.status = (ntp.status & STA_RONLY) | (status & ~STA_RONLY)
        if ntp.status & (STA_INS | STA_DEL):
            _arm_second_overflow(kernel, ntp)
    if modes & ADJ_NANO:
        ntp.status |= STA_NANO
    if modes & ADJ_MICRO:
        ntp.status &= ~STA_NANO
    if modes & ADJ_FREQUENCY:
        ntp.freq = max(-MAXFREQ_SCALED, min(MAXFREQ_SCALED, freq * PPM_SCALE))
    if modes & ADJ_MAXERROR:
        ntp.maxerror = max(0, min(maxerror, NTP_PHASE_LIMIT))
    if modes & ADJ_ESTERROR:
        ntp.esterror = max(0, min(esterror, NTP_PHASE_LIMIT))
    if modes & ADJ_TIMECONST:
        ntp.constant = max(0, min(MAXTC, constant)) + (0 if ntp.status & STA_NANO else 4)
        ntp.constant = min(MAXTC, ntp.constant)
    if modes & ADJ_TAI and 0 <= constant <= MAX_TAI_OFFSET:
        ntp.tai = constant                          # (adjtimex passes it in .constant)
        kernel.timekeeper.offs_tai = ntp.tai * NSEC_PER_SEC
    if modes & ADJ_OFFSET and ntp.status & STA_PLL:  # ntp_update_offset: only under PLL
        scale = 1 if ntp.status & STA_NANO else 1000
        ntp.offset = max(-MAXPHASE, min(MAXPHASE, offset * scale))
    if modes & ADJ_TICK:
        ntp.tick = tick


def _is_error_status(status: int) -> bool:
    return bool(status & (STA_UNSYNC | STA_CLOCKERR)
                or status & (STA_PPSFREQ | STA_PPSTIME) and not status & STA_PPSSIGNAL
                or status & (STA_PPSTIME | STA_PPSJITTER) == STA_PPSTIME | STA_PPSJITTER
                or status & STA_PPSFREQ and status & (STA_PPSWANDER | STA_PPSERROR))


def _report(task, ntp, f: list) -> int:
    """The read-back half of __do_adjtimex: every field, the time, and the clock state."""
    from glasskernel.kernel.time import realtime_ns
    now = realtime_ns(task)
    result = TIME_ERROR if _is_error_status(ntp.status) else ntp.state
    f[2] = _div_trunc(ntp.freq, PPM_SCALE)
    f[3], f[4], f[5], f[6] = ntp.maxerror, ntp.esterror, ntp.status, ntp.constant
    f[7], f[8] = 1, MAXFREQ_SCALED // PPM_SCALE
    f[9] = now // NSEC_PER_SEC
    f[10] = now % NSEC_PER_SEC if ntp.status & STA_NANO else now % NSEC_PER_SEC // 1000
    f[11] = ntp.tick
    f[20] = ntp.tai
    return result


def _div_trunc(a: int, b: int) -> int:
    """C's integer division (towards zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


# ----- leap seconds: second_overflow, once a second while one is pending ----------------

def _arm_second_overflow(kernel, ntp) -> None:
    """Run second_overflow at the next whole realtime second (unless already armed)."""
    if ntp.timer is not None and not ntp.timer.fired and not ntp.timer.cancelled:
        return
    tk = kernel.timekeeper
    real = kernel.clock_ns() + tk.offs_real
    at = (real // NSEC_PER_SEC + 1) * NSEC_PER_SEC
    ntp.timer = kernel.hrtimers.start_real(None, at, tk.offs_real,
                                           lambda timer: _second_overflow(kernel, ntp, timer))


def _second_overflow(kernel, ntp, timer) -> None:
    """The NTP state machine at a second boundary; a leap steps the clock by one second."""
    tk = kernel.timekeeper
    secs = (kernel.clock_ns() + tk.offs_real) // NSEC_PER_SEC
    leap = 0
    if ntp.state == TIME_OK:
        if ntp.status & STA_INS:
            ntp.state, ntp.next_leap = TIME_INS, secs + SECS_PER_DAY - secs % SECS_PER_DAY
        elif ntp.status & STA_DEL:
            ntp.state = TIME_DEL
            ntp.next_leap = secs + SECS_PER_DAY - (secs + 1) % SECS_PER_DAY
    elif ntp.state == TIME_INS:
        if not ntp.status & STA_INS:
            ntp.state, ntp.next_leap = TIME_OK, None
        elif secs >= ntp.next_leap:
            leap, ntp.state = -1, TIME_OOP
    elif ntp.state == TIME_DEL:
        if not ntp.status & STA_DEL:
            ntp.state, ntp.next_leap = TIME_OK, None
        elif secs + 1 >= ntp.next_leap:
            leap, ntp.state, ntp.next_leap = 1, TIME_WAIT, None
    elif ntp.state == TIME_OOP:
        ntp.state, ntp.next_leap = TIME_WAIT, None
    elif ntp.state == TIME_WAIT and not ntp.status & (STA_INS | STA_DEL):
        ntp.state = TIME_OK
    if leap:
        from glasskernel.kernel.printk import printk
        printk(kernel, "Clock: inserting leap second 23:59:60 UTC" if leap < 0
               else "Clock: deleting leap second 23:59:59 UTC")
        ntp.tai -= leap
        tk.offs_tai = ntp.tai * NSEC_PER_SEC
        tk.step_realtime(leap * NSEC_PER_SEC)
        clock_was_set(kernel)
    ntp.timer = None
    if ntp.state != TIME_OK or ntp.status & (STA_INS | STA_DEL):
        _arm_second_overflow(kernel, ntp)
