"""Unit tests for the misc syscall handlers (kernel/sys.py, kernel/time.py,
drivers/char/random.py, kernel/sched/syscalls.py) with a fake task and address space.
"""
import os
import struct
import time
from types import SimpleNamespace

import pytest

from glasskernel.drivers.char import random as rnd
from glasskernel.kernel import sys as ksys, time as ktime
from glasskernel.kernel.sched import syscalls as sched_syscalls
from glasskernel.kernel.task import Cred
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.resource import RLIM_INFINITY, Rlimit

BASE = 0x10000
SIZE = 0x2000


class FakeMM:
    """One writable region [BASE, BASE+SIZE); everything else is EFAULT."""

    def __init__(self):
        self.data = bytearray(SIZE)

    def _check(self, addr, n):
        if not (BASE <= addr and addr + n <= BASE + SIZE):
            raise KernelError(Errno.EFAULT)

    def read(self, addr, n):
        self._check(addr, n)
        return bytes(self.data[addr - BASE:addr - BASE + n])

    def write(self, addr, data):
        self._check(addr, len(data))
        self.data[addr - BASE:addr - BASE + len(data)] = data

    def read_cstring(self, addr, limit):
        tail = self.read(addr, min(limit, BASE + SIZE - addr))
        return tail.split(b"\0", 1)[0]


def make_task(pid=7, tgid=5, groups=(4, 24), **kernel_attrs):
    kernel = SimpleNamespace(**{"tasks": {}, "clock": None, **kernel_attrs})   # clock None: host
    t = SimpleNamespace(pid=pid, tgid=tgid, kernel=kernel, mm=FakeMM(), parent=None,
                        real_parent=None, cred=Cred(1000, 1001, 1002, 1003, tuple(groups)),
                        rlimits=ksys.default_rlimits(), personality=0)
    kernel.tasks[pid] = t
    return t


def errno_of(fn, *args):
    with pytest.raises(KernelError) as info:
        fn(*args)
    return info.value.errno


# --- kernel/sys.py -------------------------------------------------------------------

def test_uname_fields():
    t = make_task()
    assert ksys.sys_uname(t, BASE) == 0
    fields = [t.mm.read(BASE + 65 * i, 65).split(b"\0")[0].decode() for i in range(6)]
    assert fields[0] == "Linux"
    assert fields[1] == os.uname().nodename
    assert fields[2] == os.uname().release
    assert fields[4] == "x86_64"
    assert errno_of(ksys.sys_uname, t, 0) == Errno.EFAULT


def test_ids():
    t = make_task()
    parent = SimpleNamespace(tgid=3)
    assert (ksys.sys_getpid(t), ksys.sys_gettid(t), ksys.sys_getppid(t)) == (5, 7, 0)
    t.real_parent = parent
    assert ksys.sys_getppid(t) == 3
    assert (ksys.sys_getuid(t), ksys.sys_geteuid(t), ksys.sys_getgid(t),
            ksys.sys_getegid(t)) == (1000, 1002, 1001, 1003)


def test_getgroups_rules():
    t = make_task(groups=(4, 24, 27))
    assert ksys.sys_getgroups(t, 0, 0) == 3
    assert ksys.sys_getgroups(t, 10, BASE) == 3
    assert struct.unpack("<3I", t.mm.read(BASE, 12)) == (4, 24, 27)
    assert errno_of(ksys.sys_getgroups, t, 2, BASE) == Errno.EINVAL
    assert errno_of(ksys.sys_getgroups, t, 2**32 - 1, BASE) == Errno.EINVAL


def test_sysinfo_counts_our_tasks():
    t = make_task()
    assert ksys.sys_sysinfo(t, BASE) == 0
    f = struct.unpack("<q3QQQQQQQH6xQQI4x", t.mm.read(BASE, 112))
    uptime, total, free, procs, unit = f[0], f[4], f[5], f[10], f[13]
    assert uptime >= 0 and total >= free > 0
    assert procs == 1 and unit == 1


