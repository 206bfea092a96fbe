"""Process lifecycle: fork, exit, the wait family, reparenting, zombies,
vfork, and running out of processes.

Every test runs one of our C programs (tests/programs/lc_*.c, built with musl
and glibc) natively and under glasskernel and compares stdout, stderr and exit
status (harness.differential).  The programs print relations ("child getpid
== fork return in parent: yes"), never raw pids, so native and emulated output
are equal when the semantics are.

Linux 6.1 is the specification, the host kernel the oracle; nothing here
differs between 6.1 and the host's 6.18.

Assumption about glasskernel beyond the differential ones:
  * ``glasskernel run --max-tasks N`` caps the number of live tasks (default
    4096); fork/clone past the cap fail with EAGAIN (test_global_task_cap).
"""

from __future__ import annotations

import os

import pytest

import harness
from harness import differential, run_glasskernel

pytestmark = pytest.mark.timeout(300)


def lines(out: bytes) -> list[str]:
    return out.decode(errors="replace").splitlines()


# --------------------------------------------------------------------------
# fork / exit / wait
# --------------------------------------------------------------------------

def test_fork_returns_twice(build, toolchain):
    exe = build("lc_fork", toolchain)
    native, _ = differential([exe, "twice"])
    assert b"child getpid == fork return in parent: yes" in native[0]
    assert b": no" not in native[0]


def test_tree_of_100_processes(build, toolchain):
    """Root, 9 children, 90 grandchildren; every parent reaps its children
    and the exit codes add up."""
    exe = build("lc_fork", toolchain)
    native, _ = differential([exe, "tree"])
    assert b"processes in tree: 100\n" in native[0]


def test_orphan_is_reparented(build, toolchain):
    """getppid() of a process whose parent died names a reaper (glasskernel's
    init, natively init or a subreaper), not the dead parent."""
    exe = build("lc_fork", toolchain)
    native, _ = differential([exe, "orphan"])
    assert b"getppid changed after parent death: yes" in native[0]
    assert b": no" not in native[0]


def test_zombie_state_in_proc(build, toolchain):
    """/proc/<pid>/stat's third field: S while the child blocks, Z after it
    exits until it is reaped (also across a waitid WNOWAIT peek), then the
    entry is gone."""
    exe = build("lc_fork", toolchain)
    native, _ = differential([exe, "zombie"])
    assert b"exited child state: Z" in native[0]


def test_exit_codes_0_to_255(build, toolchain):
    """WIFEXITED/WEXITSTATUS for each of the 256 exit codes, and truncation
    of out-of-range _exit() values to 8 bits."""
    exe = build("lc_fork", toolchain)
    native, _ = differential([exe, "codes"])
    assert b"good: 256, bad: 0" in native[0]


def test_death_by_signal_status(build, toolchain):
    """Wait status of children killed by SIGKILL, SIGTERM, SIGSEGV, SIGABRT,
    SIGINT, SIGUSR1.  RLIMIT_CORE is 0 and the children are non-dumpable, so
    WCOREDUMP is 0 on every host (printed as-is)."""
    exe = build("lc_fork", toolchain)
    native, _ = differential([exe, "signals"])
    assert b"signal 11: waited yes, WIFEXITED 0, WIFSIGNALED 1, WTERMSIG 11" in native[0]


def test_wnohang(build, toolchain):
    exe = build("lc_fork", toolchain)
    native, _ = differential([exe, "wnohang"])
    assert b"WNOHANG on live child returns 0: yes" in native[0]


def test_echild(build, toolchain):
    exe = build("lc_fork", toolchain)
    native, _ = differential([exe, "echild"])
    assert b"wait: -1 ECHILD" in native[0]


def test_waitpid_pid_zero_and_pgid(build, toolchain):
    """waitpid for a specific pid, for 0 (own process group) and -pgid, and
    waitid(P_PGID)."""
    exe = build("lc_fork", toolchain)
    differential([exe, "pgrp"])


def test_waitid_siginfo_and_wnowait(build, toolchain):
    """waitid: si_signo/si_code (CLD_EXITED, CLD_KILLED)/si_status/si_pid/
    si_uid; WNOWAIT leaves the zombie to be waited for again."""
    exe = build("lc_fork", toolchain)
    native, _ = differential([exe, "waitid"])
    assert b"exit 5 WNOWAIT: ret 0, si_signo SIGCHLD, si_code CLD_EXITED, si_status 5" in native[0]


def test_wait4_rusage(build, toolchain):
    exe = build("lc_fork", toolchain)
    native, _ = differential([exe, "rusage"])
    assert b"rusage non-negative: yes" in native[0]


# --------------------------------------------------------------------------
# vfork
# --------------------------------------------------------------------------

def test_vfork_shares_memory_and_suspends_parent(build, toolchain):
    """The child writes, sleeps 50 ms, writes again and _exits; the parent
    must see the second write the moment vfork returns."""
    exe = build("lc_vfork", toolchain)
    native, _ = differential([exe, "shared"])
    assert b"(shared mm, suspended): yes" in native[0]


def test_vfork_then_execve(build, toolchain):
    exe = build("lc_vfork", toolchain)
    probe = build("lc_probe", toolchain)
    native, _ = differential([exe, "exec", probe, "from vfork", "exit=4"])
    assert b"probe: argv[1]=[from vfork]" in native[0]
    assert b"waited the exec'd child: yes, status 4" in native[0]


def test_vfork_exec_failure(build, toolchain):
    exe = build("lc_vfork", toolchain)
    native, _ = differential([exe, "execfail"])
    assert b"errno ENOENT, status 127" in native[0]


# --------------------------------------------------------------------------
# Running out of processes
# --------------------------------------------------------------------------

def test_fork_bomb_rlimit_nproc(build, toolchain):
    """RLIMIT_NPROC 50 (as nobody: root is exempt): fork fails with EAGAIN,
    the children are released and reaped, and the run ends cleanly."""
    if os.getuid() != 0:
        # Natively a non-root user's other processes count against the limit.
        pytest.skip("needs root to switch to a user with no other processes")
    exe = build("lc_forkbomb", toolchain)
    native, _ = differential([exe, "nproc"])
    assert b"fork failed with EAGAIN: yes" in native[0]
    assert b"at most 50 processes: yes" in native[0]
    assert b": no" not in native[0]


def test_global_task_cap(build, toolchain):
    """glasskernel only (natively this would be a real fork bomb): with
    ``--max-tasks 100`` fork fails with EAGAIN before 100 tasks exist, and
    everything is cleaned up."""
    exe = build("lc_forkbomb", toolchain)
    out, err, rc = run_glasskernel([exe, "cap", "100"], extra_opts=["--max-tasks", "100"])
    harness.assert_no_traceback(err)
    assert rc == 0, (rc, out, err)
    assert lines(out) == [
        "fork failed with EAGAIN: yes",
        "at most 100 processes: yes",
        "at least 50 children: yes",
        "all children reaped: yes",
        "no children left: yes",
        "fork works again: yes",
    ], out
