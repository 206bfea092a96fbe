"""The 32-bit time syscalls of i386 (CONFIG_COMPAT_32BIT_TIME in kernel/time/time.c,
posix-timers.c, hrtimer.c, itimer.c, futex/syscalls.c, fs/timerfd.c).

Each is the native call reading and writing old_timespec32 / old_timeval32 /
old_itimerspec32 (two s32 per time) instead of the 64-bit structs; the *_time64 numbers
of i386 use the native calls as they are.
"""
import struct

from glasskernel.fs import timerfd
from glasskernel.kernel import posix_timers, time as ktime, time_itimer, time_ntp
from glasskernel.kernel.capability import capable
from glasskernel.kernel.compat import (COMPAT_ITIMERVAL, NSEC_PER_SEC, NSEC_PER_USEC,
                                       USEC_PER_SEC, get_old_itimerspec32,
                                       get_old_timespec32_ns, put_old_itimerspec32,
                                       put_old_timespec32, put_old_timeval32)
from glasskernel.kernel.futex import core as futex_core
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.capability import CAP_SYS_TIME
from glasskernel.uapi.errno import Errno, KernelError

# struct compat_sigevent's head: sigev_value (a 32-bit sigval), signo, notify, the thread id
_COMPAT_SIGEVENT = struct.Struct("<IiiI")
# struct old_timex32: modes, eight s32 (offset .. tolerance), an old_timeval32, ten s32
# (tick .. tai) and eleven padding words: the native struct timex's 21 fields in 128 bytes
_OLD_TIMEX32 = struct.Struct("<I8i2i10i44x")