def test_default_rlimits_match_host_shell():
    import resource
    limits = ksys.default_rlimits()
    cur, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert limits[Rlimit.RLIMIT_NOFILE] == (cur, hard)
    assert limits["RLIMIT_STACK"][0] == resource.getrlimit(resource.RLIMIT_STACK)[0]
    assert limits.get("RLIMIT_DATA", (None, None))[0] == RLIM_INFINITY
    assert 7 in limits and "RLIMIT_CORE" in limits and "RLIMIT_BOGUS" not in limits
    assert len(limits) == 16


def test_prlimit64_get_and_set():
    t = make_task()
    t.rlimits[Rlimit.RLIMIT_NOFILE] = (1024, 4096)
    t.mm.write(BASE, struct.pack("<QQ", 256, 2048))
    assert ksys.sys_prlimit64(t, 0, 7, BASE, BASE + 16) == 0
    assert struct.unpack("<QQ", t.mm.read(BASE + 16, 16)) == (1024, 4096)
    assert t.rlimits[7] == (256, 2048)
    assert ksys.sys_getrlimit(t, 7, BASE + 32) == 0
    assert struct.unpack("<QQ", t.mm.read(BASE + 32, 16)) == (256, 2048)


def test_prlimit64_errors():
    t = make_task()
    t.rlimits[Rlimit.RLIMIT_NOFILE] = (1024, 4096)
    t.mm.write(BASE, struct.pack("<QQ", 5000, 4000))
    assert errno_of(ksys.sys_prlimit64, t, 0, 7, BASE, 0) == Errno.EINVAL     # cur > max
    assert errno_of(ksys.sys_prlimit64, t, 0, 16, 0, BASE) == Errno.EINVAL    # no such limit
    assert errno_of(ksys.sys_prlimit64, t, 4242, 7, 0, BASE) == Errno.ESRCH
    t.mm.write(BASE, struct.pack("<QQ", 10, 8192))
    assert errno_of(ksys.sys_setrlimit, t, 7, BASE) == Errno.EPERM           # raise hard
    assert errno_of(ksys.sys_getrlimit, t, 7, 0x99) == Errno.EFAULT
    assert ksys.sys_prlimit64(t, 5, 7, 0, BASE) == 0                           # own tgid


# --- kernel/time.py ------------------------------------------------------------------

class FixedClock:
    def realtime_ns(self):
        return 1_700_000_000_123_456_789

    def monotonic_ns(self):
        return 42_000_000_007


def test_clock_gettime_from_kernel_clock():
    t = make_task(clock=FixedClock(), in_fast_syscall=False, current=None)
    t.signal, t.utime_ns, t.stime_ns = SimpleNamespace(), 0, 0
    assert ktime.sys_clock_gettime(t, 0, BASE) == 0
    assert struct.unpack("<qq", t.mm.read(BASE, 16)) == (1_700_000_000, 123_456_789)
    assert ktime.sys_clock_gettime(t, 1, BASE) == 0
    assert struct.unpack("<qq", t.mm.read(BASE, 16)) == (42, 7)
    for clk in (4, 5, 6, 7):
        assert ktime.sys_clock_gettime(t, clk, BASE) == 0
    assert errno_of(ktime.sys_clock_gettime, t, 55, BASE) == Errno.EINVAL
    # Negative ids are CPU-time clocks: -2 is the calling thread's (pid 0, per-thread,
    # CPUCLOCK_SCHED), as on Linux; -5 has CPUCLOCK_MAX as its kind: EINVAL.
    assert ktime.sys_clock_gettime(t, 2**32 - 2, BASE) == 0
    assert errno_of(ktime.sys_clock_gettime, t, 2**32 - 5, BASE) == Errno.EINVAL
    assert errno_of(ktime.sys_clock_gettime, t, 0, 0) == Errno.EFAULT


