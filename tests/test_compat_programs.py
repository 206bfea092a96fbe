"""The lifecycle and pipe test programs built for i386 (``gcc -m32 -static``): the same
output and exit status natively and under glasskernel (issue 19's first acceptance test;
the signal programs are in test_compat_signals.py)."""
import pytest

from harness import differential

pytestmark = pytest.mark.timeout(300)

CASES = [("lc_fork", arg) for arg in ("twice", "tree", "orphan", "zombie", "codes", "signals",
                                      "wnohang", "echild", "pgrp", "waitid", "rusage")]
CASES += [("lc_vfork", "shared"), ("lc_vfork", "execfail"), ("lc_forkbomb", "nproc")]
CASES += [("pipe_bigwrite", None), ("pipe_atomic", None), ("pipe_packet", None),
          ("pipe_max_size", None), ("pipe_readv", None), ("pipe_ring", None)]


@pytest.mark.parametrize("name,arg", CASES, ids=[f"{n}-{a}" if a else n for n, a in CASES])
def test_program_i386(build, tmp_path, name, arg):
    exe = build(name, "m32")
    native, _ = differential([exe] + ([arg] if arg else []), cwd=tmp_path)
    assert native[0], f"{name} printed nothing natively: {native!r}"


def test_vfork_exec_i386(build, tmp_path):
    """vfork in an i386 parent, exec of another i386 program in the child."""
    differential([build("lc_vfork", "m32"), "exec", build("lc_probe", "m32"), "from vfork", "exit=4"])
