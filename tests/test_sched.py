"""The scheduler: preemption between CPU-bound processes, nice levels, and
sleeping without using CPU (tests/programs/lc_sched.c, differential).

The program only prints comparisons ("both progressed: yes"), so native and
emulated output agree whatever the speeds.  Natively both spinners are pinned
to CPU 0 so that they compete; glasskernel has one CPU (a failing
sched_setaffinity is ignored by the program).
"""

from __future__ import annotations

import pytest

from harness import differential

pytestmark = pytest.mark.timeout(300)


def test_two_cpu_bound_processes_both_progress(build, toolchain):
    exe = build("lc_sched", toolchain)
    native, _ = differential([exe, "progress"])
    assert b"both progressed: yes" in native[0]


def test_nice_10_gets_less_cpu(build, toolchain):
    """Over ~1 s a nice-10 spinner counts less than (and under half of) a
    nice-0 one on the same CPU: CFS weights 110 vs 1024. glasskernel runs on its
    virtual clock: on the host's, a busy machine's stalls of glasskernel itself are
    charged to whichever spinner was running and blur the ratio."""
    exe = build("lc_sched", toolchain)
    native, _ = differential([exe, "nice"], extra_opts=["--deterministic"])
    assert b"nice 10 got less: yes" in native[0]


def test_nanosleep_does_not_burn_cpu(build, toolchain):
    """A 200 ms nanosleep / clock_nanosleep: wall time >= 200 ms, less than
    50 ms of CLOCK_PROCESS_CPUTIME_ID / CLOCK_THREAD_CPUTIME_ID."""
    exe = build("lc_sched", toolchain)
    native, _ = differential([exe, "sleep"])
    assert b"cpu time < 50 ms: yes" in native[0]
