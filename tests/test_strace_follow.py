"""`--strace` with strace -f's conventions, against real `strace -f` of busybox pipelines.

Per process (ordered by pid: creation order in both runs), the sequence of syscall names
must be the same as natively, whether a call was printed whole or split into
`<unfinished ...>` and `<... resumed>` around other processes' lines. What legitimately
differs is left out: rt_sigreturn and `--- SIGCHLD` lines (when a SIGCHLD arrives depends
on timing). Also checked: every `<unfinished ...>` is later resumed by the same process.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

import harness
from test_strace import strace_works

pytestmark = [pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed"),
              pytest.mark.timeout(300)]

PIPELINES = [
    "echo hi | /bin/busybox cat",
    "/bin/busybox seq 1 5 | /bin/busybox sort -r | /bin/busybox head -2",
    "/bin/busybox echo a b | /bin/busybox tr a-z A-Z | /bin/busybox cat | /bin/busybox wc -c",
]
_LINE = re.compile(r"(?:\[pid\s+)?(\d+)\]?\s+(.*)")
_CALL = re.compile(r"(?:<\.\.\. (\w+) resumed>|(\w+)\()")
_IGNORED = {"rt_sigreturn"}


def per_process(text: str, first_pid: str) -> list:
    """[(pid, [syscall names])] by pid; unprefixed lines belong to the first process."""
    calls: dict = {}
    open_calls: dict = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        pid, rest = (m[1], m[2]) if m else (first_pid, line)
        call = _CALL.match(rest)
        if call is None:
            continue
        if call[1]:                                   # "<... name resumed>"
            assert open_calls.pop(pid, None) == call[1], f"resumed without unfinished: {line}"
            continue
        if rest.endswith("<unfinished ...>"):
            open_calls[pid] = call[2]
        if call[2] not in _IGNORED:
            calls.setdefault(pid, []).append(call[2])
    return [calls[p] for p in sorted(calls, key=int)]


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_strace_f_matches_native_per_process(pipeline, tmp_path):
    if not strace_works():
        pytest.skip("strace cannot trace here (ptrace forbidden)")
    argv = ["/bin/busybox", "sh", "-c", pipeline]
    native_log, gk_log = tmp_path / "native.st", tmp_path / "gk.st"
    native = subprocess.run(["strace", "-f", "-o", str(native_log), *argv], env=harness.TEST_ENV,
                            capture_output=True, timeout=60)
    gk = subprocess.run([sys.executable, "-m", "glasskernel", "run", f"--strace={gk_log}", *argv],
                        env=harness.TEST_ENV, capture_output=True, timeout=240)
    assert gk.stdout == native.stdout and gk.returncode == native.returncode
    native_text = native_log.read_text()
    first = native_text.split(None, 1)[0]
    expected = per_process(native_text, first)
    actual = per_process(gk_log.read_text(), "2")
    assert len(actual) == len(expected)
    for want, got in zip(expected, actual):
        assert got == want


def test_unfinished_and_resumed_pairs_appear(tmp_path):
    log = tmp_path / "gk.st"
    subprocess.run([sys.executable, "-m", "glasskernel", "run", f"--strace={log}",
                    "/bin/busybox", "sh", "-c", PIPELINES[0]], env=harness.TEST_ENV,
                   capture_output=True, timeout=240)
    text = log.read_text()
    assert re.search(r"\[pid\s+2\] wait4\(-1,  <unfinished \.\.\.>", text)
    assert re.search(r"<\.\.\. wait4 resumed>\[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == 0\}\], 0, NULL\)", text)
