"""`glasskernel run --break copy_process` under a pty: the console appears, shows the
parent task and its registers and the kernel call stack, and `continue` finishes the run
with the program's normal output."""
from __future__ import annotations

import re

import pytest

from glasskernel.tools.demo.demo import example_path
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


def test_regs_at_syscall_entry_hold_what_syscall_saved():
    """At a syscall's entry pt_regs hold rcx = the return rip and r11 = rflags, as the
    `syscall` instruction leaves them for entry_SYSCALL_64 (regs showed rcx 0, r11 junk)."""
    session = PtySession(glasskernel_argv(["--break-syscall", "getpid", example_path()]))
    try:
        session.expect("breakpoint: __x64_sys_getpid")
        session.expect("(gk) ")
        session.type(b"regs\n")
        text = session.expect("(gk) ").decode()
        regs = {name: int(value, 16) for name, value in re.findall(r"(\w+) (0x[0-9a-f]+)", text)}
        assert regs["rcx"] == regs["rip"] and regs["r11"] == regs["rflags"], text
        assert regs["r11"] & 0x202 == 0x202, text          # IF and the always-one bit
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


@pytest.mark.parametrize("args, message", [
    (["--break", "no_such_function"], "--break no_such_function: no traceable kernel function"),
    (["--break", "copy_proces"], "close matches: copy_process"),
    (["--break", "do_wiat"], "close matches: do_wait"),
    (["--break", "clone"], "--break-syscall clone or --break __x64_sys_clone"),
    (["--break-syscall", "clon"], "--break-syscall clon: unknown syscall; close matches: clone"),
])
def test_a_break_that_can_never_stop_is_a_usage_error(args, message):
    """--break PATTERN must match a traceable kernel function or a syscall's
    __x64_sys_NAME; otherwise the run never stopped. One line, exit status 2."""
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "glasskernel", "run", *args, "/bin/busybox",
                           "true"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and message in proc.stderr, proc.stderr


def _source_tracepoints() -> set:
    """The span names in the source: each @traced function (or its name=) and each
    literal trace_enter("NAME")."""
    import ast
    from pathlib import Path
    import glasskernel
    names = set()
    for path in Path(glasskernel.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for deco in node.decorator_list:
                    if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "traced":
                        given = [k.value.value for k in deco.keywords if k.arg == "name"]
                        names.add(given[0] if given else node.name)
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "trace_enter"
                  and node.args and isinstance(node.args[0], ast.Constant)):
                names.add(node.args[0].value)
    return names


def test_every_tracepoint_is_known_to_break():
    """What --break checks patterns against holds every span of the source (asked in a
    fresh process: some modules are imported only when first used), so no real function
    is refused."""
    import subprocess
    import sys
    code = ("from glasskernel.kernel.trace.tracepoint import traceable_functions\n"
            "print('\\n'.join(sorted(traceable_functions())))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    known = set(proc.stdout.split())
    source = _source_tracepoints()
    assert {"copy_process", "do_wait", "schedule", "ret_from_fork", "pipe_write"} <= source
    assert source - known == set()


def test_break_glob_on_a_fast_syscall_stops():
    """--break '__x64_sys_getp*' stops at getpid, a syscall of the fast path (which opens
    no span unless a breakpoint asks for it)."""
    session = PtySession(glasskernel_argv(["--break", "__x64_sys_getp*", example_path()]))
    try:
        session.expect("breakpoint: __x64_sys_getpid")
        session.expect("(gk) ")
        session.type(b"delete\n")
        session.expect("that child exited with status 7")
        assert session.wait(60) == 0
    finally:
        session.close()
