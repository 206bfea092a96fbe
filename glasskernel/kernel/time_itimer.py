"""Interval timers and alarm (kernel/time/itimer.c; the process CPU-clock timers of
kernel/time/posix-cpu-timers.c).

A process has three itimers, in its signal_struct (``task.signal.itimers``), so threads
share them, fork does not copy them and execve keeps them:

    ITIMER_REAL     wall clock, an hrtimer; SIGALRM. Its interval is re-armed when the
                    SIGALRM is dequeued (dequeue_signal), as Linux does: a blocked or
                    ignored SIGALRM stops a periodic timer.
    ITIMER_VIRTUAL  the process's user CPU time; SIGVTALRM.
    ITIMER_PROF     user + system CPU time; SIGPROF.

The CPU timers are checked by an hrtimer polling the process's CPU time: CPU time never
runs faster than the wall clock on our one CPU, so the poll is armed for the time still
missing and re-armed until the timer is due. They are as precise as the scheduler's CPU
accounting (a time slice).
"""
import struct
from dataclasses import dataclass, field

from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.kernel.task import signal_group_exit

ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2
SIGALRM, SIGVTALRM, SIGPROF = 14, 26, 27
NSEC_PER_SEC, NSEC_PER_USEC, USEC_PER_SEC = 10**9, 1000, 10**6
TICK_NSEC = 4_000_000                # HZ=250
_ITIMERVAL = struct.Struct("<qqqq")  # it_interval {sec, usec}, it_value {sec, usec}


@dataclass
class CpuItimer:
    expires: int = 0                 # process CPU time (ns) at which it fires; 0: disarmed
    incr: int = 0


@dataclass(eq=False)
class Itimers:
    """The itimer state of one process (signal_struct's real_timer, it_real_incr, it[])."""

    tgid: int = 0                    # whose SIGALRM/SIGVTALRM/SIGPROF it is
    real_timer: object = None        # the armed HrTimer of ITIMER_REAL, or None
    real_incr: int = 0
    cpu: dict = field(default_factory=lambda: {ITIMER_VIRTUAL: CpuItimer(), ITIMER_PROF: CpuItimer()})
    cpu_poll: object = None          # the HrTimer checking the CPU timers


def _now(kernel) -> int:
    """The hrtimer base's clock (CLOCK_MONOTONIC, or the deterministic virtual clock)."""
    return kernel.clock_ns()


def itimers_of(task) -> Itimers:
    sig = task.signal
    if sig.itimers is None:
        sig.itimers = Itimers(tgid=task.tgid)
    return sig.itimers


def _process(kernel, its: Itimers):
    """The thread-group leader the timer signals, unless the process is gone."""
    leader = kernel.tasks.get(its.tgid)
    if leader is None or leader.signal.itimers is not its or signal_group_exit(leader.signal):
        return None
    return leader


def _send(kernel, its: Itimers, signo: int) -> None:
    from glasskernel.kernel.signal import SEND_SIG_PRIV, group_send_sig_info
    leader = _process(kernel, its)
    if leader is not None:
        group_send_sig_info(leader, signo, SEND_SIG_PRIV)


# ----- ITIMER_REAL --------------------------------------------------------------------------

def _real_active(its: Itimers) -> bool:
    timer = its.real_timer
    return timer is not None and not timer.fired and not timer.cancelled


def _start_real(task, its: Itimers, delay_ns: int) -> None:
    kernel = task.kernel
    its.real_timer = kernel.hrtimers.start(task, delay_ns, lambda timer: it_real_fn(kernel, its, timer))


def it_real_fn(kernel, its: Itimers, timer) -> None:
    """ITIMER_REAL expired: SIGALRM for the process (the interval waits for the dequeue)."""
    if timer is its.real_timer:
        _send(kernel, its, SIGALRM)


