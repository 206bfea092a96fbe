"""timerfd (fs/timerfd.c): a timer whose expirations are read from a descriptor.

timerfd_settime arms an hrtimer; when it fires the file counts one tick and becomes
readable. A periodic timer is not re-armed by the timer itself: read and timerfd_gettime
move it forward over the periods that passed (hrtimer_forward), adding them to the
ticks, and start it again, as Linux does (a tiny period then cannot flood the CPU).

All expiries are kept on the hrtimer base's clock (CLOCK_MONOTONIC, see
kernel/time.py: clock_expiry_to_base); an absolute realtime expiry moves when the guest
sets the clock, and with TFD_TIMER_CANCEL_ON_SET such a set cancels the timer: its reader
gets ECANCELED (timerfd_clock_was_set).
"""
import struct
import weakref

from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.fs.eventpoll import AnonInodeDentry
from glasskernel.fs.file_table import File
from glasskernel.fs.select import poll_wait
from glasskernel.kernel.hrtimer import hrtimer_forward
from glasskernel.kernel.sched.wait import WaitQueue, wait_event
from glasskernel.kernel.time import (clock_expiry_to_base, get_itimerspec64, hrtimer_arm_at,
                                     itimerspec64_valid, put_itimerspec64, realtime_abs,
                                     timespec_ns)
from glasskernel.mm.uaccess import copy_from_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_CLOEXEC, O_NONBLOCK, O_RDWR
from glasskernel.uapi.poll import POLLIN
from glasskernel.uapi.time import ClockId

TFD_TIMER_ABSTIME = 1 << 0
TFD_TIMER_CANCEL_ON_SET = 1 << 1
TFD_CLOEXEC = int(O_CLOEXEC)
TFD_NONBLOCK = int(O_NONBLOCK)
TFD_SHARED_FCNTL_FLAGS = TFD_CLOEXEC | TFD_NONBLOCK
TFD_CREATE_FLAGS = TFD_SHARED_FCNTL_FLAGS
TFD_SETTIME_FLAGS = TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET
TFD_IOC_SET_TICKS = 0x40085400          # _IOW('T', 0, __u64)
_ALARM_CLOCKS = (ClockId.CLOCK_REALTIME_ALARM, ClockId.CLOCK_BOOTTIME_ALARM)
_CLOCKS = (ClockId.CLOCK_MONOTONIC, ClockId.CLOCK_REALTIME, ClockId.CLOCK_BOOTTIME) + _ALARM_CLOCKS
_REAL_CLOCKS = (ClockId.CLOCK_REALTIME, ClockId.CLOCK_REALTIME_ALARM)
# timerfds that a set of the clock cancels (cancel_list), of every kernel in this process
_cancel_list = weakref.WeakSet()


