"""The timekeeper and the vDSO's data page (kernel/time/timekeeping.c, kernel/time/vsyscall.c,
include/vdso/datapage.h).

Every clock the guest reads is CLOCK_MONOTONIC plus an offset: ``kernel.clock_ns()`` (the
host's monotonic clock, or the virtual clock of a --deterministic run) is the clocksource,
and the virtual CPU's TSC counts the same nanoseconds (cpu.py's rdtsc hook). The syscalls
read the clocksource here; the vDSO reads the TSC and the [vvar] page, which
``update_vsyscall`` fills with the same bases and offsets (mult 1, shift 0: one cycle is
one nanosecond). So both paths give the same time, and a loop of vDSO calls sees time
move without ever entering the kernel.

The coarse clocks read the time of the last tick boundary (``tick_base`` + a multiple of
TICK_NSEC): a task running alone has no timer interrupt, so a tick-updated value would
never move.

The page is rewritten when an offset changes (the host's wall clock was stepped, seen at
a scheduler tick or an exec) under the seqcount, odd while it is being written.
"""
import struct
import time as _host_time

from glasskernel.kernel.time import HRTIMER_RES_NS, TICK_NSEC
from glasskernel.kernel.time_virtual import REALTIME_EPOCH_NS
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.uapi.time import NSEC_PER_SEC, ClockId

VVAR_PAGES = 4                      # [vvar]: data page, pvclock, hvclock, time namespace
VVAR_DATA_OFFSET = 128
CS_HRES_COARSE, CS_RAW = 0, 1
VDSO_BASES = ClockId.CLOCK_TAI + 1
VDSO_CLOCKMODE_NONE, VDSO_CLOCKMODE_TSC = 0, 1
# A host wall clock moving by less than this against its monotonic clock is read jitter
# (two reads, not atomic), not a step: the offset stays, so realtime never jitters back.
_STEP_NS = 1_000_000

# struct vdso_data (vvar.h): seq, clock_mode, cycle_last, mask, mult, shift, 12 bases
# (sec, shifted nsec), tz_minuteswest, tz_dsttime, hrtimer_res, cpu, tick_nsec, tick_base.
VDSO_DATA = struct.Struct("<IiQQII" + "QQ" * VDSO_BASES + "iiIIQQ")
_SEQ = struct.Struct("<I")


class Timekeeper:
    """The offsets of every clock from CLOCK_MONOTONIC, and the [vvar] frames."""

    __slots__ = ("kernel", "offs_real", "offs_boot", "offs_tai", "tick_base", "seq",
                 "vvar_frames", "clock_mode", "guest_delta", "sys_tz", "ntp")

    def __init__(self, kernel):
        self.kernel = kernel
        self.offs_boot = 0                  # we never suspend
        self.offs_tai = 0                   # TAI - UTC stays 0 until NTP says otherwise
        self.tick_base = kernel.boot_time_ns
        # A deterministic run's wall clock is its fixed epoch plus the virtual clock.
        self.offs_real = (REALTIME_EPOCH_NS if kernel.clock is not None
                          else _host_time.time_ns() - _host_time.monotonic_ns())
        self.seq = 0
        self.clock_mode = VDSO_CLOCKMODE_TSC
        self.guest_delta = 0                # what the guest set: its wall clock - the host's
        self.sys_tz = (0, 0)                # settimeofday's timezone (minuteswest, dsttime)
        self.ntp = None                     # adjtimex's state (time_ntp.py), once asked
        self.vvar_frames = [kernel.phys.alloc_page() for _ in range(VVAR_PAGES)]
        update_vsyscall(self)

    def refresh_offsets(self) -> None:
        """Take a step of the host's wall clock into offs_real (not in a deterministic run,
        whose wall clock is fixed to its virtual clock); rewrite the page if it moved."""
        if self.kernel.clock is not None:
            return
        offs = _host_time.time_ns() - _host_time.monotonic_ns() + self.guest_delta
        if abs(offs - self.offs_real) >= _STEP_NS:
            self.offs_real = offs
            update_vsyscall(self)

    def set_realtime(self, real_ns: int) -> None:
        """do_settimeofday64: CLOCK_REALTIME reads real_ns now (the guest's clock only)."""
        self.step_realtime(real_ns - (self.kernel.clock_ns() + self.offs_real))

    def step_realtime(self, delta_ns: int) -> None:
        """Move CLOCK_REALTIME (and TAI) by delta_ns; the host's steps still carry over."""
        self.offs_real += delta_ns
        self.guest_delta += delta_ns
        if self.kernel.clock is None:       # the coarse clocks read the new time at once
            self.tick_base = self.kernel.clock_ns()
        update_vsyscall(self)

    def set_tz(self, tz: tuple) -> None:
        """sys_tz, which gettimeofday and the vDSO report (update_vsyscall_tz)."""
        self.sys_tz = tz
        update_vsyscall(self)

    def coarse_back(self, mono: int) -> int:
        """How long ago the last tick boundary was, at monotonic time mono."""
        return (mono - self.tick_base) % TICK_NSEC


