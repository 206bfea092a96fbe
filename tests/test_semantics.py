"""Semantics fixed from issue 16, each checked against the real kernel: differential runs
of tests/programs/*.c, and CLI-level runs where the bug is about how glasskernel is
started (its stdout a pipe whose reader leaves, signals ignored or descriptors closed by
whoever starts it)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time

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


def test_sigpipe_on_every_write_path(build, toolchain):
    """write, writev, sendfile, a FIFO and a blocked write all raise SIGPIPE with EPIPE
    (these were right already: a regression check beside the host-pipe fix below)."""
    native, _ = differential([build("sigpipe_paths", toolchain)])
    assert b"default writev: killed by signal 13" in native[0]


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


# ----- what glasskernel is started with ---------------------------------------------------

def _run_started_with(argv, preexec, stdin=subprocess.DEVNULL):
    """Run argv as a shell would after preexec's changes; (stdout, stderr, status)."""
    proc = subprocess.run([str(a) for a in argv], preexec_fn=preexec, stdin=stdin,
                          capture_output=True, env=harness.TEST_ENV,
                          timeout=harness.GLASSKERNEL_TIMEOUT)
    return proc.stdout, proc.stderr, harness.exit_status(proc.returncode)


def _ignore_and_block():
    """nohup's SIG_IGN of SIGHUP, a background job's SIGINT/SIGQUIT, and a few more."""
    for signo in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, 37):
        signal.signal(signo, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2, 40])


def test_ignored_and_blocked_signals_inherited(build, toolchain):
    """exec keeps SIG_IGN and the blocked mask: so does glasskernel's first program."""
    exe = build("sig_inherit", toolchain)
    native = _run_started_with([exe], _ignore_and_block)
    guest = _run_started_with(harness.glasskernel_command([exe]), _ignore_and_block)
    harness.assert_no_traceback(guest[1])
    harness.compare(native, guest)
    assert native[0].startswith(b"ignored: 1 2 3 10 37\nblocked: 12 40\n")


def _nohup():
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def _hangup_then_terminate(argv) -> tuple:
    """Start argv with SIGHUP ignored (nohup); once it is ready send SIGHUP then SIGTERM
    (which it traps and reports: by then the SIGHUP has arrived too). (output, status)"""
    proc = subprocess.Popen([str(a) for a in argv], preexec_fn=_nohup, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=harness.TEST_ENV, bufsize=0)    # unbuffered: select sees all
    try:
        out = [_readline(proc)]
        _wait_blocked(proc.pid)
        proc.send_signal(signal.SIGHUP)
        proc.send_signal(signal.SIGTERM)
        out.append(_readline(proc))                 # "term" once the trap ran
        proc.stdin.close()
        out.append(proc.stdout.read())
        return b"".join(out), harness.exit_status(proc.wait(timeout=harness.GLASSKERNEL_TIMEOUT))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# read, poll, select, pselect6, ppoll: what a process waiting for its input sleeps in
_WAITING_SYSCALLS = {"0", "7", "23", "270", "271"}


def _wait_blocked(pid: int, timeout: float = 120) -> None:
    """Wait until pid sleeps waiting for input (its main thread's current syscall). The
    shell must be inside `read` when the signal comes: one that lands between `echo ready`
    and the read syscall runs the trap's handler early and the read then blocks for ever,
    natively too (a window of microseconds natively, wider on an emulator). glasskernel
    sleeps in poll() only when every guest task sleeps."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/syscall") as f:
                if f.read().split(" ", 1)[0] in _WAITING_SYSCALLS:
                    return
        except OSError:
            return
        time.sleep(0.01)
    raise AssertionError(f"pid {pid} never waited for input")


def _readline(proc, timeout: float = 120) -> bytes:
    """The next line of proc's output, failing (not hanging) if none comes in time."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, f"no output within {timeout} s"
    return proc.stdout.readline()


@needs_busybox
@pytest.mark.timeout(600)
def test_nohup_survives_sighup():
    """`nohup glasskernel run ...`: a SIGHUP sent to glasskernel does not kill the guest."""
    argv = [BUSYBOX, "sh", "-c", "trap 'echo term' TERM; echo ready; read x; echo end"]
    native = _hangup_then_terminate(argv)
    guest = _hangup_then_terminate(harness.glasskernel_command(argv))
    assert native[0].startswith(b"ready\nterm\n")
    assert guest == native


def _close_fd(fd):
    return lambda: os.close(fd)


@pytest.mark.parametrize("closed,report", [(0, 1), (1, 2), (2, 1)], ids=["stdin", "stdout", "stderr"])
def test_started_with_stdio_closed(build, toolchain, closed, report):
    """A descriptor 0-2 closed at start is closed in the guest (EBADF, the first open
    gets it), never one of glasskernel's own host descriptors."""
    exe = build("stdio_closed", toolchain)
    native = _run_started_with([exe, report], _close_fd(closed), stdin=None)
    guest = _run_started_with(harness.glasskernel_command([exe, report]), _close_fd(closed),
                              stdin=None)
    harness.assert_no_traceback(guest[1])
    harness.compare(native, guest)
    assert f"fd {closed}: Bad file descriptor".encode() in native[0] + native[1]
    assert f"first open: fd {closed}".encode() in native[0] + native[1]


def test_vsyscall_page(build, toolchain):
    """The vsyscall entries work as Linux emulates them; a jump elsewhere in the page, or
    to the emulator's stop address with a bad stack, is SIGSEGV (it used to spin)."""
    native, _ = differential([build("vsyscall", toolchain)])
    assert b"getcpu entry with a bad stack: killed by Segmentation fault" in native[0]
