"""The timekeeper and the [vvar] data page (kernel/time_vsyscall.py) of a real kernel that never runs:
the page holds what the vDSO needs, is rewritten under an even/odd seqcount, follows a
step of the host's wall clock but not the jitter of reading two clocks, and in a
deterministic run holds the virtual clock's epoch."""
import time

import pytest

from factories import make_kernel, release_kernel
from glasskernel.kernel import time_vsyscall as tv
from glasskernel.kernel.time_virtual import REALTIME_EPOCH_NS

NSEC = 10**9


@pytest.fixture
def make(request):
    """make(deterministic) -> a real Kernel (shut down after the test)."""
    made = []

    def kernel(deterministic=False):
        made.append(make_kernel(mem_size=1 << 20, deterministic=deterministic))
        return made[-1]
    yield kernel
    for k in made:
        release_kernel(k)


def fields(kernel, cs=tv.CS_HRES_COARSE) -> dict:
    v = tv.vvar_data(kernel, cs)
    bases = v[6:6 + 2 * tv.VDSO_BASES]
    return {"seq": v[0], "mode": v[1], "cycle_last": v[2], "mult": v[4], "shift": v[5],
            "base": {c: bases[2 * c] * NSEC + bases[2 * c + 1] for c in range(tv.VDSO_BASES)},
            "tick_nsec": v[-2], "tick_base": v[-1]}


def test_page_describes_a_1ghz_tsc_on_the_monotonic_clock(make):
    kernel = make()
    f = fields(kernel)
    assert f["seq"] % 2 == 0 and f["mode"] == tv.VDSO_CLOCKMODE_TSC
    assert (f["mult"], f["shift"]) == (1, 0)
    mono = f["cycle_last"]
    assert f["base"][1] == f["base"][4] == f["base"][7] == mono      # MONOTONIC, RAW, BOOTTIME
    assert f["base"][0] == f["base"][11] == mono + kernel.timekeeper.offs_real
    assert abs(f["base"][0] - time.time_ns()) < NSEC
    assert (f["tick_nsec"], f["tick_base"]) == (4_000_000, kernel.boot_time_ns)
    assert fields(kernel, tv.CS_RAW)["base"][4] == mono
    assert kernel.cpu.on_rdtsc is None          # the shim reads CLOCK_MONOTONIC itself


def test_host_wall_clock_step_is_followed_but_read_jitter_is_not(monkeypatch, make):
    kernel = make()
    tk = kernel.timekeeper
    seq, offs = fields(kernel)["seq"], tk.offs_real
    real_time_ns = time.time_ns
    monkeypatch.setattr(tv._host_time, "time_ns", lambda: real_time_ns() + 200_000)
    tk.refresh_offsets()
    assert (tk.offs_real, fields(kernel)["seq"]) == (offs, seq)     # 0.2 ms: jitter, kept
    monkeypatch.setattr(tv._host_time, "time_ns", lambda: real_time_ns() + 5 * NSEC)
    tk.refresh_offsets()
    f = fields(kernel)
    assert f["seq"] == seq + 2 and f["seq"] % 2 == 0
    assert abs(tk.offs_real - offs - 5 * NSEC) < 10_000_000
    assert f["base"][0] == f["cycle_last"] + tk.offs_real


def test_deterministic_page_is_the_virtual_clock_and_reading_it_moves_nothing(make):
    kernel = make(deterministic=True)
    clock = kernel.clock
    before = clock.peek()
    tv.update_vsyscall(kernel.timekeeper)
    assert clock.peek() == before                # the page is written with peek()
    f = fields(kernel)
    assert kernel.timekeeper.offs_real == REALTIME_EPOCH_NS
    assert f["base"][0] == REALTIME_EPOCH_NS + f["cycle_last"]
    assert kernel.cpu.on_rdtsc == clock.monotonic_ns     # the TSC is the virtual clock
    kernel.timekeeper.refresh_offsets()
    assert fields(kernel)["seq"] == f["seq"]      # a deterministic wall clock never steps