def test_clock_gettime_host_fallback():
    t = make_task(in_fast_syscall=False, current=None)
    before = time.time_ns()
    ktime.sys_clock_gettime(t, 0, BASE)
    sec, nsec = struct.unpack("<qq", t.mm.read(BASE, 16))
    assert abs(sec * 10**9 + nsec - before) < 5 * 10**9
    # the CPU-time clocks are the scheduler's accounting of the guest's threads
    t.signal = SimpleNamespace()
    t.utime_ns, t.stime_ns = 3 * 10**9 + 5, 0
    other = SimpleNamespace(signal=t.signal, utime_ns=10**9, stime_ns=0, kernel=t.kernel)
    t.kernel.tasks[8] = other
    assert ktime.sys_clock_gettime(t, 3, BASE) == 0
    assert struct.unpack("<qq", t.mm.read(BASE, 16)) == (3, 5)
    assert ktime.sys_clock_gettime(t, 2, BASE) == 0
    assert struct.unpack("<qq", t.mm.read(BASE, 16)) == (4, 5)


def test_clock_getres_gettimeofday_time():
    t = make_task(clock=FixedClock())
    assert ktime.sys_clock_getres(t, 1, BASE) == 0
    assert struct.unpack("<qq", t.mm.read(BASE, 16)) == (0, 1)
    assert ktime.sys_clock_getres(t, 5, BASE) == 0
    assert struct.unpack("<qq", t.mm.read(BASE, 16)) == (0, 4_000_000)
    assert ktime.sys_clock_getres(t, 0, 0) == 0
    assert errno_of(ktime.sys_clock_getres, t, 99, 0) == Errno.EINVAL
    assert ktime.sys_gettimeofday(t, BASE, BASE + 16) == 0
    assert struct.unpack("<qqii", t.mm.read(BASE, 24)) == (1_700_000_000, 123_456, 0, 0)
    assert ktime.sys_gettimeofday(t, 0, 0) == 0
    assert ktime.sys_time(t, 0) == 1_700_000_000
    assert ktime.sys_time(t, BASE + 64) == 1_700_000_000
    assert struct.unpack("<q", t.mm.read(BASE + 64, 8)) == (1_700_000_000,)
    assert errno_of(ktime.sys_time, t, 8) == Errno.EFAULT


# --- drivers/char/random.py ------------------------------------------------------------

def test_getrandom():
    t = make_task()
    assert rnd.sys_getrandom(t, BASE, 64, rnd.GRND_NONBLOCK) == 64
    assert t.mm.read(BASE, 64) != bytes(64)
    assert rnd.sys_getrandom(t, BASE, 0, 0) == 0
    assert rnd.sys_getrandom(t, BASE, 8, rnd.GRND_INSECURE) == 8
    assert errno_of(rnd.sys_getrandom, t, BASE, 4, 0x80) == Errno.EINVAL
    assert errno_of(rnd.sys_getrandom, t, BASE, 4, 6) == Errno.EINVAL
    assert errno_of(rnd.sys_getrandom, t, 8, 4, 0) == Errno.EFAULT


def test_getrandom_partial_copy():
    """A buffer running into an unmapped page returns the bytes copied before it."""
    t = make_task()
    assert rnd.sys_getrandom(t, BASE + SIZE - 16, 1 << 20, 0) == 16
    assert rnd.sys_getrandom(t, BASE + 100, 1 << 20, 0) == SIZE - 100


# --- kernel/sched/syscalls.py -----------------------------------------------------------

def test_sched_getaffinity():
    t = make_task(nr_cpus=2)
    assert sched_syscalls.sys_sched_getaffinity(t, 0, 128, BASE) == 8
    assert t.mm.read(BASE, 8) == bytes([3]) + bytes(7)
    assert sched_syscalls.sys_sched_getaffinity(t, 7, 8, BASE) == 8
    assert errno_of(sched_syscalls.sys_sched_getaffinity, t, 0, 4, BASE) == Errno.EINVAL
    assert errno_of(sched_syscalls.sys_sched_getaffinity, t, 0, 12, BASE) == Errno.EINVAL
    assert errno_of(sched_syscalls.sys_sched_getaffinity, t, 999, 8, BASE) == Errno.ESRCH
    assert sched_syscalls.sys_sched_yield(t) == 0


def test_sched_getaffinity_defaults_to_one_cpu():
    t = make_task()
    assert sched_syscalls.sys_sched_getaffinity(t, 0, 8, BASE) == 8
    assert t.mm.read(BASE, 8) == bytes([1]) + bytes(7)
