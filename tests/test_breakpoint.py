"""`glasskernel run --break copy_process` under a pty: the console appears, shows the
parent task and its registers and the kernel call stack, and `continue` finishes the run
with the program's normal output."""
from __future__ import annotations

import pytest

from glasskernel.demo import example_path
from pty_harness import PtySession, glasskernel_argv

pytestmark = pytest.mark.timeout(300)


def test_break_at_copy_process_then_continue():
    session = PtySession(glasskernel_argv(["--break", "copy_process", example_path()]))
    try:
        session.expect("breakpoint: copy_process(flags=SIGCHLD) in forkexec-2")
        session.expect("(gk) ")
        session.type(b"current\n")
        assert b"pid 2" in session.expect("(gk) ")
        session.type(b"regs\n")
        regs = session.expect("(gk) ")
        assert b"rip 0x" in regs and b"rsp 0x" in regs
        session.type(b"bt\n")
        stack = session.expect("(gk) ")
        assert stack.index(b"copy_process") < stack.index(b"kernel_clone") < stack.index(b"__x64_sys_fork")
        session.type(b"tasks\n")
        assert b"forkexec" in session.expect("(gk) ")
        session.type(b"continue\n")
        session.expect("that child exited with status 7")
        assert session.wait(60) == 0
    finally:
        session.close()


def test_break_syscall_and_step():
    session = PtySession(glasskernel_argv(["--break-syscall", "getpid", example_path()]))
    try:
        session.expect("breakpoint: __x64_sys_getpid")
        session.expect("(gk) ")
        session.type(b"step\n")
        session.expect("breakpoint: ")
        session.expect("(gk) ")
        session.type(b"delete\n")
        session.expect("that child exited with status 7")
        assert session.wait(60) == 0
    finally:
        session.close()


def test_unknown_syscall_is_a_usage_error():
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "glasskernel", "run", "--break-syscall", "nosuch",
                           "/bin/busybox", "true"], capture_output=True, text=True)
    assert proc.returncode == 2 and "unknown syscall" in proc.stderr
