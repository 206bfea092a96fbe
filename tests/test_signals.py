"""Signal delivery against the native kernel: faults reaching handlers (si_code, si_addr,
siglongjmp, a handler that fixes the page and returns), the alternate signal stack,
nested handlers and masks, real-time queueing and sigtimedwait, SIGCHLD's siginfo and
automatic reaping, interval timers and alarm, syscall restarts, SIGPIPE, and which thread
of a process takes a signal.

Each program prints only what is the same on every run (no pids, addresses or times),
so its whole output, stderr and exit status must match the native run. The strace tests
check that the `--- SIGX {...} ---` lines of delivered signals match real strace.
"""
import re
import shutil
import signal

import pytest

import harness
from harness import differential, run_glasskernel, run_native

PROGRAMS = ["sig_fault", "sig_altstack", "sig_nested", "sig_rt", "sig_chld", "sig_timer",
            "sig_restart", "sig_pipe", "sig_thread"]


@pytest.mark.parametrize("name", PROGRAMS)
def test_signal_program(build, toolchain, name):
    exe = build(name, toolchain)
    native, _ = differential([exe])
    assert native[2] == 0 and native[0], f"{name} did not run natively: {native[1]!r}"


def test_fault_siginfo(build, toolchain):
    """The fault lines themselves, as the native kernel reports them."""
    native, _ = differential([build("sig_fault", toolchain)])
    out = native[0].decode()
    assert "store to 0x10: sig=11 code=1 addr_ok=1 trapno=14" in out
    assert "store to read-only page: sig=11 code=2 addr_ok=1 trapno=14\n  faults=1 value=42" in out
    assert "divide by zero: sig=8 code=1 addr_ok=1" in out
    assert "ud2: sig=4 code=2 addr_ok=1 trapno=6" in out
    assert "blocked SIGSEGV: killed by signal 11" in out


def test_sigpipe_kills_with_status_141(build, toolchain):
    """Default SIGPIPE: death by signal 13, which a shell reports as status 141."""
    exe = build("sig_pipe", toolchain)
    n_out, _n_err, n_rc = run_native([exe, "die"])
    g_out, g_err, g_rc = run_glasskernel([exe, "die"])
    harness.assert_no_traceback(g_err)
    assert n_rc == 128 + signal.SIGPIPE == 141
    assert (g_out, g_rc) == (n_out, n_rc), g_err.decode(errors="replace")
    assert b"survived" not in g_out


# ----- strace ---------------------------------------------------------------------------------

needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")


def _strace_lines(argv, tmp_path):
    """(native, guest) normalised strace logs of argv; si_pid values become PID too."""
    from test_strace import normalise, real_strace, strace_works
    if not strace_works():
        pytest.skip("strace cannot trace here (ptrace not permitted)")
    native_log, guest_log = tmp_path / "native.strace", tmp_path / "guest.strace"
    n_out, _, n_rc = real_strace(argv, native_log)
    g_out, g_err, g_rc = run_glasskernel(argv, extra_opts=[f"--strace={guest_log}"])
    harness.assert_no_traceback(g_err)
    assert (g_out, g_rc) == (n_out, n_rc), g_err.decode(errors="replace")

    def lines(path):
        return [re.sub(r"si_pid=\d+", "si_pid=PID", line)
                for line in normalise(path.read_text(errors="replace"))]
    return lines(native_log), lines(guest_log)


@needs_strace
def test_strace_fault_handled(build, toolchain, tmp_path):
    """A SIGSEGV caught and left with siglongjmp: the signal line, then the mask restore."""
    native, guest = _strace_lines([build("sig_fault", toolchain), "strace"], tmp_path)
    assert guest == native, harness.diff_text("\n".join(native).encode(), "\n".join(guest).encode(), "strace")
    assert "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=ADDR} ---" in guest


@needs_strace
def test_strace_fault_kills(build, toolchain, tmp_path):
    native, guest = _strace_lines([build("segv", toolchain)], tmp_path)
    assert guest == native, harness.diff_text("\n".join(native).encode(), "\n".join(guest).encode(), "strace")
    assert guest[-2:] == ["--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---",
                          "+++ killed by SIGSEGV +++"]


@needs_strace
def test_strace_sigpipe(build, toolchain, tmp_path):
    native, guest = _strace_lines([build("sig_pipe", toolchain), "die"], tmp_path)
    assert guest == native, harness.diff_text("\n".join(native).encode(), "\n".join(guest).encode(), "strace")
    assert guest[-2] == "--- SIGPIPE {si_signo=SIGPIPE, si_code=SI_USER, si_pid=PID, si_uid=0} ---"
