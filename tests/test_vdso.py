"""The vDSO (issue 17): glasskernel maps its own vDSO image ([vdso], built from
glasskernel/arch/x86/entry/vdso/vclock_gettime.c) and the kernel-kept data page ([vvar])
into every program, and points AT_SYSINFO_EHDR at it. Static glibc and musl programs then
read the clocks in user mode: no syscall, the same values the syscalls give, and the
virtual clock's values in a --deterministic run.

Programs: tests/programs/vdso_*.c, run natively (the host's vDSO is the oracle) and under
glasskernel, with both libcs.
"""
from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import harness
from harness import REPO_ROOT, build, compiler_available, differential, run_glasskernel, run_native

TOOLCHAINS = [pytest.param(t, marks=pytest.mark.skipif(not compiler_available(t), reason=f"no {t}"))
              for t in ("musl", "glibc")]
VDSO_DIR = REPO_ROOT / "glasskernel" / "arch" / "x86" / "entry" / "vdso"
# A syscall the libc would make for a clock call, as strace names it.
_CLOCK_SYSCALL = re.compile(r"^(?:\[pid\s+\d+\]\s+)?(clock_gettime|clock_getres|gettimeofday|time)\(",
                            re.MULTILINE)


def _strace_log(tmp_path: Path, argv, extra=()) -> tuple:
    log = tmp_path / "strace.log"
    out, err, rc = run_glasskernel(argv, extra_opts=(f"--strace={log}", *extra))
    harness.assert_no_traceback(err)
    return out, err, rc, log.read_text()


@pytest.mark.parametrize("toolchain", TOOLCHAINS)
def test_million_clock_gettime_calls_make_no_syscall(toolchain, tmp_path):
    """Acceptance 3: a million clock_gettime calls, none of them a syscall; the clock
    moves and never goes backwards, as natively."""
    exe = build("vdso_loop", toolchain)
    native = run_native([exe, "1000000"])
    out, err, rc, log = _strace_log(tmp_path, [exe, "1000000"])
    assert (out, rc) == (native[0], native[2]) == (b"calls 1000000 backwards 0 moved yes\n", 0), err
    assert "exit_group(0)" in log                  # the log is complete
    assert _CLOCK_SYSCALL.findall(log) == [], "clock calls entered the kernel:\n" + log[-3000:]


def test_no_shim_rdtsc_hook_also_serves_the_vdso(tmp_path):
    """Without the C shim the rdtsc hook runs through ctypes: same answers, no syscall."""
    exe = build("vdso_loop", "musl")
    log = tmp_path / "strace.log"
    env = dict(harness.TEST_ENV, GLASSKERNEL_NO_SHIM="1")
    out, err, rc = run_glasskernel([exe, "20000"], extra_opts=(f"--strace={log}",), env=env)
    harness.assert_no_traceback(err)
    assert (out, rc) == (b"calls 20000 backwards 0 moved yes\n", 0), err
    assert _CLOCK_SYSCALL.findall(log.read_text()) == []


def test_deterministic_runs_read_the_same_times(tmp_path):
    """Acceptance 3: in --deterministic runs the vDSO reads the virtual clock, so two runs
    print the same times; they still move (each read is one virtual microsecond on)."""
    exe = build("vdso_loop", "glibc" if compiler_available("glibc") else "musl")
    runs = []
    for i in range(2):
        out, err, rc, log = _strace_log(tmp_path, [exe, "1000", "values"], ("--deterministic",))
        assert rc == 0, err
        assert _CLOCK_SYSCALL.findall(log) == []
        runs.append(out)
    assert runs[0] == runs[1]
    values = dict(line.split(" ", 1) for line in runs[0].decode().splitlines()[1:])
    first, last = (int(values[k].replace(".", "")) for k in ("first", "last"))
    assert last - first >= 1000 * 1000            # a thousand reads, a microsecond each
    assert values["realtime"].startswith("1767225600.")   # the virtual epoch, 2026-01-01


