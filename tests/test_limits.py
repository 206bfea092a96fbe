"""Memory and resource limits as Linux has them (issue 16): the OOM killer, overcommit,
RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_CPU, vm.max_map_count, pipe-buffer accounting and the
guest's own descriptor limits.

The differential tests compare behaviour with the host kernel; the OOM and pipe-hog
tests run with a small ``--mem`` and check the host process's peak RSS (``wait4``'s
ru_maxrss of the glasskernel process) against the guest RAM plus a fixed overhead.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

import harness
from harness import differential, run_glasskernel

MEM = 64 << 20
# What the host process may use beyond the guest's RAM: the interpreter, glasskernel's
# code and the emulator (~35-40 MiB measured, see docs/design.md "Guest RAM, the OOM
# killer"), with room for a busy machine's variations.
HOST_OVERHEAD = 80 << 20


def peak_rss(argv, extra_opts=(), timeout=harness.GLASSKERNEL_TIMEOUT):
    """(stdout, stderr, status, peak RSS in bytes) of one glasskernel run, from wait4."""
    cmd = harness.glasskernel_command(argv, extra_opts)
    out_r, out_w = os.pipe()
    err_path = f"/tmp/gk-limits-{os.getpid()}.err"
    with open(err_path, "wb") as err_file:
        proc = subprocess.Popen(cmd, env=dict(harness.TEST_ENV), stdin=subprocess.DEVNULL,
                                stdout=out_w, stderr=err_file)
        os.close(out_w)
        with os.fdopen(out_r, "rb") as reader:
            out = reader.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    with open(err_path, "rb") as f:
        err = f.read()
    os.unlink(err_path)
    return out, err, harness.exit_status(proc.returncode), usage.ru_maxrss * 1024


# --------------------------------------------------------------------------
# OOM killer
# --------------------------------------------------------------------------

@pytest.mark.timeout(300)
def test_memory_hog_child_is_oom_killed(build):
    """A child touching memory without end dies of SIGKILL with the kernel's OOM line;
    its parent sees WIFSIGNALED/SIGKILL, goes on, and the host process stays bounded."""
    exe = build("mem_hog", "musl")
    out, err, status, rss = peak_rss([exe, "2"], extra_opts=("--mem", "64M"))
    harness.assert_no_traceback(err)
    assert status == 0, err.decode()
    assert out == (b"round 0: child killed by signal 9\n"
                   b"round 1: child killed by signal 9\n"
                   b"parent goes on: ok\n"), err.decode()
    killed = re.findall(rb"Out of memory: Killed process (\d+) \(mem_hog[^)]*\) total-vm:\d+kB, "
                        rb"anon-rss:(\d+)kB, file-rss:\d+kB, shmem-rss:\d+kB, UID:\d+ "
                        rb"pgtables:\d+kB oom_score_adj:0", err)
    assert len(killed) == 2, err.decode()
    assert {int(pid) for pid, _ in killed} == {3, 4}          # the children, not pid 2
    assert all(int(anon) * 1024 > MEM // 2 for _, anon in killed)
    assert b"invoked oom-killer" in err and b"internal error" not in err
    assert rss < MEM + HOST_OVERHEAD, f"host peak RSS {rss >> 20} MiB"


@pytest.mark.timeout(300)
def test_oom_chooses_by_badness(build):
    """The biggest process dies first, whoever is allocating: a parent holding 40 MiB
    is killed (and reaped at once) when its child runs out; the child follows."""
    out, err, status = harness.run_glasskernel([build("mem_hog", "musl"), "1", "big"],
                                               extra_opts=("--mem", "64M"))
    harness.assert_no_traceback(err)
    killed = re.findall(rb"Killed process (\d+) ", err)
    assert killed == [b"2", b"3"], err.decode()
    assert b"oom_reaper: reaped process 2 " in err, err.decode()
    assert status == 128 + 9 and out == b"", (status, out, err.decode())


def host_has_cap(cap: int) -> bool:
    """Whether this (the test's) process has capability ``cap`` in its effective set:
    the guest starts with the same sets."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> cap & 1)
    return False


@pytest.mark.timeout(300)
@pytest.mark.skipif(not host_has_cap(24), reason="lowering oom_score_adj needs CAP_SYS_RESOURCE")
def test_oom_score_adj_protects(build):
    """With oom_score_adj -1000 (written to /proc/self/oom_score_adj; oom_score then
    reads 0) the parent holding 40 MiB is spared and its smaller child is killed."""
    out, err, status = harness.run_glasskernel([build("mem_hog", "musl"), "1", "protect"],
                                               extra_opts=("--mem", "64M"))
    harness.assert_no_traceback(err)
    assert status == 0, err.decode()
    assert out == (b"parent: oom_score 0\n"
                   b"round 0: child killed by signal 9\n"
                   b"parent goes on: ok\n"), err.decode()
    assert re.findall(rb"Killed process (\d+) ", err) == [b"3"], err.decode()


# --------------------------------------------------------------------------
# RLIMIT_AS, overcommit and vm.max_map_count (differential)
# --------------------------------------------------------------------------

def test_rlimit_as_and_overcommit(build, toolchain):
    """mmap/brk/mremap/malloc under RLIMIT_AS, and requests larger than RAM (ENOMEM
    under the heuristic overcommit, fine with MAP_NORESERVE or read-only)."""
    differential([build("rlimit_as", toolchain)])


@pytest.mark.timeout(600)
def test_max_map_count(build, toolchain):
    """mmap fails with ENOMEM past vm.max_map_count, and so do munmap and mprotect
    splits; unmapping some makes room again. /proc/sys/vm/max_map_count reads 65530."""
    differential([build("map_count", toolchain)])


# --------------------------------------------------------------------------
# RLIMIT_FSIZE (differential)
# --------------------------------------------------------------------------

def test_rlimit_fsize(build, toolchain):
    """write/pwrite/writev cut at the limit, then EFBIG and SIGXFSZ; truncate and
    ftruncate past it too; pipes unlimited; SIGXFSZ's default action kills."""
    differential([build("rlimit_fsize", toolchain)])


# --------------------------------------------------------------------------
# RLIMIT_CPU (differential; CPU seconds are real on both sides, so one toolchain)
# --------------------------------------------------------------------------

@pytest.mark.timeout(400)
def test_rlimit_cpu(build):
    """SIGXCPU at the soft limit and every second after (the soft limit moving up),
    SIGKILL at the hard limit, SIGXCPU's default action, and a limit inherited across
    fork. Behaviour is compared, not timings."""
    differential([build("rlimit_cpu", "musl")], native_timeout=120, timeout=180)


# --------------------------------------------------------------------------
# Pipes: per-user limits (differential) and a pipe hog (bounded host memory)
# --------------------------------------------------------------------------

def test_pipe_user_pages_soft(build, toolchain):
    """An unprivileged user's pipes past fs.pipe-user-pages-soft get 2 pages, and
    F_SETPIPE_SZ may not grow them (EPERM), nor past pipe-max-size; /proc/sys/fs shows
    the limits."""
    differential([build("pipe_limits", toolchain)])


@pytest.mark.timeout(300)
def test_pipe_hog_is_bounded(build):
    """Eight processes filling pipes at once get ENOMEM (a write) or ENFILE (pipe())
    when the guest's RAM is used up, nobody is OOM-killed, memory comes back when they
    exit, and the host process stays within the guest RAM plus the fixed overhead."""
    exe = build("pipe_hog", "musl")
    out, err, status, rss = peak_rss([exe], extra_opts=("--mem", "64M"))
    harness.assert_no_traceback(err)
    assert status == 0, err.decode()
    lines = out.decode().splitlines()
    assert lines[0] == "all 8 children hold their pipes", out
    stops = [line.rsplit(" ", 1)[1] for line in lines[1:9]]
    assert set(stops) <= {"ENOMEM", "ENFILE"}, out
    assert lines[9] == "a new pipe takes 65536 bytes", out
    assert b"Out of memory" not in err and b"internal error" not in err, err.decode()
    assert rss < MEM + HOST_OVERHEAD, f"host peak RSS {rss >> 20} MiB"


# --------------------------------------------------------------------------
# Descriptors: each guest process has its own table and RLIMIT_NOFILE
# --------------------------------------------------------------------------

def _with_soft_nofile(argv, soft: int) -> list:
    """argv run by the host's sh with a lowered soft RLIMIT_NOFILE (glasskernel's own,
    under glasskernel: the table every guest file's host descriptor lives in)."""
    return ["/bin/sh", "-c", f'ulimit -Sn {soft} && exec "$@"', "sh", *map(str, argv)]


def test_nofile_is_per_process(build, toolchain):
    """One child holding 900 files does not use up another's RLIMIT_NOFILE, even when
    glasskernel was started with a soft limit of 1024 host descriptors: it raises its
    own to the hard limit, and the second child gets EMFILE exactly at its limit."""
    exe = build("nofile", toolchain)
    native = harness.run_native(_with_soft_nofile([exe], 1024))
    proc = subprocess.run(_with_soft_nofile(harness.glasskernel_command([exe]), 1024),
                          env=dict(harness.TEST_ENV), stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=harness.GLASSKERNEL_TIMEOUT)
    guest = (proc.stdout, proc.stderr, proc.returncode)
    harness.assert_no_traceback(guest[1])
    harness.compare(native, guest, label="nofile")
    assert b"B opened 995 files" in native[0], native[0]


@pytest.mark.timeout(300)
def test_oom_kills_a_threaded_hog_only(build, toolchain):
    """A process whose three threads all allocate is killed as a whole, once; its
    remaining threads' allocations do not get anyone else killed."""
    out, err, status = harness.run_glasskernel([build("thread_hog", toolchain)],
                                               extra_opts=("--mem", "64M"))
    harness.assert_no_traceback(err)
    assert status == 0, err.decode()
    assert out == b"child killed by signal 9\nparent goes on\n", err.decode()
    assert len(re.findall(rb"Out of memory: Killed process", err)) == 1, err.decode()


def test_rlimit_as_bounds_stack_growth(build, toolchain):
    """A stack growing under a large RLIMIT_STACK still stops at RLIMIT_AS (SIGSEGV)."""
    differential([build("rlimit_as_stack", toolchain)])


def test_mlock_and_vmlck(build, toolchain):
    """mlock, mlock2, munlock, mlockall, MAP_LOCKED: VmLck, the flag checks, fork, and
    RLIMIT_MEMLOCK for a task without CAP_IPC_LOCK, as the host kernel gives them."""
    exe = build("mlock_calls", toolchain)
    native, _ = differential([exe])
    assert b"mmap MAP_LOCKED 1 MiB: 0 (ok) VmLck 1024 kB" in native[0]


def test_fork_commits_private_areas(build, toolchain):
    """A private writable area larger than RAM (two merged mappings) fails fork with
    ENOMEM; MAP_NORESERVE ones commit nothing (LTP fork14)."""
    exe = build("fork_commit", toolchain)
    native, _ = differential([exe])
    assert native[0].startswith(b"committed: maps ok\ncommitted: fork -1 ")
    assert native[0].endswith(b"noreserve: maps ok\nnoreserve: fork ok\n")


def test_max_map_count_is_writable(build, toolchain):
    """vm.max_map_count takes a write and bounds the mappings (LTP munmap04 restores it).
    Under glasskernel only: natively the write would change the host's limit."""
    out, err, rc = run_glasskernel([build("vm_sysctl", toolchain)])
    harness.assert_no_traceback(err)
    assert rc == 0, err
    assert out.startswith(b"write -1: -1 Invalid argument\nwrite 200: 3\nmapped until ENOMEM: 1 ")
