"""Interactive shells on a real pseudo-terminal: prompt, Ctrl-C, Ctrl-Z, jobs, fg, exit.

`glasskernel run /bin/busybox sh` and `glasskernel run /bin/bash-static` are driven the way
a person at a terminal would: type a command and see its output, start a job that runs
until stopped and press Ctrl-C (the job dies, the shell lives), start it again and press
Ctrl-Z (`jobs` shows it stopped), `fg` resumes it and Ctrl-C ends it, and `exit` leaves the
terminal's settings as they were before glasskernel started. Each key is sent once the job
has said that it runs (never after a sleep, which a busy host can outlast).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pty_harness import PtySession, glasskernel_argv

pytestmark = pytest.mark.timeout(300)

SHELLS = {
    "busybox-sh": ["/bin/busybox", "sh", "-i"],
    "bash": ["/bin/bash-static", "--norc", "--noprofile", "-i"],
}
PROMPT = "PROMPT$ "
# A foreground job that says when it runs: "started" once it is the terminal's foreground
# (the shell moves the job's group there before it execs), "continued" after fg's SIGCONT
# (sent after the terminal is handed over). The quotes keep the words out of the echo of
# the typed line.
JOB = (b"/bin/busybox sh -c \"trap 'echo con''tinued' CONT; echo st''arted; "
       b"while :; do /bin/busybox sleep 1; done\"\n")


def _start_shell(shell: str) -> PtySession:
    """The shell under glasskernel on a new pty (the test skips without the binary)."""
    argv = SHELLS[shell]
    if not Path(argv[0]).exists():
        pytest.skip(f"needs {argv[0]}")
    return PtySession(glasskernel_argv(argv))


@pytest.mark.parametrize("shell", list(SHELLS))
def test_interactive_shell_job_control(shell):
    session = _start_shell(shell)
    try:
        session.expect(PROMPT)
        session.type(b"echo hel''lo from $((6*7))\n")
        session.expect("hello from 42")
        session.expect(PROMPT)

        session.type(JOB)
        session.expect("started")                   # the job has the terminal
        session.type(b"\x03")                       # Ctrl-C: the job dies, not the shell
        session.expect(PROMPT)
        session.type(b"echo status $?\n")
        session.expect("status 130")
        session.expect(PROMPT)

        session.type(JOB)
        session.expect("started")
        session.type(b"\x1a")                       # Ctrl-Z: stopped, back at the prompt
        assert b"Stopped" in session.expect(PROMPT)
        session.type(b"jobs\n")
        listing = session.expect(PROMPT)
        assert b"Stopped" in listing and b"busybox sleep 1" in listing

        session.type(b"fg\n")
        session.expect("continued")                 # running again, in the foreground
        session.type(b"\x03")
        session.expect(PROMPT)
        session.type(b"jobs; echo jobs-done\n")
        assert b"Stopped" not in session.expect("jobs-done")
        session.expect(PROMPT)

        session.type(b"exit 3\n")
        assert session.wait(60) == 3
        assert session.settings_now() == session.settings_before
    finally:
        session.close()


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a host process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("shell", list(SHELLS))
def test_idle_shell_sleeps_on_the_terminal(shell):
    """A shell waiting at its prompt sleeps in the kernel until a key arrives: the
    glasskernel process uses (almost) no CPU, rather than polling the terminal (a tty
    is always writable, which once woke the reader's queue on every poll)."""
    session = _start_shell(shell)
    try:
        session.expect(PROMPT)
        time.sleep(0.5)
        before = _cpu_seconds(session.proc.pid)
        time.sleep(3.0)
        used = _cpu_seconds(session.proc.pid) - before
        assert used < 0.5, f"{used:.2f} s of CPU in 3 s at an idle prompt"
        session.type(b"exit 0\n")
        assert session.wait(60) == 0
    finally:
        session.close()