@pytest.mark.parametrize("toolchain", TOOLCHAINS)
@pytest.mark.parametrize("program", ["vdso_elf", "vdso_clocks", "vdso_remap"])
def test_vdso_programs_match_native(program, toolchain):
    """getauxval(AT_SYSINFO_EHDR) is a valid ELF whose symbols resolve (vdso_elf), every
    clock id gives the syscall's result and errno and the clocks stay ordered across
    fork and sleeps (vdso_clocks), and [vdso]/[vvar] move and unmap as Linux's do
    (vdso_remap): all differential against the host."""
    differential([build(program, toolchain)])


def test_maps_names_vvar_and_vdso_where_linux_puts_them():
    """A static program: [vvar] (4 pages) and [vdso] just below mmap_base, as under
    `setarch -R` on Linux 6.1 (whose [vdso] is 2 pages; ours is one)."""
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("no busybox")
    out, err, rc = run_glasskernel([busybox, "cat", "/proc/self/maps"])
    lines = [line.split() for line in out.decode().splitlines() if line.endswith(("[vvar]", "[vdso]"))]
    assert [(line[0], line[1], line[-1]) for line in lines] == [
        ("7ffff7ffa000-7ffff7ffe000", "r--p", "[vvar]"),
        ("7ffff7ffe000-7ffff7fff000", "r-xp", "[vdso]")], out + err


def test_vdso_image_rebuilds_from_source(tmp_path):
    """scripts/build-vdso.sh turns the shipped sources into the shipped vdso64.so."""
    if shutil.which("gcc") is None or shutil.which("objcopy") is None:
        pytest.skip("no gcc/binutils")
    out = tmp_path / "vdso64.so"
    subprocess.run([REPO_ROOT / "scripts" / "build-vdso.sh", out], check=True, capture_output=True)
    assert out.read_bytes() == (VDSO_DIR / "vdso64.so").read_bytes(), \
        "vdso64.so is stale: run scripts/build-vdso.sh and commit the result"


def test_vvar_layout_matches_the_c_header(tmp_path):
    """time_vsyscall.py writes struct vdso_data exactly where vvar.h says the vDSO reads it."""
    if shutil.which("gcc") is None:
        pytest.skip("no gcc")
    from glasskernel.kernel import time_vsyscall as tv
    src = tmp_path / "layout.c"
    src.write_text('#include <stddef.h>\n#include <stdio.h>\n#include "vvar.h"\n'
                   'int main(void) { printf("%zu %zu %zu %d %d\\n", sizeof(struct vdso_data),'
                   ' offsetof(struct vdso_data, tz_minuteswest), offsetof(struct vdso_data, tick_base),'
                   ' VVAR_DATA_OFFSET, VVAR_PAGES); return 0; }\n')
    exe = tmp_path / "layout"
    subprocess.run(["gcc", "-I", VDSO_DIR, "-o", exe, src], check=True)
    size, tz_off, tick_off, data_off, pages = map(int, subprocess.run(
        [exe], check=True, capture_output=True, text=True).stdout.split())
    fmt = tv.VDSO_DATA.format
    assert size == tv.VDSO_DATA.size
    assert tz_off == struct.calcsize(fmt[:fmt.index("ii")])
    assert tick_off == tv.VDSO_DATA.size - 8
    assert (data_off, pages) == (tv.VVAR_DATA_OFFSET, tv.VVAR_PAGES)


def test_trace_shows_the_vdso_and_its_user_mode_clock_reads(tmp_path):
    """The function graph shows map_vdso inside load_elf_binary and, at exit, how many
    clock reads the task made in user mode through the vDSO; no clock syscall appears."""
    exe = build("vdso_loop", "musl")
    out = tmp_path / "vdso.trace"
    base = harness.glasskernel_command([])[:-1]          # `python -m glasskernel`, no "run"
    proc = subprocess.run(base + ["trace", "--deterministic", "-o", str(out), str(exe), "1000"],
                          env=harness.TEST_ENV, capture_output=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    trace = out.read_text()
    assert re.search(r"map_vdso\(\); /\* vvar=0x7ffff7ffa000, vdso=0x7ffff7ffe000 \*/", trace), trace[:3000]
    # 1000 calls in the loop and one before it; musl reads the TSC once per call.
    assert "/* vdso_clock_reads: reads=1001 " in trace
    assert "sys_clock_gettime" not in trace and "call=clock_gettime" not in trace
