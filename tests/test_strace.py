"""Acceptance 4: ``glasskernel run --strace=FILE`` writes a log in strace's
format that matches real ``strace -o FILE`` line for line, after
normalising what legitimately differs between two runs.

Normalisation (applied to both logs, see ``normalise``):
  * a leading pid ("1234  " from strace -f, or "[pid 1234] ") is removed;
  * the padding strace inserts before " = " is collapsed;
  * every hex number becomes ADDR (pointers, brk/mmap results, makedev);
  * the execve line's "/* N vars */" becomes "/* N vars */";
  * the value returned by set_tid_address/getpid/gettid (a pid) becomes PID;
  * getrandom's buffer contents become "...";
  * prlimit64's rlim_cur/rlim_max become N: natively they are inherited from
    whoever started the test, glasskernel reports its own defaults;
  * rseq lines are dropped: glasskernel's kernel is built without rseq
    (ENOSYS), while the host kernel registers glibc's rseq area (= 0).
Nothing else is dropped: a syscall glasskernel answers with a different
errno or a different order of calls is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

import harness
from harness import run_glasskernel

pytestmark = pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")

_strace_ok: list[bool] = []


def strace_works() -> bool:
    """strace needs ptrace, which some containers forbid."""
    if not _strace_ok:
        proc = subprocess.run(["strace", "-o", "/dev/null", "/bin/true"], capture_output=True)
        _strace_ok.append(proc.returncode == 0)
    return _strace_ok[0]


def normalise(log: str) -> list[str]:
    lines = []
    for line in log.splitlines():
        line = re.sub(r"^\[pid\s+\d+\]\s+", "", line)
        line = re.sub(r"^\d+\s+", "", line)
        if not line.strip():
            continue
        if re.match(r"rseq\(", line):
            continue
        line = re.sub(r"\s+= ", " = ", line)
        line = re.sub(r"0x[0-9a-fA-F]+", "ADDR", line)
        line = re.sub(r"/\* \d+ vars \*/", "/* N vars */", line)
        line = re.sub(r"^\[ Process PID=\d+ ", "[ Process PID=N ", line)
        line = re.sub(r"^((?:set_tid_address|getpid|gettid|getppid)\(.*\)) = \d+$", r"\1 = PID", line)
        line = re.sub(r'^getrandom\("(?:[^"\\]|\\.)*"(\.\.\.)?', 'getrandom("..."', line)
        line = re.sub(r"rlim_cur=[^,}]+", "rlim_cur=N", line)
        line = re.sub(r"rlim_max=[^,}]+", "rlim_max=N", line)
        lines.append(line.rstrip())
    return lines


def real_strace(argv, out_file):
    """Run ARGV under real strace (no -f) writing its log to OUT_FILE."""
    proc = subprocess.run(["strace", "-o", str(out_file), *map(str, argv)],
                          env=dict(harness.TEST_ENV), capture_output=True, input=b"",
                          timeout=60)
    return proc.stdout, proc.stderr, harness.exit_status(proc.returncode)


def compare_traces(argv, tmp_path):
    if not strace_works():
        pytest.skip("strace cannot trace here (ptrace not permitted)")
    native_log = tmp_path / "native.strace"
    guest_log = tmp_path / "guest.strace"
    n_out, _, n_rc = real_strace(argv, native_log)
    g_out, g_err, g_rc = run_glasskernel(argv, extra_opts=[f"--strace={guest_log}"])
    harness.assert_no_traceback(g_err)
    assert (g_out, g_rc) == (n_out, n_rc), f"program output differs: {g_err!r}"
    assert guest_log.exists(), "--strace=FILE did not create FILE"
    native = normalise(native_log.read_text(errors="replace"))
    guest = normalise(guest_log.read_text(errors="replace"))
    assert guest == native, "strace logs differ after normalisation:\n" + \
        harness.diff_text("\n".join(native).encode() + b"\n",
                          "\n".join(guest).encode() + b"\n", "strace", limit=80)
    return guest


def test_strace_hello(build, toolchain, tmp_path):
    exe = build("hello", toolchain)
    lines = compare_traces([exe], tmp_path)
    # strace abbreviates strings to 32 characters: only the path is whole.
    assert lines[0].startswith(f'execve("{exe}", [')
    assert lines[-2] == "exit_group(0) = ?"
    assert lines[-1] == "+++ exited with 0 +++"


def test_strace_exit_code(build, toolchain, tmp_path):
    exe = build("exitcode", toolchain)
    lines = compare_traces([exe, "42"], tmp_path)
    assert lines[-1] == "+++ exited with 42 +++"


def test_strace_errno(build, toolchain, tmp_path):
    """Failing calls print as "= -1 ENOENT (No such file or directory)"."""
    exe = build("tls_errno", toolchain)
    lines = compare_traces([exe], tmp_path)
    assert any("= -1 ENOENT (No such file or directory)" in line for line in lines)


def test_strace_to_stderr(build, tmp_path):
    """``--strace`` without a file traces to stderr; stdout is untouched."""
    exe = build("hello", "glibc")
    out, err, rc = run_glasskernel([exe], extra_opts=["--strace"])
    harness.assert_no_traceback(err)
    assert (out, rc) == (b"hello, world\n", 0)
    text = err.decode(errors="replace")
    assert re.search(r'write\(1, "hello, world\\n", 13\)\s+= 13', text), text
    assert "+++ exited with 0 +++" in text


def test_strace_memfd_msync(build, tmp_path):
    """memfd_create's name and MFD_ flags, msync's MS_ flags, as strace prints them."""
    exe = build("strace_memfd", "musl")
    lines = compare_traces([exe], tmp_path)
    assert 'memfd_create("gk", MFD_CLOEXEC) = 3' in lines


def test_strace_namespaces(build, tmp_path):
    """unshare/setns flags by name, sethostname's name (its address when too long)."""
    if os.geteuid() != 0:
        pytest.skip("unshare(CLONE_NEWUTS) natively needs CAP_SYS_ADMIN")
    exe = build("strace_ns", "musl")
    lines = compare_traces([exe], tmp_path)
    assert "unshare(CLONE_NEWUTS|CLONE_NEWIPC) = 0" in lines
    assert 'sethostname("strace-ns", 9) = 0' in lines
    assert "setns(-1, CLONE_NEWNET) = -1 EBADF (Bad file descriptor)" in lines


def test_strace_of_an_i386_program(build, tmp_path):
    """A 32-bit process's log as strace -o writes it: the i386 names (brk,
    set_thread_area with its user_desc, ugetrlimit, statx) and the same arguments."""
    lines = compare_traces([build("hello", "m32")], tmp_path)
    assert any(line.startswith("set_thread_area({entry_number=-1, ") for line in lines)