# sys_time32: time(2) of i386: the seconds as old_time32_t, stored at tloc unless NULL.
def sys_time32(task, tloc) -> int:
    secs = (ktime.realtime_coarse_ns(task) // NSEC_PER_SEC) & 0xFFFFFFFF
    if tloc:
        copy_to_user(task, tloc, struct.pack("<I", secs))
    return secs


# sys_stime32: stime(2): set the guest's clock to whole seconds (CAP_SYS_TIME).
def sys_stime32(task, tptr) -> int:
    secs, = struct.unpack("<i", copy_from_user(task, tptr, 4))
    if secs < 0:
        raise KernelError(Errno.EINVAL)             # timespec64_valid_settod
    if not capable(task, CAP_SYS_TIME):
        raise KernelError(Errno.EPERM)
    time_ntp.do_settimeofday64(task.kernel, secs * NSEC_PER_SEC)
    return 0


# compat_sys_gettimeofday: gettimeofday(2) into an old_timeval32; either pointer may be NULL.
def compat_sys_gettimeofday(task, tv, tz) -> int:
    if tv:
        put_old_timeval32(task, tv, ktime.realtime_ns(task))
    if tz:
        copy_to_user(task, tz, struct.pack("<ii", *task.kernel.timekeeper.sys_tz))
    return 0


# compat_sys_settimeofday: settimeofday(2) from an old_timeval32.
def compat_sys_settimeofday(task, tv, tz) -> int:
    return time_ntp.sys_settimeofday(task, tv, tz, timeval="<ii")


# sys_clock_gettime32: clock_gettime(2) into an old_timespec32.
def sys_clock_gettime32(task, which_clock, tp) -> int:
    return ktime.sys_clock_gettime(task, which_clock, tp, put=put_old_timespec32)


# sys_clock_settime32: clock_settime(2) from an old_timespec32.
def sys_clock_settime32(task, which_clock, tp) -> int:
    return time_ntp.sys_clock_settime(task, which_clock, tp, get=get_old_timespec32_ns)


# sys_clock_getres_time32: clock_getres(2) into an old_timespec32 (tp may be NULL).
def sys_clock_getres_time32(task, which_clock, tp) -> int:
    return ktime.sys_clock_getres(task, which_clock, tp, put=put_old_timespec32)


# sys_nanosleep_time32: nanosleep(2) with old_timespec32s (the time left too).
def sys_nanosleep_time32(task, rqtp, rmtp) -> int:
    return ktime.sys_nanosleep(task, rqtp, rmtp, get=get_old_timespec32_ns, put=put_old_timespec32)


# sys_clock_nanosleep_time32: clock_nanosleep(2) with old_timespec32s.
def sys_clock_nanosleep_time32(task, which_clock, flags, rqtp, rmtp) -> int:
    return ktime.sys_clock_nanosleep(task, which_clock, flags, rqtp, rmtp,
                                     get=get_old_timespec32_ns, put=put_old_timespec32)


def get_compat_itimerval(task, addr: int) -> tuple:
    """get_old_itimerval32: (value, interval) in ns; EINVAL for a bad timeval."""
    isec, iusec, vsec, vusec = COMPAT_ITIMERVAL.unpack(copy_from_user(task, addr, 16))
    for sec, usec in ((isec, iusec), (vsec, vusec)):
        if sec < 0 or not 0 <= usec < USEC_PER_SEC:
            raise KernelError(Errno.EINVAL)
    return vsec * NSEC_PER_SEC + vusec * NSEC_PER_USEC, isec * NSEC_PER_SEC + iusec * NSEC_PER_USEC


def put_compat_itimerval(task, addr: int, value: int, interval: int) -> None:
    """put_old_itimerval32: it_interval then it_value as old_timeval32s."""
    isec, insec = divmod(interval, NSEC_PER_SEC)
    vsec, vnsec = divmod(value, NSEC_PER_SEC)
    copy_to_user(task, addr, struct.pack("<IiIi", isec & 0xFFFFFFFF, insec // NSEC_PER_USEC,
                                         vsec & 0xFFFFFFFF, vnsec // NSEC_PER_USEC))


# compat_sys_getitimer: getitimer(2) into a compat itimerval.
def compat_sys_getitimer(task, which, value) -> int:
    return time_itimer.sys_getitimer(task, which, value, put=put_compat_itimerval)


# compat_sys_setitimer: setitimer(2) with compat itimervals.
def compat_sys_setitimer(task, which, value, ovalue) -> int:
    return time_itimer.sys_setitimer(task, which, value, ovalue, get=get_compat_itimerval,
                                     put=put_compat_itimerval)


# compat_sys_timer_create: timer_create(2) with a compat_sigevent (a 32-bit sigev_value).
def compat_sys_timer_create(task, which_clock, timer_event_spec, created_timer_id) -> int:
    return posix_timers.sys_timer_create(task, which_clock, timer_event_spec, created_timer_id,
                                         sigevent=_COMPAT_SIGEVENT)


# sys_timer_settime32: timer_settime(2) with old_itimerspec32s.
def sys_timer_settime32(task, timer_id, flags, new, old) -> int:
    return posix_timers.sys_timer_settime(task, timer_id, flags, new, old,
                                          get=get_old_itimerspec32, put=put_old_itimerspec32)


# sys_timer_gettime32: timer_gettime(2) into an old_itimerspec32.
def sys_timer_gettime32(task, timer_id, setting) -> int:
    return posix_timers.sys_timer_gettime(task, timer_id, setting, put=put_old_itimerspec32)


# sys_timerfd_settime32: timerfd_settime(2) with old_itimerspec32s.
def sys_timerfd_settime32(task, ufd, flags, utmr, otmr) -> int:
    return timerfd.sys_timerfd_settime(task, ufd, flags, utmr, otmr,
                                       get=get_old_itimerspec32, put=put_old_itimerspec32)


# sys_timerfd_gettime32: timerfd_gettime(2) into an old_itimerspec32.
def sys_timerfd_gettime32(task, ufd, otmr) -> int:
    return timerfd.sys_timerfd_gettime(task, ufd, otmr, put=put_old_itimerspec32)


# sys_futex_time32: futex(2) whose timeout is an old_timespec32.
def sys_futex_time32(task, uaddr, op, val, utime, uaddr2, val3) -> int:
    return futex_core.sys_futex(task, uaddr, op, val, utime, uaddr2, val3,
                                get_timeout=get_old_timespec32_ns)


# sys_adjtimex_time32: adjtimex(2) of i386 with a struct old_timex32.
def sys_adjtimex_time32(task, txc_p) -> int:
    return time_ntp.do_adjtimex_user(task, txc_p, _OLD_TIMEX32)


# sys_clock_adjtime32: clock_adjtime(2) of i386 with a struct old_timex32.
def sys_clock_adjtime32(task, which_clock, utx) -> int:
    return time_ntp.sys_clock_adjtime(task, which_clock, utx, layout=_OLD_TIMEX32)
