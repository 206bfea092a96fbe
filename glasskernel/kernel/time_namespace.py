"""Time namespaces (kernel/time/namespace.c): per-namespace offsets of CLOCK_MONOTONIC
and CLOCK_BOOTTIME.

unshare(CLONE_NEWTIME) makes a namespace for the caller's future children
(``time_ns_for_children``); its offsets are written to /proc/PID/timens_offsets until the
first task enters it (fork, or setns), which freezes them (``frozen_offsets``; EACCES
after). Readers add the offsets (``timens_add_monotonic``/``timens_add_boottime``:
clock_gettime, sysinfo, /proc/uptime); absolute timer expiries are moved back to the host's
clock (``timens_ktime_to_host``: clock_nanosleep, timerfd, POSIX timers).

The vDSO reads the shared data page, which knows no offsets. A task whose mm is in a
namespace other than the initial one gets another page at [vvar] instead, whose clock_mode
is VDSO_CLOCKMODE_NONE, so its libc's clock_gettime takes the syscall (Linux maps a
per-namespace page the vDSO applies offsets from; the answers are the same).
(This is kernel/time/namespace.c; kernel/time.py is a module here, not a package.)
"""
from glasskernel.uapi.capability import CAP_SYS_ADMIN, CAP_SYS_TIME
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.sched import CLONE_NEWTIME
from glasskernel.uapi.time import NSEC_PER_SEC, ClockId

PROC_TIME_INIT_INO = 0xEFFFFFFA
KTIME_MAX = (1 << 63) - 1
KTIME_SEC_MAX = KTIME_MAX // NSEC_PER_SEC
PAGE_SIZE = 4096


class TimeNamespace:
    """struct time_namespace: the two offsets (ns) and whether they are frozen."""

    __slots__ = ("user_ns", "inum", "monotonic", "boottime", "frozen_offsets")

    def __init__(self, user_ns, inum: int, monotonic: int = 0, boottime: int = 0,
                 frozen: bool = False):
        self.user_ns, self.inum = user_ns, inum
        self.monotonic, self.boottime = monotonic, boottime
        self.frozen_offsets = frozen


def init_time_ns(kernel) -> TimeNamespace:
    """The initial namespace: offsets 0, frozen from the start."""
    ns = kernel.init_time_ns
    if ns is None:
        from glasskernel.kernel.user_namespace import init_user_ns
        ns = kernel.init_time_ns = TimeNamespace(init_user_ns, PROC_TIME_INIT_INO, frozen=True)
    return ns


def time_ns_of(task):
    """current->nsproxy->time_ns, or None for the initial one (no offsets)."""
    return getattr(task.nsproxy, "time_ns", None)


def copy_time_ns(flags: int, user_ns, old: TimeNamespace) -> TimeNamespace:
    """CLONE_NEWTIME: a new namespace starting with old's offsets, not yet frozen."""
    from glasskernel.kernel.pid import ns_alloc_inum
    if not flags & CLONE_NEWTIME:
        return old
    return TimeNamespace(user_ns, ns_alloc_inum(), old.monotonic, old.boottime)


def timens_on_fork(nsproxy, task) -> None:
    """A child born while time_ns_for_children differs from time_ns enters it."""
    if nsproxy.time_ns is nsproxy.time_ns_for_children:
        return
    nsproxy.time_ns = nsproxy.time_ns_for_children
    timens_commit(task, nsproxy.time_ns)


def timens_commit(task, ns: TimeNamespace) -> None:
    """A task entered ns: its offsets are frozen, its mm's [vvar] follows (vdso_join_timens)."""
    ns.frozen_offsets = True
    mm = task.mm
    if mm is not None:
        from glasskernel.arch.x86.entry.vdso.vma import vdso_join_timens
        vdso_join_timens(task.kernel, mm, ns is not init_time_ns(task.kernel))


def timens_install(nsset, ns: TimeNamespace) -> None:
    """setns: only a single-threaded task whose mm is its own (EUSERS), with CAP_SYS_ADMIN
    over the namespace and our own user namespace (EPERM); both the task's and its
    children's namespace become ns."""
    from glasskernel.kernel.capability import ns_capable
    task = nsset.task
    if not current_is_single_threaded(task):
        raise KernelError(Errno.EUSERS)
    if not ns_capable(task, ns.user_ns, CAP_SYS_ADMIN) or not nsset.capable_in_own(CAP_SYS_ADMIN):
        raise KernelError(Errno.EPERM)
    nsset.nsproxy.time_ns = ns
    nsset.nsproxy.time_ns_for_children = ns


def current_is_single_threaded(task) -> bool:
    """One thread, and no other process shares its mm (CLONE_VM without CLONE_THREAD)."""
    if task.signal.nr_threads > 1:
        return False
    mm = task.mm
    return mm is None or mm.users <= 1


# ----- applying the offsets --------------------------------------------------------------------

def timens_add_monotonic(task, ns_time: int) -> int:
    ns = time_ns_of(task)
    return ns_time + ns.monotonic if ns is not None else ns_time


