"""Helpers shared by the compat (i386) system calls (kernel/compat.c, include/linux/compat.h).

A compat syscall gets each argument as a 32-bit register zero-extended; these give the C
types of the 32-bit ABI (``compat_long_t``, two registers for a 64-bit value) and move the
structs whose i386 layout differs from x86-64's: old_timespec32, old_timeval32,
old_itimerspec32, rusage, iovec. Layouts are checked against ``gcc -m32``
(tests/test_compat_syscalls.py).
"""
import struct

from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError

NSEC_PER_SEC = 1_000_000_000
NSEC_PER_USEC = 1_000
USEC_PER_SEC = 1_000_000
COMPAT_RLIM_INFINITY = 0xFFFFFFFF

OLD_TIMESPEC32 = struct.Struct("<ii")      # struct old_timespec32 {s32 tv_sec; s32 tv_nsec}
OLD_ITIMERSPEC32 = struct.Struct("<iiii")  # it_interval, it_value
COMPAT_ITIMERVAL = struct.Struct("<iiii")  # it_interval {sec, usec}, it_value {sec, usec}
COMPAT_IOVEC = struct.Struct("<II")        # struct compat_iovec {u32 iov_base; u32 iov_len}
COMPAT_RUSAGE = struct.Struct("<4i14i")    # two old_timeval32 and 14 compat_longs: 72 bytes


def in_compat_syscall(task) -> bool:
    """in_compat_syscall: the task is running a syscall of the i386 ABI (TS_COMPAT)."""
    return task.thread.ts_compat


def compat_long(value: int) -> int:
    """A ``compat_long_t``/``compat_off_t`` argument: the low 32 bits, sign-extended."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def arg64(lo: int, hi: int) -> int:
    """A 64-bit value passed in two registers, low half first (sys_ia32.c's ``((u64)hi << 32) | lo``)."""
    return ((hi & 0xFFFFFFFF) << 32) | (lo & 0xFFFFFFFF)


def s64(value: int) -> int:
    """A u64 as the kernel's signed loff_t."""
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value & (1 << 63) else value


# ----- time -------------------------------------------------------------------------------

def get_old_timespec32(task, addr: int) -> tuple:
    """get_old_timespec32: (tv_sec, tv_nsec) sign-extended from a user old_timespec32."""
    return OLD_TIMESPEC32.unpack(copy_from_user(task, addr, OLD_TIMESPEC32.size))


def put_old_timespec32(task, addr: int, ns: int) -> None:
    """put_old_timespec32: a non-negative nanosecond count as an old_timespec32
    (the seconds truncated to 32 bits as the C assignment does)."""
    sec, nsec = divmod(ns, NSEC_PER_SEC)
    copy_to_user(task, addr, struct.pack("<Ii", sec & 0xFFFFFFFF, nsec))


def get_old_timespec32_ns(task, addr: int) -> int:
    """A user old_timespec32 as nanoseconds; EINVAL unless it is a valid timespec."""
    sec, nsec = get_old_timespec32(task, addr)
    if sec < 0 or not 0 <= nsec < NSEC_PER_SEC:
        raise KernelError(Errno.EINVAL)
    return sec * NSEC_PER_SEC + nsec


def put_old_timeval32(task, addr: int, ns: int) -> None:
    """An old_timeval32 of a nanosecond count (microseconds rounded down)."""
    sec, nsec = divmod(ns, NSEC_PER_SEC)
    copy_to_user(task, addr, struct.pack("<Ii", sec & 0xFFFFFFFF, nsec // NSEC_PER_USEC))


def get_old_itimerspec32(task, addr: int) -> tuple:
    """get_old_itimerspec32: ((value sec, nsec), (interval sec, nsec)), unchecked."""
    isec, insec, vsec, vnsec = OLD_ITIMERSPEC32.unpack(
        copy_from_user(task, addr, OLD_ITIMERSPEC32.size))
    return (vsec, vnsec), (isec, insec)


def put_old_itimerspec32(task, addr: int, value_ns: int, interval_ns: int) -> None:
    """put_old_itimerspec32: it_interval then it_value, as old_timespec32s."""
    isec, insec = divmod(interval_ns, NSEC_PER_SEC)
    vsec, vnsec = divmod(value_ns, NSEC_PER_SEC)
    copy_to_user(task, addr, struct.pack("<IiIi", isec & 0xFFFFFFFF, insec,
                                         vsec & 0xFFFFFFFF, vnsec))


# ----- rusage -----------------------------------------------------------------------------

def put_compat_rusage(task, addr: int, fields: list) -> None:
    """put_compat_rusage: the 18 fields of a native rusage (utime sec, usec, stime sec,
    usec, then ru_maxrss .. ru_nivcsw) as the 72-byte i386 struct rusage."""
    copy_to_user(task, addr, COMPAT_RUSAGE.pack(*(compat_long(v) for v in fields)))


# ----- iovec ------------------------------------------------------------------------------

def compat_iovec_pairs(task, vec: int, vlen: int) -> list:
    """The (base, len) pairs of a user compat_iovec array; EINVAL for a length that is
    negative as a compat_ssize_t (copy_compat_iovec_from_user)."""
    raw = copy_from_user(task, vec, vlen * COMPAT_IOVEC.size)
    pairs = []
    for base, length in COMPAT_IOVEC.iter_unpack(raw):
        if length & 0x80000000:                 # (compat_ssize_t)len < 0
            raise KernelError(Errno.EINVAL)
        pairs.append((base, length))
    return pairs

# ----- sched_getaffinity -------------------------------------------------------------------

# compat_sys_sched_getaffinity: the CPU mask in compat_ulong words; EINVAL for a buffer with
# fewer bits than CPU ids or not a whole number of u32; returns the bytes written.
def compat_sys_sched_getaffinity(task, pid, length, user_mask_ptr) -> int:
    from glasskernel.kernel.sched.syscalls import _find_task, nr_cpu_ids
    length &= 0xFFFFFFFF
    ncpus = nr_cpu_ids(task)
    if length * 8 < ncpus or length & 3:
        raise KernelError(Errno.EINVAL)
    target = _find_task(task, compat_long(pid))
    retlen = min(length, (ncpus + 31) // 32 * 4)
    mask = (1 << nr_cpu_ids(target)) - 1
    copy_to_user(task, user_mask_ptr, mask.to_bytes(retlen, "little"))
    return retlen
