"""eventfd, timerfd, signalfd and POSIX timers (fs/eventfd.c, fs/timerfd.c,
fs/signalfd.c, kernel/time/posix-timers.c): differential programs that print only what
does not depend on the host's speed (a timer fired, a count is >= 1)."""

from __future__ import annotations

from harness import differential


def test_eventfd(build, toolchain, tmp_path):
    exe = build("fdtypes_eventfd", toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert b"readlink anon_inode:[eventfd]" in native[0]
    assert b"blocking write 5                   8" in native[0]
