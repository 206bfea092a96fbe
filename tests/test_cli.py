"""The ``glasskernel run`` command line: environment handling, exit status of
signal deaths, and error reporting without Python tracebacks.

    glasskernel run [--root DIR] [--strace[=FILE]] [--env K=V ...] PROGRAM [ARGS...]
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

import harness
from harness import run_glasskernel, run_native


def guest_env(stdout: bytes) -> list[str]:
    """The envp[] lines printed by argv_envp, in order."""
    return [line.split("=", 1)[1] for line in stdout.decode().splitlines()
            if line.startswith("envp[")]


def test_host_environment_is_passed_by_default(build, toolchain):
    exe = build("argv_envp", toolchain)
    out, err, rc = run_glasskernel([exe])
    harness.assert_no_traceback(err)
    assert rc == 0, err
    assert sorted(guest_env(out)) == sorted(f"{k}={v}" for k, v in harness.TEST_ENV.items())


def test_env_option_adds_variable(build, toolchain):
    exe = build("argv_envp", toolchain)
    out, err, rc = run_glasskernel([exe], extra_opts=["--env", "GK_NEW=hello world"])
    harness.assert_no_traceback(err)
    assert rc == 0, err
    env = guest_env(out)
    assert "GK_NEW=hello world" in env
    assert "GK_TEST_VAR=some value with spaces" in env


def test_env_option_overrides_and_repeats(build, toolchain):
    exe = build("argv_envp", toolchain)
    out, err, rc = run_glasskernel(
        [exe], extra_opts=["--env", "GK_TEST_VAR=overridden", "--env", "A=1",
                           "--env", "B=x=y", "--env", "EMPTY="])
    harness.assert_no_traceback(err)
    assert rc == 0, err
    env = guest_env(out)
    assert "GK_TEST_VAR=overridden" in env
    assert not any(e == "GK_TEST_VAR=some value with spaces" for e in env)
    assert sum(e.startswith("GK_TEST_VAR=") for e in env) == 1
    assert "A=1" in env and "B=x=y" in env and "EMPTY=" in env


def test_guest_arguments_are_not_parsed_as_options(build, toolchain):
    """Everything after PROGRAM belongs to the guest, even --env/--root."""
    exe = build("argv_envp", toolchain)
    args = ["--env", "X=1", "--root", "/", "--strace", "-h"]
    native, guest = harness.differential([exe, *args])
    assert b"argv[1]=--env" in guest[0]


def test_guest_cwd_is_host_cwd(build, toolchain, tmp_path):
    exe = build("dirlist", toolchain)
    (tmp_path / "only-here").write_text("x")
    native, guest = harness.differential([exe, "."], cwd=tmp_path)
    assert b"only-here f" in guest[0]


def test_stdin_is_the_hosts():
    data = b"line one\nline two\n"
    native, guest = harness.differential(["/bin/busybox", "cat"], stdin=data)
    assert guest[0] == data


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGABRT, signal.SIGTERM,
                                 signal.SIGKILL, signal.SIGUSR1])
def test_signal_death_status(build, toolchain, sig):
    """Killed by signal N: exit status 128+N and the shell's message
    ("Segmentation fault", "Aborted", ...) on stderr."""
    exe = build("signal_self", toolchain)
    n_out, _, n_rc = run_native([exe, str(int(sig))])
    g_out, g_err, g_rc = run_glasskernel([exe, str(int(sig))])
    harness.assert_no_traceback(g_err)
    assert n_rc == 128 + sig
    assert g_rc == 128 + sig, f"status {g_rc}, expected {128 + sig}: {g_err!r}"
    assert g_out == n_out
    assert harness.signal_message(sig).encode() in g_err, g_err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGPIPE, signal.SIGHUP, signal.SIGQUIT,
                                 signal.SIGTERM, signal.SIGKILL, signal.SIGALRM, 40])
def test_signal_death_message_as_bash(build, sig):
    """glasskernel reports a signal death as bash reports a foreground job's: nothing for
    SIGINT and SIGPIPE, the signal's description for the others (bash -c 'prog; :' is
    the oracle; its non-interactive form adds "line 1: PID" and the command)."""
    exe = build("signal_self", "musl")
    bash = subprocess.run(["/bin/bash", "-c", f"{exe} {int(sig)}; :"], capture_output=True,
                          env=dict(harness.TEST_ENV), timeout=60)
    out, err, rc = run_glasskernel([exe, str(int(sig))])
    harness.assert_no_traceback(err)
    assert rc == 128 + sig
    assert out == bash.stdout
    if not bash.stderr:
        assert err == b"", err
    else:
        message = err.decode().strip()
        assert message and len(err.splitlines()) == 1, err
        assert message in bash.stderr.decode(), (err, bash.stderr)


def test_segv_message(build, toolchain):
    exe = build("segv", toolchain)
    out, err, rc = run_glasskernel([exe])
    harness.assert_no_traceback(err)
    assert rc == 139
    assert b"Segmentation fault" in err


def test_python_m_and_console_script_agree(build):
    """``python -m glasskernel`` and the ``glasskernel`` script are the same
    program."""
    script = os.path.join(os.path.dirname(sys.executable), "glasskernel")
    if not os.path.exists(script):
        pytest.skip("glasskernel console script not installed next to python")
    exe = build("exitcode", "musl")
    proc = subprocess.run([script, "run", str(exe), "7"], capture_output=True,
                          env=dict(harness.TEST_ENV), timeout=300)
    harness.assert_no_traceback(proc.stderr)
    assert proc.returncode == 7


# --------------------------------------------------------------------------
# Usage and internal errors: messages, never tracebacks
# --------------------------------------------------------------------------

def run_cli(*args, timeout=120):
    proc = subprocess.run([sys.executable, "-m", "glasskernel", *map(str, args)],
                          capture_output=True, env=dict(harness.TEST_ENV), timeout=timeout,
                          input=b"")
    return proc.stdout, proc.stderr, proc.returncode


@pytest.mark.parametrize("args,command", [
    ([], None),
    (["run"], "run"),
    (["run", "--no-such-option", "/bin/busybox"], "run"),
    (["trace", "--no-such-option", "/bin/busybox"], "trace"),
    (["demo", "--no-such-option"], "demo"),
    (["demo", "--explain"], "demo"),
    (["build-emulator", "extra"], "build-emulator"),
    (["run", "--max-tasks", "x", "/bin/true"], "run"),
    (["run", "--env"], "run"),
    (["no-such-subcommand"], None),
    (["--no-such-option"], None),
], ids=["no-args", "run-no-program", "bad-option", "trace-bad-option", "demo-bad-option",
        "demo-explain-no-step", "build-emulator-extra", "bad-value", "missing-value",
        "bad-subcommand", "bad-top-option"])
def test_usage_errors(args, command):
    """A usage mistake is one line naming where the help is, exit status 2 (as argparse
    and getopt programs), never the whole usage text."""
    out, err, rc = run_cli(*args)
    harness.assert_no_traceback(err)
    assert rc == 2, (rc, err)
    assert out == b""
    lines = err.decode().splitlines()
    hint = f"(see glasskernel {command} --help)" if command else "(see glasskernel --help)"
    assert len(lines) == 1 and lines[0].startswith("glasskernel: "), err
    assert lines[0].endswith(hint), err


def test_help():
    out, err, rc = run_cli("--help")
    harness.assert_no_traceback(err)
    assert rc == 0
    for option in ("run", "trace", "demo", "build-emulator", "--root", "--strace", "--env"):
        assert option in out.decode()


@pytest.mark.parametrize("command,mentions", [
    ("run", ("--root", "--strace", "--env", "--break")),
    ("trace", ("--filter", "-o FILE", "--real-time")),
    ("demo", ("--explain",)),
    ("build-emulator", ("Unicorn",)),
])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_command_help(command, mentions, flag):
    """`glasskernel CMD --help` prints CMD's usage on stdout and exits 0, for every
    command (demo used to run a program named --help)."""
    out, err, rc = run_cli(command, flag)
    harness.assert_no_traceback(err)
    assert (rc, err) == (0, b"")
    text = out.decode()
    assert text.startswith(f"usage: glasskernel {command}")
    for word in mentions:
        assert word in text
    if command == "run":                 # also after other options, before PROGRAM
        assert run_cli("run", "--strace", "--env", "A=1", flag)[:2] == (out, b"")


def test_version():
    """--version prints the package's version (its metadata, i.e. pyproject.toml's)."""
    import tomllib
    from pathlib import Path
    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    for flag in ("--version", "-V"):
        out, err, rc = run_cli(flag)
        assert (rc, err) == (0, b"")
        assert out.decode() == f"glasskernel {pyproject['project']['version']}\n"


def test_root_does_not_exist(build, tmp_path):
    exe = build("hello", "musl")
    out, err, rc = run_cli("run", "--root", tmp_path / "missing-root", exe)
    harness.assert_no_traceback(err)
    assert rc != 0
    # A usage text may accompany it; the error itself is one "glasskernel: " line.
    lines = [line for line in err.decode(errors="replace").splitlines()
             if line.startswith("glasskernel: ")]
    assert len(lines) == 1 and "missing-root" in lines[0], err


def test_strace_file_unwritable(build, tmp_path):
    exe = build("hello", "musl")
    out, err, rc = run_cli("run", f"--strace={tmp_path}/no/such/dir/log", exe)
    harness.assert_no_traceback(err)
    assert rc != 0
    assert err.decode(errors="replace").startswith("glasskernel: ")


def test_bad_syscalls_do_not_crash_the_kernel(build, toolchain):
    """Unknown syscalls and bad pointers: errno values, no traceback, and
    any warning is short."""
    exe = build("weird_syscalls", toolchain)
    out, err, rc = run_glasskernel([exe])
    harness.assert_no_traceback(err)
    assert rc == 0, err
    assert out.endswith(b"still alive\n")
    assert len(err.splitlines()) <= 10, err
