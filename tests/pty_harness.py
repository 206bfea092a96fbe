"""Running programs on a pseudo-terminal, natively and under glasskernel.

The program (or ``python -m glasskernel run PROGRAM``) is started as the leader of a new
session whose controlling terminal is the pty's slave side, exactly as a terminal
emulator starts a shell; the test holds the master side: it reads what the program
prints and types keys (b"\\x03" is Ctrl-C, b"\\x1a" Ctrl-Z).
"""
from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time

import harness

PTY_ENV = dict(harness.TEST_ENV, TERM="dumb", PS1="PROMPT$ ", INPUTRC="/dev/null")


class PtySession:
    """A program on the slave side of a new pty; the test is the terminal."""

    def __init__(self, argv, env=None, cwd=None):
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.settings_before = termios.tcgetattr(self.slave)
        self.proc = subprocess.Popen(
            [str(a) for a in argv], stdin=self.slave, stdout=self.slave, stderr=self.slave,
            env=dict(PTY_ENV if env is None else env), cwd=cwd, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        self.pending = b""
        self.transcript = b""

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def _read_some(self, deadline: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.time()))
        if not ready:
            return False
        try:
            data = os.read(self.master, 4096)
        except OSError:                      # EIO: the slave side is closed everywhere
            return False
        self.pending += data
        self.transcript += data
        return bool(data)

    def expect(self, text: str, timeout: float = 60) -> bytes:
        """Wait until the program has printed text; return everything up to it."""
        needle = text.encode()
        deadline = time.time() + timeout
        while needle not in self.pending:
            if not self._read_some(deadline):
                raise AssertionError(f"did not see {text!r}; transcript:\n"
                                     f"{self.transcript.decode(errors='replace')}")
        end = self.pending.index(needle) + len(needle)
        seen, self.pending = self.pending[:end], self.pending[end:]
        return seen

    def read_to_end(self, timeout: float = 120) -> bytes:
        """Everything printed until the program exits (we hold the slave open, so the
        end is the exit and an empty master, not EOF)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self._read_some(min(deadline, time.time() + 0.2)) and self.proc.poll() is not None:
                break
        return self.transcript

    def wait(self, timeout: float = 60) -> int:
        return self.proc.wait(timeout=timeout)

    def settings_now(self):
        return termios.tcgetattr(self.slave)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.master, self.slave):
            os.close(fd)


def run_in_pty(argv, timeout: float = 120):
    """Run argv to completion on a pty; (everything it printed, exit status)."""
    session = PtySession(argv)
    try:
        output = session.read_to_end(timeout)
        return output, harness.exit_status(session.wait(timeout))
    finally:
        session.close()


def glasskernel_argv(argv) -> list:
    return harness.glasskernel_command(argv)