def timens_add_boottime(task, ns_time: int) -> int:
    ns = time_ns_of(task)
    return ns_time + ns.boottime if ns is not None else ns_time


def timens_ktime_to_host(task, clockid: int, tim: int) -> int:
    """An absolute time on the namespace's clock as the host's (kernel's) clock reads it;
    clamped at 0 (an expiry before the host's start has already passed)."""
    ns = time_ns_of(task)
    if ns is None:
        return tim
    if clockid == ClockId.CLOCK_MONOTONIC:
        offset = ns.monotonic
    elif clockid in (ClockId.CLOCK_BOOTTIME, ClockId.CLOCK_BOOTTIME_ALARM):
        offset = ns.boottime
    else:
        return tim
    return max(tim - offset, 0) if tim < KTIME_MAX else tim


def timens_timespec_to_host(task, clockid: int, value: tuple, absolute: bool) -> tuple:
    """An absolute (sec, nsec) expiry of a timer on a namespace clock, as the host's
    clock reads it (timerfd_settime, timer_settime); relative ones are unchanged."""
    ns = time_ns_of(task)
    if not absolute or ns is None or not (ns.monotonic or ns.boottime):
        return value
    sec, nsec = value
    if not sec and not nsec:
        return value                         # 0 disarms, whatever the clock
    host = timens_ktime_to_host(task, clockid, min(sec * NSEC_PER_SEC + nsec, KTIME_MAX))
    return (host // NSEC_PER_SEC, host % NSEC_PER_SEC) if host else (0, 1)


# ----- /proc/PID/timens_offsets ----------------------------------------------------------------

def proc_timens_show_offsets(target) -> bytes:
    """The offsets of the target's namespace for children, "%-10s %10lld %9ld"."""
    ns = getattr(target.nsproxy, "time_ns_for_children", None) or init_time_ns(target.kernel)
    lines = []
    for name, value in (("monotonic", ns.monotonic), ("boottime", ns.boottime)):
        sec, nsec = _split(value)
        lines.append(f"{name:<10} {sec:10d} {nsec:9d}\n")
    return "".join(lines).encode()


def _split(ns: int) -> tuple:
    """A signed ns value as a timespec64 (tv_nsec in 0..999999999)."""
    return ns // NSEC_PER_SEC, ns % NSEC_PER_SEC


def _parse_offsets(data: bytes) -> list:
    """timens_offsets_write's parse: up to two lines "CLOCK SEC NSEC" (CLOCK a name or
    the number), sscanf-like; EINVAL for anything else."""
    import re
    text = bytes(data).split(b"\0", 1)[0].decode("latin-1")
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    offsets = []
    for line in lines:
        m = re.match(r"\s*(\S{1,9})\s+([+-]?\d+)\s+([+-]?\d+)", line)
        if m is None:
            raise KernelError(Errno.EINVAL)
        clock, sec, nsec = m.group(1), int(m.group(2)), int(m.group(3)) & 0xFFFF_FFFF_FFFF_FFFF
        if nsec >= NSEC_PER_SEC:
            raise KernelError(Errno.EINVAL)
        if clock in ("monotonic", str(int(ClockId.CLOCK_MONOTONIC))):
            clockid = ClockId.CLOCK_MONOTONIC
        elif clock in ("boottime", str(int(ClockId.CLOCK_BOOTTIME))):
            clockid = ClockId.CLOCK_BOOTTIME
        else:
            raise KernelError(Errno.EINVAL)
        offsets.append((clockid, sec, nsec))
        if len(offsets) == 2:
            break
    return offsets


def proc_timens_set_offset(opener_cred, target, data: bytes, pos: int) -> int:
    """Write offsets of the target's namespace for children: CAP_SYS_TIME over its owner
    (EPERM), seconds within range (ERANGE), EACCES once a task has entered it."""
    from glasskernel.kernel.time import monotonic_ns
    from glasskernel.security.commoncap import cap_capable
    if pos != 0 or len(data) >= PAGE_SIZE:
        raise KernelError(Errno.EINVAL)
    offsets = _parse_offsets(data)
    ns = getattr(target.nsproxy, "time_ns_for_children", None)
    if ns is None:
        raise KernelError(Errno.ESRCH)
    if not cap_capable(opener_cred, CAP_SYS_TIME, ns.user_ns):
        raise KernelError(Errno.EPERM)
    now = monotonic_ns(target)
    for _clockid, sec, nsec in offsets:
        if sec > KTIME_SEC_MAX or sec < -KTIME_SEC_MAX:
            raise KernelError(Errno.ERANGE)
        total = now + sec * NSEC_PER_SEC + nsec
        if total < 0 or total // NSEC_PER_SEC > KTIME_SEC_MAX // 2:
            raise KernelError(Errno.ERANGE)
    if ns.frozen_offsets:
        raise KernelError(Errno.EACCES)
    for clockid, sec, nsec in offsets:
        value = sec * NSEC_PER_SEC + nsec
        if clockid == ClockId.CLOCK_MONOTONIC:
            ns.monotonic = value
        else:
            ns.boottime = value
    return len(data)
