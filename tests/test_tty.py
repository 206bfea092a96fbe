"""Terminal job control against the native kernel, on a real pseudo-terminal.

tests/programs/tty_jobctl.c runs as the leader of a session whose controlling terminal is
a pty: natively, and under glasskernel (where glasskernel leads the host session and the
program leads the guest's). Both must see the same foreground group rules, SIGTTIN and
SIGTTOU stops, EIO for ignored SIGTTIN, tcsetpgrp errors, /dev/tty and TIOCSCTTY/TIOCNOTTY
results.
"""
from __future__ import annotations

import pytest

from harness import diff_text
from pty_harness import glasskernel_argv, run_in_pty

pytestmark = pytest.mark.timeout(300)


def test_tty_job_control(build, toolchain):
    binary = build("tty_jobctl", toolchain)
    native_out, native_status = run_in_pty([binary])
    assert b"background read: stopped by" in native_out      # the test itself is sound
    gk_out, gk_status = run_in_pty(glasskernel_argv([binary]))
    assert gk_out == native_out, diff_text(native_out, gk_out, "terminal output")
    assert gk_status == native_status == 0


def test_terminal_settings_restored_after_a_program_changes_them():
    """A guest that leaves the terminal in raw mode does not leave the host that way."""
    from pty_harness import PtySession
    session = PtySession(glasskernel_argv(["/bin/busybox", "stty", "raw", "-echo"]))
    try:
        session.read_to_end(60)
        assert session.wait() == 0
        assert session.settings_now() == session.settings_before
    finally:
        session.close()