def timekeeping_init(kernel) -> Timekeeper:
    """The kernel's timekeeper, with the vvar page filled; the TSC counts kernel.clock_ns."""
    tk = Timekeeper(kernel)
    kernel.cpu.on_rdtsc = kernel.clock_ns if kernel.clock is not None else None
    return tk


def _bases(tk, mono: int) -> list:
    """(sec, nsec) of each clock id at monotonic time mono; (0, 0) for ids without one."""
    real = mono + tk.offs_real
    at = {ClockId.CLOCK_REALTIME: real, ClockId.CLOCK_MONOTONIC: mono,
          ClockId.CLOCK_MONOTONIC_RAW: mono, ClockId.CLOCK_REALTIME_COARSE: real,
          ClockId.CLOCK_MONOTONIC_COARSE: mono, ClockId.CLOCK_BOOTTIME: mono + tk.offs_boot,
          ClockId.CLOCK_TAI: real + tk.offs_tai}
    words = []
    for clock in range(VDSO_BASES):
        ns = at.get(clock, 0)
        words += [ns // NSEC_PER_SEC, ns % NSEC_PER_SEC]
    return words


def update_vsyscall(tk) -> None:
    """Rewrite both vdso_data of the page under the seqcount (odd while writing). The
    base is taken at cycle_last = now, without moving a deterministic clock (peek)."""
    kernel = tk.kernel
    mono = kernel.clock.peek() if kernel.clock is not None else _host_time.monotonic_ns()
    view = kernel.phys.view
    page = tk.vvar_frames[0]
    tk.seq += 1
    for cs in (CS_HRES_COARSE, CS_RAW):
        off = page + VVAR_DATA_OFFSET + cs * VDSO_DATA.size
        _SEQ.pack_into(view, off, tk.seq & 0xFFFF_FFFF)
    bases = _bases(tk, mono)
    for cs in (CS_HRES_COARSE, CS_RAW):
        off = page + VVAR_DATA_OFFSET + cs * VDSO_DATA.size
        VDSO_DATA.pack_into(view, off, tk.seq & 0xFFFF_FFFF, tk.clock_mode, mono,
                            0xFFFF_FFFF_FFFF_FFFF, 1, 0, *bases, *tk.sys_tz, HRTIMER_RES_NS,
                            kernel.cpu.cpu_id, TICK_NSEC, tk.tick_base)
    tk.seq += 1
    for cs in (CS_HRES_COARSE, CS_RAW):
        _SEQ.pack_into(view, page + VVAR_DATA_OFFSET + cs * VDSO_DATA.size, tk.seq & 0xFFFF_FFFF)


def vvar_data(kernel, cs: int = CS_HRES_COARSE) -> tuple:
    """One vdso_data of the page, unpacked (for tests and the trace)."""
    off = kernel.timekeeper.vvar_frames[0] + VVAR_DATA_OFFSET + cs * VDSO_DATA.size
    return VDSO_DATA.unpack_from(kernel.phys.view, off)


assert VVAR_DATA_OFFSET + 2 * VDSO_DATA.size <= PAGE_SIZE
