"""A thousand live sleeping processes: the run works, and an idle guest process costs
the host little memory (issue 6: at most 2 MB beyond its own touched pages; here the
whole cost, touched pages included, is measured and must stay under that)."""
from __future__ import annotations

import subprocess
import sys

import pytest

import harness

pytestmark = pytest.mark.timeout(600)

N = 1000


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_a_thousand_sleeping_processes():
    # The shell says when it is up and waits for a line before it starts the sleepers, and
    # again before it kills them: both measures fall where they should however fast the
    # host is (a 1 s sleep was the wait before; the sleepers are started in the guest,
    # not each one waited for, so "started" means forked, and each is asleep or about to).
    script = ("echo ready; read go; "
              f"i=0; while [ $i -lt {N} ]; do /bin/busybox sleep 60 & i=$((i+1)); done; "
              "echo started; read go; kill $(jobs -p); wait; echo done")
    proc = subprocess.Popen([sys.executable, "-m", "glasskernel", "run", "/bin/busybox", "sh",
                             "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env=harness.TEST_ENV)
    try:
        assert proc.stdout.readline() == b"ready\n"
        before = _rss_kb(proc.pid)
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == b"started\n"
        after = _rss_kb(proc.pid)
        proc.stdin.write(b"go\n")
        proc.stdin.close()
        rest = proc.stdout.read()
        assert proc.wait(timeout=300) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rest == b"done\n"
    per_process_kb = (after - before) / N
    assert per_process_kb < 2048, f"{per_process_kb:.0f} KB of host memory per sleeping process"