class TimerfdFile(File):
    """timerfd_ctx and its file: the hrtimer, the interval, the ticks not yet read."""

    seekable = False

    def __init__(self, kernel, clockid: int, flags: int):
        super().__init__(AnonInodeDentry("[timerfd]"), O_RDWR | (flags & TFD_NONBLOCK))
        self.kernel = kernel
        self.clockid = clockid
        self.wqh = WaitQueue("timerfd")
        self.ticks = 0
        self.expired = False
        self.tintv = 0                   # the interval, ns (0: one-shot)
        self.expires = 0                 # the expiry, on the base clock
        self.timer = None                # the armed HrTimer, if any
        self.settime_flags = 0
        self.real = None                 # an expiry set as an absolute realtime
        self.might_cancel = False        # TFD_TIMER_CANCEL_ON_SET on an absolute realtime
        self.canceled = False            # the clock was set since (moffs = KTIME_MAX)

    # --- the timer --------------------------------------------------------------------------
    def _start(self) -> None:
        self.timer = hrtimer_arm_at(self.kernel, self.expires, self._tmrproc, self.real)
        self.real = None                 # the periods after it follow the monotonic base

    def _cancel(self) -> None:
        if self.timer is not None:
            self.kernel.hrtimers.cancel(self.timer)
            self.timer = None

    def _tmrproc(self, timer) -> None:
        """timerfd_triggered: one more tick, and the readers wake."""
        if timer is not self.timer:
            return
        self.timer = None
        self.expires = timer.expires     # moved if the clock was set meanwhile
        self.expired = True
        self.ticks += 1
        self.wqh.wake_up(self.kernel, POLLIN)

    def _forward_now(self) -> int:
        """hrtimer_forward_now + hrtimer_restart: the periods that passed since expiry."""
        self.expires, orun = hrtimer_forward(self.expires, self.kernel.clock_ns(), self.tintv)
        self._start()
        return orun

    def remaining(self) -> int:
        """timerfd_get_remaining: time to the expiry, 0 once it passed."""
        if self.timer is not None:
            self.expires = self.timer.expires
        return max(0, self.expires - self.kernel.clock_ns())

    def take_canceled(self) -> bool:
        """timerfd_canceled: was the clock set since? (then it is not any more)"""
        if not self.might_cancel or not self.canceled:
            return False
        self.canceled = False
        return True

    # --- file operations ----------------------------------------------------------------
    def read(self, count: int) -> bytes:
        """timerfd_read: EINVAL under 8 bytes; EAGAIN or sleep without ticks; a periodic
        timer that expired is moved past now and its missed periods counted."""
        if count < 8:
            raise KernelError(Errno.EINVAL)
        if not self.ticks:
            if self.flags & TFD_NONBLOCK:
                raise KernelError(Errno.EAGAIN)
            wait_event(self.kernel.current, self.wqh, lambda: self.ticks != 0)
        if self.take_canceled():
            self.ticks = 0
            self.expired = False
            raise KernelError(Errno.ECANCELED)
        ticks = self.ticks
        if self.expired and self.tintv:
            ticks += self._forward_now() - 1
        self.expired = False
        self.ticks = 0
        return struct.pack("<Q", ticks)

    def poll(self, pt) -> int:
        poll_wait(self, self.wqh, pt)
        return POLLIN if self.ticks else 0

    def lseek(self, offset: int, whence: int) -> int:
        return self.pos                                 # noop_llseek

    compat_ioctl = False        # timerfd_fops has no compat_ioctl: ENOTTY for an i386 caller

    def ioctl(self, cmd: int, arg: int, task) -> int:
        """TFD_IOC_SET_TICKS (checkpoint/restore): set the tick count; 0 is EINVAL."""
        if cmd != TFD_IOC_SET_TICKS:
            raise KernelError(Errno.ENOTTY)
        ticks = struct.unpack("<Q", copy_from_user(task, arg, 8))[0]
        if not ticks:
            raise KernelError(Errno.EINVAL)
        if self.take_canceled():
            raise KernelError(Errno.ECANCELED)
        self.ticks = ticks
        self.wqh.wake_up(self.kernel, POLLIN)
        return 0

    def show_fdinfo(self) -> str:
        value, interval = self.remaining(), self.tintv
        return (f"clockid: {self.clockid}\nticks: {self.ticks}\nsettime flags: 0{self.settime_flags:o}\n"
                f"it_value: ({value // 10**9}, {value % 10**9})\n"
                f"it_interval: ({interval // 10**9}, {interval % 10**9})\n")

    def release(self) -> None:
        self._cancel()
        _cancel_list.discard(self)

    # --- settime / gettime ----------------------------------------------------------------
    def setup(self, flags: int, value: tuple, interval: tuple) -> None:
        """timerfd_setup: reset the ticks and arm for the new value (0 disarms)."""
        texp = timespec_ns(value)
        self.expired = False
        self.ticks = 0
        self.tintv = timespec_ns(interval)
        absolute = bool(flags & TFD_TIMER_ABSTIME)
        self._setup_cancel(flags)
        self.expires = clock_expiry_to_base(self.kernel, self.clockid, texp, absolute) if texp else 0
        if texp:
            self.real = realtime_abs(self.clockid, texp, absolute)
            self._start()
            if self.take_canceled():
                raise KernelError(Errno.ECANCELED)
        self.settime_flags = flags & TFD_SETTIME_FLAGS

    def _setup_cancel(self, flags: int) -> None:
        """timerfd_setup_cancel: an absolute realtime timer with CANCEL_ON_SET joins the
        cancel list, anything else leaves it."""
        self.might_cancel = (self.clockid in _REAL_CLOCKS and bool(flags & TFD_TIMER_ABSTIME)
                             and bool(flags & TFD_TIMER_CANCEL_ON_SET))
        self.canceled = False
        if self.might_cancel:
            _cancel_list.add(self)
        else:
            _cancel_list.discard(self)

    def settime(self, flags: int, value: tuple, interval: tuple) -> tuple:
        """do_timerfd_settime after the checks: stop the timer, report the old setting
        (a periodic timer that expired is first moved forward), set the new one."""
        self._cancel()
        if self.expired and self.tintv:
            self.expires, _ = hrtimer_forward(self.expires, self.kernel.clock_ns(), self.tintv)
        old = (self.remaining(), self.tintv)
        self.setup(flags, value, interval)
        return old

    def gettime(self) -> tuple:
        """do_timerfd_gettime: an expired periodic timer is forwarded (ticks counted)."""
        if self.expired and self.tintv:
            self.expired = False
            self.ticks += self._forward_now() - 1
        return self.remaining(), self.tintv


