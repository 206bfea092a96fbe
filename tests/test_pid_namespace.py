"""CLONE_NEWPID: numbers as seen from inside and outside a new pid namespace (pid_vnr)."""
import os

import pytest

from harness import differential


@pytest.mark.skipif(os.geteuid() != 0, reason="CLONE_NEWPID needs CAP_SYS_ADMIN natively")
def test_clone_newpid(build, toolchain):
    exe = build("newpid", toolchain)
    native, _ = differential([exe])
    assert b"child: getpid 1 getppid 0" in native[0]
    assert b"grandchild: getpid 2 getppid 1" in native[0]
