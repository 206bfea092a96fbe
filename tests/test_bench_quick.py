"""The benchmark runner works end to end (quick mode: tiny counts, no timing asserted)."""
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parent.parent / "bench" / "run.py"


@pytest.mark.skipif(not RUNNER.exists(), reason="no bench/run.py")
def test_bench_quick_mode_runs():
    proc = subprocess.run([sys.executable, str(RUNNER), "--quick"], capture_output=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    assert b"getpid" in proc.stdout and b"Traceback" not in proc.stderr