def timerfd_clock_was_set(kernel) -> None:
    """The realtime clock was set: every CANCEL_ON_SET timer of this kernel is cancelled,
    counted as a tick so its readers wake (and get ECANCELED)."""
    for ctx in list(_cancel_list):
        if ctx.kernel is kernel and ctx.might_cancel and not ctx.canceled:
            ctx.canceled = True
            ctx.ticks += 1
            ctx.wqh.wake_up(kernel, POLLIN)


def capable_wake_alarm(task) -> bool:
    from glasskernel.kernel.capability import capable
    from glasskernel.uapi.capability import CAP_WAKE_ALARM
    return capable(task, CAP_WAKE_ALARM)


def timerfd_fget(task, ufd) -> TimerfdFile:
    """EBADF for no descriptor, EINVAL for one that is not a timerfd."""
    file = task.files.fdget(int_arg(ufd))
    if not isinstance(file, TimerfdFile):
        raise KernelError(Errno.EINVAL)
    return file


def sys_timerfd_create(task, clockid, flags) -> int:
    """timerfd_create(2): EINVAL for unknown flags or clocks; the alarm clocks need
    CAP_WAKE_ALARM (EPERM)."""
    clockid, flags = int_arg(clockid), int_arg(flags)
    if flags & ~TFD_CREATE_FLAGS or clockid not in _CLOCKS:
        raise KernelError(Errno.EINVAL)
    if clockid in _ALARM_CLOCKS and not capable_wake_alarm(task):
        raise KernelError(Errno.EPERM)
    file = TimerfdFile(task.kernel, clockid, flags)
    return task.files.install_new(file, bool(flags & TFD_CLOEXEC), task=task)


def sys_timerfd_settime(task, ufd, flags, utmr, otmr, *, get=get_itimerspec64,
                        put=put_itimerspec64) -> int:
    """timerfd_settime(2): EFAULT, then EINVAL (flags, ranges), EBADF/EINVAL for the
    descriptor, EPERM for an alarm timer without CAP_WAKE_ALARM."""
    value, interval = get(task, utmr)          # (old_itimerspec32 for timerfd_settime32)
    flags = int_arg(flags)
    if flags & ~TFD_SETTIME_FLAGS or not itimerspec64_valid((value, interval)):
        raise KernelError(Errno.EINVAL)
    file = timerfd_fget(task, ufd)
    if file.clockid in _ALARM_CLOCKS and not capable_wake_alarm(task):
        raise KernelError(Errno.EPERM)
    from glasskernel.kernel.time_namespace import timens_timespec_to_host
    value = timens_timespec_to_host(task, file.clockid, value, bool(flags & TFD_TIMER_ABSTIME))
    old = file.settime(flags, value, interval)
    if otmr:
        put(task, otmr, *old)
    return 0


def sys_timerfd_gettime(task, ufd, otmr, *, put=put_itimerspec64) -> int:
    file = timerfd_fget(task, ufd)
    put(task, otmr, *file.gettime())
    return 0
