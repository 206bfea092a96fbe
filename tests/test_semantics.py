"""Semantics fixed from issue 16, each checked against the real kernel: differential runs
of tests/programs/*.c, and CLI-level runs where the bug is about how glasskernel is
started (its stdout a pipe whose reader leaves, signals ignored or descriptors closed by
whoever starts it)."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

import harness
from harness import differential

BUSYBOX = "/bin/busybox"
needs_busybox = pytest.mark.skipif(not os.path.exists(BUSYBOX), reason="needs busybox-static")


def test_clone_settid_faults_ignored(build, toolchain):
    """CLONE_PARENT_SETTID/CLONE_CHILD_SETTID with a bad pointer: the clone succeeds;
    a clone failing late (CLONE_SETTLS of a kernel address) leaves the thread count."""
    differential([build("clone_settid", toolchain)])


def test_child_subreaper(build, toolchain):
    """Orphans go to the nearest PR_SET_CHILD_SUBREAPER ancestor, or a live thread of
    the exiting thread's process."""
    native, _ = differential([build("subreaper", toolchain)])
    assert b"subreaper: reaped the orphan, exit 5" in native[0]


# ----- glasskernel's stdout: a host pipe whose reader goes ------------------------------

def _run_until_reader_leaves(argv) -> int:
    """Start argv with stdout a pipe, read one line, close the read end; its status."""
    proc = subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            env=harness.TEST_ENV)
    first = proc.stdout.readline()
    proc.stdout.close()
    status = proc.wait(timeout=harness.GLASSKERNEL_TIMEOUT)
    assert first, "no output before the reader left"
    return harness.exit_status(status)


@needs_busybox
@pytest.mark.parametrize("script,expected", [
    ("yes", 128 + signal.SIGPIPE),                   # killed by SIGPIPE, as `yes | head -1`
    ("trap '' PIPE; yes", 1),                        # ignored: EPIPE, yes reports and exits 1
], ids=["default", "ignored"])
def test_host_pipe_reader_gone_sends_sigpipe(script, expected):
    argv = [BUSYBOX, "sh", "-c", script]
    native = _run_until_reader_leaves(argv)
    guest = _run_until_reader_leaves(harness.glasskernel_command(argv))
    assert native == expected
    assert guest == native


def test_vfork_parent_released_at_exec(build, toolchain):
    """The vfork child execs a reader the parent then feeds through a pipe (tar czf)."""
    native, _ = differential([build("vfork_exec_pipe", toolchain)])
    assert b"reader: 327680 bytes" in native[0]


def test_pipe_reopened_through_proc_fd(build, toolchain):
    """/proc/self/fd/N and /dev/fd/N of a pipe open the same pipe again (was ENXIO)."""
    native, _ = differential([build("pipe_reopen", toolchain)])
    assert b"new file: read 5 \"hello\"" in native[0]


@pytest.mark.skipif(not os.path.exists("/bin/bash-static"), reason="needs bash-static")
def test_bash_process_substitution(tmp_path):
    """bash's <(...) and >(...) hand the command a /dev/fd/N of a pipe."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("cat", "sort"):
        (bindir / name).symlink_to(BUSYBOX)
    env = dict(harness.TEST_ENV, PATH=str(bindir))
    script = "cat <(echo hi); sort -r <(printf 'a\\nb\\n'); echo x > >(cat); wait; echo done"
    native, _ = differential(["/bin/bash-static", "-c", script], env=env)
    assert native[0].startswith(b"hi\nb\na\n")
