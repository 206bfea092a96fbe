"""File-system notification (fs/notify/): inotify(7) and dnotify (fcntl F_NOTIFY),
differential against the host kernel in a scratch directory, and a real program that
follows a file through inotify (coreutils' ``tail -f``)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from harness import TEST_ENV, differential, run_glasskernel


@pytest.mark.parametrize("name", ["notify_inotify", "notify_dnotify", "notify_unlinked", "notify_copy"])
def test_notify_programs(build, toolchain, tmp_path, name):
    exe = build(name, toolchain)
    native, _ = differential([exe], cwd=tmp_path)
    assert native[2] == 0
    assert not list(tmp_path.iterdir())        # the program cleans up after itself


# tail -f follows f while another guest process appends to it; each step waits for a
# state (the line showing up in tail's output), never for a fixed time.
_TAIL_SCRIPT = r"""
cd /dev/shm && rm -f f out && echo first > f
tail -f f > out &
pid=$!
wait_for() { n=0; until grep -q "$1" out 2>/dev/null; do
    n=$((n+1)); [ $n -gt 20000 ] && { echo "timeout waiting for $1"; kill $pid; exit 1; }; done; }
wait_for first
echo second >> f
wait_for second
echo third >> f
wait_for third
kill $pid; wait $pid 2>/dev/null
cat out
ls -l /proc/$$/fd >/dev/null
"""


def test_tail_follow():
    """tail -f (dynamic coreutils) uses inotify under glasskernel: lines appended by
    another process show up."""
    out = run_glasskernel(["/bin/bash", "-c", _TAIL_SCRIPT], timeout=300)
    assert out[0].decode() == "first\nsecond\nthird\n", out
    assert out[2] == 0


_TAIL_USES_INOTIFY = r"""
cd /dev/shm && echo a > g
tail -f g > /dev/null &
pid=$!
n=0
until ls -l /proc/$pid/fd 2>/dev/null | grep -q 'anon_inode:inotify'; do
    n=$((n+1)); [ $n -gt 20000 ] && { echo "no inotify descriptor"; kill $pid; exit 1; }
done
grep -c '^inotify wd:' /proc/$pid/fdinfo/* 2>/dev/null | grep -v ':0$' | wc -l
kill $pid; wait $pid 2>/dev/null
exit 0
"""


def test_tail_uses_inotify():
    """The descriptor tail follows with is "anon_inode:inotify", and its fdinfo lists a
    watch (so tail did not fall back to polling)."""
    out = run_glasskernel(["/bin/bash", "-c", _TAIL_USES_INOTIFY], timeout=300)
    assert out[0].decode().strip() == "1", out


def test_inotify_limits(build, tmp_path):
    """/proc/sys/fs/inotify's limits bind: 2 instances, 1 watch, 3 queued events."""
    exe = build("notify_limits", "musl")
    script = ("cd /tmp && for f in max_user_instances:2 max_user_watches:1 "
              "max_queued_events:3; do echo ${f#*:} > /proc/sys/fs/inotify/${f%:*}; done && "
              f"exec {exe}")
    out = run_glasskernel(["/bin/bash", "-c", script], timeout=300)
    assert out[0].decode() == (
        "instances: 1 1 -1 EMFILE\n"
        "watches: 1 -1 ENOSPC\n"
        "event wd 1 mask 0x40000004\n"     # ATTRIB|ISDIR
        "event wd 1 mask 0x40000100\n"     # CREATE|ISDIR
        "event wd 1 mask 0x40000004\n"
        "event wd -1 mask 0x4000\n"), out  # then one overflow stands for the rest


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
@pytest.mark.parametrize("name", ["notify_inotify", "notify_dnotify"])
def test_strace_decodes_notify(build, tmp_path, name):
    """--strace prints inotify's calls and F_NOTIFY's argument as strace does."""
    exe = build(name, "musl")
    native_dir, guest_dir = tmp_path / "native", tmp_path / "guest"
    native_dir.mkdir()
    guest_dir.mkdir()
    native_log, guest_log = tmp_path / "native.strace", tmp_path / "guest.strace"
    proc = subprocess.run(["strace", "-o", str(native_log), str(exe)], cwd=native_dir,
                          env=dict(TEST_ENV), capture_output=True, input=b"", timeout=60)
    if proc.returncode and b"ptrace" in proc.stderr:
        pytest.skip("strace cannot trace here")
    run_glasskernel([exe], extra_opts=[f"--strace={guest_log}"], cwd=guest_dir)

    def lines(path):
        out = []
        for line in path.read_text(errors="replace").splitlines():
            line = re.sub(r"^(\[pid\s+\d+\]\s+|\d+\s+)", "", line)
            if line.startswith("inotify_") or "F_NOTIFY" in line:
                out.append(re.sub(r"\s+", " ", line))
        return out
    native, guest = lines(native_log), lines(guest_log)
    assert native and guest == native
