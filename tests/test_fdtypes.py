"""eventfd, timerfd, signalfd and POSIX timers (fs/eventfd.c, fs/timerfd.c,
fs/signalfd.c, kernel/time/posix-timers.c): differential programs that print only what
does not depend on the host's speed (a timer fired, a count is >= 1)."""

from __future__ import annotations

from harness import assert_no_traceback, differential, run_glasskernel


def test_eventfd(build, toolchain, tmp_path):
    exe = build("fdtypes_eventfd", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"readlink anon_inode:[eventfd]" in native[0]
    assert b"blocking write 5                   8" in native[0]


def test_timerfd(build, toolchain, tmp_path):
    exe = build("fdtypes_timerfd", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"blocking read 8 value 1" in native[0]
    assert b"period 2: epoll 1 events 0x1 read 8 count>=1 1" in native[0]


def test_signalfd(build, toolchain, tmp_path):
    exe = build("fdtypes_signalfd", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"read all 384 records 3" in native[0]
    assert b"child read 128 signo 10 from parent 1" in native[0]


def test_posix_timers(build, toolchain, tmp_path):
    exe = build("fdtypes_posix_timers", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"overrun>=1 1" in native[0]
    assert b"process cpu timer fired 1 code -2" in native[0]
    assert b"after exec gettime 0                 -1 errno 22" in native[0]


def test_counts_deterministic(build, toolchain, tmp_path):
    """On the virtual clock the counts are exact: a 1 ms period over a 10 ms sleep is 10
    timerfd ticks, and a blocked timer signal taken after it reports 9 overruns (the
    first expiry queued it)."""
    exe = build("fdtypes_counts", toolchain)
    out, err, status = run_glasskernel([exe], extra_opts=["--deterministic"], cwd=tmp_path)
    assert_no_traceback(err)
    assert status == 0, err
    assert out == b"timerfd ticks 10\ntimer overrun 9 getoverrun 9\n"


def test_sigev_thread(build, toolchain, tmp_path):
    exe = build("fdtypes_sigev_thread", toolchain)
    native, _ = differential([exe], cwd=tmp_path, timeout=120)
    assert b"exiting with a thread in sigwaitinfo" in native[0]


def test_cpu_clocks_of_a_pid(build, toolchain, tmp_path):
    exe = build("fdtypes_cpuclockid", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"child process                gettime 0 errno 0 positive 1" in native[0]
