"""clone(2) and clone3(2): the sharing flags, the tid-reporting flags and the
refused flag combinations (tests/programs/lc_clone.c, differential).

The children are started with the raw syscall from an assembly helper, on
their own stack, and make only raw system calls.

Linux 6.1 vs the host's 6.18: CLONE_PIDFD|CLONE_THREAD is EINVAL in 6.1 and
allowed since 6.9 (pidfds for threads), so that case is checked against the
6.1 answer under glasskernel only (test_pidfd_with_thread_is_einval_61).
"""

from __future__ import annotations

import pytest

import harness
from harness import differential, run_glasskernel, run_native

pytestmark = pytest.mark.timeout(300)


SHARING_EXPECT = {
    "vm": b"parent sees the child's write: yes",
    "files": b"after child's close: -1 EBADF",
    "fs": b"parent cwd is the child's: yes, umask shared: yes",
    "sighand": b"parent's SIGUSR1 now SIG_IGN",
    "parent": b"grandparent reaped the CLONE_PARENT child: yes, status 12",
    "settid": b"CLONE_PARENT_SETTID: ptid == return value on return: yes",
    "cleartid": b"ctid cleared at exit: yes",
}


@pytest.mark.parametrize("mode", list(SHARING_EXPECT))
def test_clone_sharing_flags(build, toolchain, tmp_path, mode):
    """CLONE_VM, CLONE_FILES, CLONE_FS, CLONE_SIGHAND (each against a
    control clone without the flag), CLONE_PARENT, CLONE_PARENT_SETTID,
    CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID (cleared at exit + futex wake)."""
    exe = build("lc_clone", toolchain)
    native, _ = differential([exe, mode], cwd=tmp_path)
    assert SHARING_EXPECT[mode] in native[0]
    assert b": no" not in native[0]


def test_clone_invalid_flag_combinations(build, toolchain):
    """Every combination Linux 6.1's copy_process/kernel_clone refuse with
    EINVAL (CLONE_PARENT from init is not testable from a user process)."""
    exe = build("lc_clone", toolchain)
    native, _ = differential([exe, "invalid"])
    out = native[0].decode()
    assert out.count(": EINVAL") == 10, out


def test_clone3_argument_checks(build, toolchain):
    """clone3: size < 64 EINVAL, size > 4096 E2BIG, nonzero bytes past the
    known struct E2BIG, exit_signal > 64 EINVAL, the flag checks of
    clone3_args_valid; sizes 64/88/128/4096 with zero tails work; exit_signal
    0 makes a __WCLONE child."""
    exe = build("lc_clone", toolchain)
    native, _ = differential([exe, "clone3"])
    assert b"size 4097: E2BIG" in native[0]
    assert b"exit_signal 65: EINVAL" in native[0]
    assert b"clone3 size 128: child status 32" in native[0]


def test_pidfd_with_thread_is_einval_61(build, toolchain):
    """CLONE_PIDFD|CLONE_THREAD: EINVAL in 6.1 (copy_process); the host's
    6.18 allows it, so only glasskernel's answer is checked."""
    exe = build("lc_clone", toolchain)
    out, err, rc = run_glasskernel([exe, "pidfd_thread"])
    harness.assert_no_traceback(err)
    assert rc == 0, (rc, out, err)
    assert out == b"CLONE_PIDFD|CLONE_THREAD: EINVAL\n"
