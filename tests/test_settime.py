"""The guest's own wall clock (kernel/time_ntp.py): clock_settime, settimeofday and
adjtimex change CLOCK_REALTIME for the run only. The program runs under glasskernel
alone (natively it would set the host's clock); the expected lines are Linux 6.1's."""

import time

import harness
from harness import run_glasskernel

EXPECTED = """\
clock_settime REALTIME: ok
realtime 1000000000, time() 1000000000
gettimeofday 1000000000
clock_settime MONOTONIC: Invalid argument
clock_settime bad nsec: Invalid argument
settimeofday bad usec: Invalid argument
settimeofday bad tz: Invalid argument
settimeofday time: ok
settimeofday zone: ok
now 1500000000, tz -60
unprivileged clock_settime: Operation not permitted
timerfd abs +100 s, CANCEL_ON_SET: ok
remaining after +40 s: 1
read: Operation canceled
sleeper woke at or after its time: 1
adjtimex: state 5, STA_UNSYNC 1, tick 10000, tolerance 32768000
leap: OOP seen 1, WAIT seen 1, realtime fell a second behind: 1
"""


def test_guest_sets_its_own_clock(build):
    """Set, read back through every path (syscall, vDSO, coarse), the errors, timers that
    move with the clock, CANCEL_ON_SET, an absolute sleeper woken by a set, and a leap
    second inserted at midnight; the host's clock is not touched."""
    exe = build("settime_guest", "glibc")
    host_offset = time.time() - time.monotonic()
    out, err, code = run_glasskernel([exe])
    harness.assert_no_traceback(err)
    assert code == 0, err
    assert out.decode() == EXPECTED
    assert b"Clock: inserting leap second 23:59:60 UTC" in err
    assert abs((time.time() - time.monotonic()) - host_offset) < 1.0
