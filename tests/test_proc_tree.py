"""/proc for the process tree, sessions and process groups, and busybox ps.

lc_proc (differential) checks /proc/self and /proc/<child> against
getpid/getppid/getpgrp/getsid and the setsid/setpgid rules.  The ps test
cannot compare with native output (pids and the rest of the host's process
list differ), so it checks the structure of ``ps``'s table: the rows of our
sh, sleep and ps processes, their states and parent/group/session relations.
The same check is first run natively, so it cannot drift from what a real
kernel shows.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import harness
from harness import differential, run_glasskernel, run_native

BUSYBOX = "/bin/busybox"

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("mode", ["stat", "groups"])
def test_proc_stat_and_groups(build, toolchain, mode):
    exe = build("lc_proc", toolchain)
    native, _ = differential([exe, mode])
    assert b": no" not in native[0], native[0].decode()


def parse_ps(out: bytes) -> tuple[list[str], list[dict]]:
    lines = [line for line in out.decode(errors="replace").splitlines()
             if not line.startswith("sh pid ")]
    assert lines, "ps printed nothing"
    header = lines[0].split()
    rows = []
    for line in lines[1:]:
        parts = line.split(None, len(header) - 1)
        if len(parts) == len(header):
            rows.append(dict(zip(header, parts)))
    return header, rows


def check_ps_tree(out: bytes) -> None:
    header, rows = parse_ps(out)
    assert header == ["PID", "PPID", "PGID", "SID", "STAT", "COMMAND"], header
    # The script's shell says its pid first: natively, ps also lists the host's
    # processes, another test's ps and sh among them.
    sh_pid = out.decode().split("\n", 1)[0].removeprefix("sh pid ")
    ps_rows = [r for r in rows if r["COMMAND"] == "ps" and r["PPID"] == sh_pid]
    assert len(ps_rows) == 1, out.decode()
    ps = ps_rows[0]
    sh_rows = [r for r in rows if r["PID"] == ps["PPID"]]
    assert len(sh_rows) == 1, f"ps's parent is not listed:\n{out.decode()}"
    sh = sh_rows[0]
    assert sh["COMMAND"] == "sh", out.decode()
    sleeps = [r for r in rows if r["COMMAND"] == "sleep" and r["PPID"] == sh["PID"]]
    assert len(sleeps) == 1, f"expected one sleep child of sh:\n{out.decode()}"
    sleep = sleeps[0]
    # sh waits for ps (S), the background sleep sleeps (S), ps runs (R).
    assert sh["STAT"] == "S", out.decode()
    assert sleep["STAT"] == "S", out.decode()
    assert ps["STAT"] == "R", out.decode()
    # no job control in sh -c: one process group and session for all three
    assert sleep["PGID"] == sh["PGID"] == ps["PGID"], out.decode()
    assert sleep["SID"] == sh["SID"] == ps["SID"], out.decode()
    pids = {sh["PID"], sleep["PID"], ps["PID"]}
    assert len(pids) == 3


@pytest.fixture
def applets(tmp_path):
    """sh, sleep and ps as symlinks to busybox, so that each process's comm
    (the basename of the file exec'd) names the applet."""
    if not Path(BUSYBOX).exists():
        pytest.skip("needs /bin/busybox")
    d = tmp_path / "bin"
    d.mkdir()
    for name in ("sh", "sleep", "ps"):
        os.symlink(BUSYBOX, d / name)
    return d


def ps_script(d: Path) -> str:
    # ps once the background sleep has exec'd (its comm turns from sh to sleep) and sleeps,
    # and once sh itself sleeps in wait: a subshell waits for that state (builtin loops: no
    # other process shows up in the listing), then execs ps, which is sh's child. (Run as
    # a plain child, ps could find sh between fork and wait, running, on a busy host.)
    until_sleeping = ("until read -r s < /proc/{pid}/stat && "
                      "case $s in *'({comm}) S '*) true;; *) false;; esac; do :; done")
    return (f"echo sh pid $$; {d}/sleep 5 & sl=$!; "
            + until_sleeping.format(pid="$sl", comm="sleep") + "; "
            + "( " + until_sleeping.format(pid="$$", comm="sh")
            + f"; exec {d}/ps -o pid,ppid,pgid,sid,stat,comm ) & wait $!; kill $sl; wait; exit 0")


def test_ps_tree_native_sanity(applets):
    """The structural check holds on the real kernel."""
    out, err, rc = run_native([applets / "sh", "-c", ps_script(applets)])
    assert rc == 0, err
    check_ps_tree(out)


def test_ps_tree(applets):
    out, err, rc = run_glasskernel([applets / "sh", "-c", ps_script(applets)])
    harness.assert_no_traceback(err)
    assert rc == 0, (out, err)
    assert err == b"", err
    check_ps_tree(out)


def test_ps_sees_init_and_only_guest_processes(applets):
    """Under glasskernel the process list is the guest's own (at most init
    and ps itself), nothing of the host."""
    out, err, rc = run_glasskernel([applets / "ps", "-o", "pid,ppid,stat,comm"])
    harness.assert_no_traceback(err)
    assert rc == 0, (out, err)
    header, rows = parse_ps(out)
    ps = [r for r in rows if r["COMMAND"] == "ps"]
    assert len(ps) == 1 and ps[0]["STAT"] == "R", out.decode()
    assert len(rows) <= 3, f"unexpected processes:\n{out.decode()}"
