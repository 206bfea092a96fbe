"""The C entry shim (arch/x86/entry_shim.c) and the ctypes path that stands in for it.

glasskernel builds the shim with the host's C compiler on first use; without one it does
the same work through ctypes. Both paths must run programs identically, so a few
differential programs run with the shim turned off (GLASSKERNEL_NO_SHIM=1), chosen for
what the shim touches: syscall arguments and results, preemption ticks, signals.
"""
import os
import shutil
import subprocess
import sys

import pytest

import harness
from harness import differential

NO_SHIM_ENV = {**harness.TEST_ENV, "GLASSKERNEL_NO_SHIM": "1"}


@pytest.mark.parametrize("program", ["lc_sched", "pipe_atomic", "sig_timer", "lc_fork",
                                     "syscall_regs"])
def test_programs_without_the_shim(build, toolchain, program):
    differential([build(program, toolchain)], env=NO_SHIM_ENV)


def test_shim_builds_into_an_empty_cache(tmp_path):
    """A first run compiles the shim into $XDG_CACHE_HOME/glasskernel and uses it."""
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("GLASSKERNEL_NO_SHIM", None)
    probe = ("from glasskernel.arch.x86 import entry_shim; from glasskernel.arch.x86.cpu import Cpu;"
             "from glasskernel.mm.page_alloc import PhysicalMemory;"
             "print(entry_shim.load() is not None, Cpu(PhysicalMemory(16 << 20)).budget_unit)")
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["True", "block"], out.stderr
    assert list((tmp_path / "glasskernel").glob("entry_shim-*.so"))


def test_without_the_shim_budgets_count_instructions(monkeypatch):
    from glasskernel.arch.x86 import entry_shim
    from glasskernel.arch.x86.cpu import Cpu
    from glasskernel.mm.page_alloc import PhysicalMemory
    monkeypatch.setattr(entry_shim, "_loaded", False)
    assert Cpu(PhysicalMemory(16 << 20)).budget_unit == "instruction"
