"""File locks (fs/locks.py, fs/locks_fcntl.py, fs/locks_lease.py): flock(2), POSIX and OFD
record locks and leases, differential against the host kernel. Two processes contend in
each program; they wait for states (a waiter shown in /proc/locks, a byte on a pipe),
never for time."""

from __future__ import annotations

import pytest

from harness import differential


@pytest.mark.parametrize("name", ["locks_posix", "locks_flock", "locks_lease"])
def test_locks(build, toolchain, tmp_path, name):
    exe = build(name, toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert native[2] == 0
    assert not list(tmp_path.iterdir())        # the program cleans up after itself
