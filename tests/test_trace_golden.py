"""Deterministic traces: byte-identical across runs, and pinned by a golden file.

`glasskernel trace --deterministic` runs on a virtual clock with seeded randomness and
instruction-count preemption, so the same command gives the same function graph byte for
byte. The demo program's graph is pinned in tests/golden/forkexec.trace. When the kernel
legitimately changes (a new tracepoint, different arguments), regenerate it with

    GLASSKERNEL_REGEN_GOLDEN=1 python3 -m pytest -q tests/test_trace_golden.py

and review the diff. The binaries are copied to a fixed directory and run with a fixed
environment, so the trace does not depend on where the repository is checked out.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import harness
from glasskernel.tools.demo.demo import example_path

pytestmark = pytest.mark.timeout(300)

GOLDEN = Path(__file__).parent / "golden" / "forkexec.trace"
WORKDIR = Path("/tmp/glasskernel-golden")


def _trace(argv, out: Path, cwd) -> bytes:
    proc = subprocess.run([sys.executable, "-m", "glasskernel", "trace", "--deterministic",
                           "-o", str(out), *argv], env=harness.TEST_ENV, cwd=cwd,
                          capture_output=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes()


def _fixed_copy() -> Path:
    WORKDIR.mkdir(exist_ok=True)
    for name in ("forkexec", "hello"):
        shutil.copy2(example_path(name), WORKDIR / name)
        os.utime(WORKDIR / name, (0, 0))
    return WORKDIR


def test_fork_pipe_exec_traces_are_byte_identical(tmp_path):
    argv = ["/bin/busybox", "sh", "-c", "/bin/busybox echo hi | /bin/busybox cat; /bin/busybox true"]
    first = _trace(argv, tmp_path / "a.trace", tmp_path)
    second = _trace(argv, tmp_path / "b.trace", tmp_path)
    assert b"copy_process" in first and b"pipe_write" in first and b"load_elf_binary" in first
    assert first == second


def test_demo_program_trace_matches_golden(tmp_path):
    work = _fixed_copy()
    trace = _trace(["./forkexec"], tmp_path / "demo.trace", work)
    if os.environ.get("GLASSKERNEL_REGEN_GOLDEN"):
        GOLDEN.write_bytes(trace)
    assert GOLDEN.exists(), "no golden file: run with GLASSKERNEL_REGEN_GOLDEN=1 once"
    assert trace == GOLDEN.read_bytes(), harness.diff_text(GOLDEN.read_bytes(), trace, "trace")