def it_real_rearm(task) -> None:
    """SIGALRM was dequeued: a periodic ITIMER_REAL starts its next period, on the grid
    of the old expiry (hrtimer_forward), unless it was set again meanwhile."""
    its = task.signal.itimers
    if its is None or not its.real_incr or its.real_timer is None or _real_active(its):
        return
    now, expires, incr = _now(task.kernel), its.real_timer.expires, its.real_incr
    if now >= expires:
        expires += ((now - expires) // incr + 1) * incr
    _start_real(task, its, expires - now)


def _real_remaining(kernel, its: Itimers) -> int:
    """itimer_get_remtime: an armed timer that is due reports 1 µs, never 0."""
    if not _real_active(its):
        return 0
    return max(its.real_timer.expires - _now(kernel), NSEC_PER_USEC)


def _set_real(task, its: Itimers, value: int, interval: int) -> tuple:
    old = (_real_remaining(task.kernel, its), its.real_incr)
    if its.real_timer is not None:
        task.kernel.hrtimers.cancel(its.real_timer)
        its.real_timer = None
    its.real_incr = interval if value else 0
    if value:
        _start_real(task, its, value)
    return old


# ----- ITIMER_VIRTUAL / ITIMER_PROF ---------------------------------------------------------

def process_cputime(task, which: int) -> int:
    """The process's user (VIRTUAL) or user + system (PROF) CPU time so far, in ns."""
    from glasskernel.kernel.sched.cputime import thread_group_cputime
    user, system = thread_group_cputime(task)
    return user if which == ITIMER_VIRTUAL else user + system


def _cpu_signo(which: int) -> int:
    return SIGVTALRM if which == ITIMER_VIRTUAL else SIGPROF


def check_cpu_itimers(kernel, its: Itimers, timer) -> None:
    """The poll: fire the CPU timers that are due, then poll again while any is armed."""
    if timer is not its.cpu_poll:
        return
    its.cpu_poll = None
    leader = _process(kernel, its)
    if leader is None:
        return
    for which, it in its.cpu.items():
        if it.expires and process_cputime(leader, which) >= it.expires:
            it.expires = it.expires + it.incr if it.incr else 0
            _send(kernel, its, _cpu_signo(which))
    _arm_cpu_poll(leader, its)


def _arm_cpu_poll(task, its: Itimers) -> None:
    missing = [it.expires - process_cputime(task, which) for which, it in its.cpu.items() if it.expires]
    if its.cpu_poll is not None:
        task.kernel.hrtimers.cancel(its.cpu_poll)
        its.cpu_poll = None
    if missing:
        kernel = task.kernel
        delay = max(min(missing), TICK_NSEC)
        its.cpu_poll = kernel.hrtimers.start(task, delay, lambda t: check_cpu_itimers(kernel, its, t))


def _get_cpu(task, its: Itimers, which: int) -> tuple:
    it = its.cpu[which]
    value = it.expires
    if value:
        now = process_cputime(task, which)
        value = TICK_NSEC if value < now else value - now      # a due timer: about to fire
    return value, it.incr


def _set_cpu(task, its: Itimers, which: int, value: int, interval: int) -> tuple:
    """Arm a CPU timer; like Linux, one tick is added to a non-zero value."""
    old = _get_cpu(task, its, which)
    it = its.cpu[which]
    it.expires = process_cputime(task, which) + value + TICK_NSEC if value else 0
    it.incr = interval
    _arm_cpu_poll(task, its)
    return old


# ----- the syscalls -------------------------------------------------------------------------

def do_getitimer(task, which: int) -> tuple:
    """(value, interval) in ns."""
    its = itimers_of(task)
    if which == ITIMER_REAL:
        return _real_remaining(task.kernel, its), its.real_incr
    if which in (ITIMER_VIRTUAL, ITIMER_PROF):
        return _get_cpu(task, its, which)
    raise KernelError(Errno.EINVAL)


def do_setitimer(task, which: int, value: int, interval: int) -> tuple:
    """Set one timer; returns the old (value, interval) in ns."""
    its = itimers_of(task)
    if which == ITIMER_REAL:
        return _set_real(task, its, value, interval)
    if which in (ITIMER_VIRTUAL, ITIMER_PROF):
        return _set_cpu(task, its, which, value, interval)
    raise KernelError(Errno.EINVAL)


def get_itimerval(task, addr: int) -> tuple:
    """A user itimerval as (value, interval) ns; EINVAL for a negative or bad timeval."""
    isec, iusec, vsec, vusec = _ITIMERVAL.unpack(copy_from_user(task, addr, _ITIMERVAL.size))
    for sec, usec in ((isec, iusec), (vsec, vusec)):
        if sec < 0 or not 0 <= usec < USEC_PER_SEC:
            raise KernelError(Errno.EINVAL)
    return vsec * NSEC_PER_SEC + vusec * NSEC_PER_USEC, isec * NSEC_PER_SEC + iusec * NSEC_PER_USEC


def put_itimerval(task, addr: int, value: int, interval: int) -> None:
    copy_to_user(task, addr, _ITIMERVAL.pack(interval // NSEC_PER_SEC, interval % NSEC_PER_SEC // 1000,
                                             value // NSEC_PER_SEC, value % NSEC_PER_SEC // 1000))


def sys_getitimer(task, which, value, *, put=put_itimerval) -> int:
    from glasskernel.arch.x86.entry.args import int_arg
    put(task, value, *do_getitimer(task, int_arg(which)))
    return 0


def sys_setitimer(task, which, value, ovalue, *, get=get_itimerval, put=put_itimerval) -> int:
    """setitimer(2); a NULL new value disarms the timer (an old Linux misfeature).
    get/put: the itimerval layout (the compat one for the i386 call)."""
    from glasskernel.arch.x86.entry.args import int_arg
    new = get(task, value) if value else (0, 0)
    old = do_setitimer(task, int_arg(which), *new)
    if ovalue:
        put(task, ovalue, *old)
    return 0


def sys_alarm(task, seconds) -> int:
    """alarm(2): ITIMER_REAL in whole seconds; returns the seconds that were left, rounded
    up from half a second, and never 0 for an armed alarm."""
    old_value, _interval = do_setitimer(task, ITIMER_REAL, (seconds & 0xFFFFFFFF) * NSEC_PER_SEC, 0)
    sec, nsec = divmod(old_value, NSEC_PER_SEC)
    if (not sec and nsec) or nsec >= NSEC_PER_SEC // 2:
        sec += 1
    return sec


def exit_itimers(task) -> None:
    """The process is gone: its timers stop (so no stale timer keeps the CPU ticking)."""
    its = task.signal.itimers
    if its is None:
        return
    for timer in (its.real_timer, its.cpu_poll):
        if timer is not None:
            task.kernel.hrtimers.cancel(timer)
    its.real_timer = its.cpu_poll = None


# ----- RLIMIT_CPU (the rlimit part of posix-cpu-timers.c: check_process_timers) ---------------

SIGXCPU, SIGKILL = 24, 9
RLIMIT_CPU = 0
RLIM_INFINITY = 0xFFFFFFFFFFFFFFFF


def _rlim_cpu(task) -> tuple:
    return task.rlimits.get(RLIMIT_CPU, (RLIM_INFINITY, RLIM_INFINITY)) if task.rlimits \
        else (RLIM_INFINITY, RLIM_INFINITY)


def update_rlimit_cpu(task) -> None:
    """RLIMIT_CPU was set, or a new process inherited it: (re)arm the process's check."""
    sig = task.signal
    if sig.rlim_cpu_poll is not None:
        task.kernel.hrtimers.cancel(sig.rlim_cpu_poll)
        sig.rlim_cpu_poll = None
    if _rlim_cpu(task)[0] != RLIM_INFINITY:
        _arm_rlimit_cpu(task, process_cputime(task, ITIMER_PROF))


def _arm_rlimit_cpu(task, ptime: int) -> None:
    """Poll again when the process's CPU time may reach the soft or hard limit."""
    soft, hard = _rlim_cpu(task)
    due = soft * NSEC_PER_SEC if hard == RLIM_INFINITY else min(soft, hard) * NSEC_PER_SEC
    kernel, sig, tgid = task.kernel, task.signal, task.tgid
    sig.rlim_cpu_poll = kernel.hrtimers.start(
        task, max(due - ptime, TICK_NSEC), lambda timer: check_rlimit_cpu(kernel, tgid, sig, timer))


def check_rlimit_cpu(kernel, tgid: int, sig, timer) -> None:
    """SIGKILL at the hard limit; SIGXCPU at the soft one, which then moves up a second
    (so SIGXCPU comes every second of CPU time until the hard limit)."""
    from glasskernel.kernel.signal import SEND_SIG_PRIV, group_send_sig_info
    if timer is not sig.rlim_cpu_poll:
        return
    sig.rlim_cpu_poll = None
    leader = kernel.tasks.get(tgid)
    if leader is None or leader.signal is not sig or signal_group_exit(sig) or leader.exit_state:
        return
    soft, hard = _rlim_cpu(leader)
    if soft == RLIM_INFINITY:
        return
    ptime = process_cputime(leader, ITIMER_PROF)
    if hard != RLIM_INFINITY and ptime >= hard * NSEC_PER_SEC:
        group_send_sig_info(leader, SIGKILL, SEND_SIG_PRIV)
        return
    if ptime >= soft * NSEC_PER_SEC:
        group_send_sig_info(leader, SIGXCPU, SEND_SIG_PRIV)
        leader.rlimits[RLIMIT_CPU] = (soft + 1, hard)
    _arm_rlimit_cpu(leader, ptime)
