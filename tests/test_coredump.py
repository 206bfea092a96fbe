"""Core dumps (fs/coredump.c, fs/binfmt_elf_core.py): the ELF core a crashing process
leaves, as Linux writes it and gdb reads it (LTP madvise08, waitpid01)."""

import subprocess
from pathlib import Path

import pytest

import harness
from harness import run_glasskernel


def _host_dumps_to_core() -> bool:
    """The native run needs the host to write plain "core" files in the cwd."""
    try:
        pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
        uses_pid = Path("/proc/sys/kernel/core_uses_pid").read_text().strip()
    except OSError:
        return False
    return pattern == "core" and uses_pid == "0"


@pytest.mark.parametrize("toolchain", ["glibc"])
def test_core_file_matches_linux(build, toolchain, tmp_path):
    """RLIMIT_CORE, the notes in Linux's order, the dump filter and MADV_DONTDUMP, a
    limit that cuts the file, WCOREDUMP in the status."""
    if not _host_dumps_to_core():
        pytest.skip("the host's core_pattern is not \"core\" (a native run writes no file)")
    native, _ = harness.differential_scratch(build("coredump_file", toolchain), tmp_path)
    assert b"kept bytes: 1, dropped bytes: 0" in native[0]


def test_gdb_reads_the_core(build, tmp_path):
    """gdb (run in the guest: the core never leaves the sandbox's layer) opens the core
    of a crashed program and shows its backtrace and a global's value."""
    gdb = Path("/usr/bin/gdb")
    if not gdb.exists():
        pytest.skip("gdb is not installed")
    src = tmp_path / "crash.c"
    src.write_text(
        "#include <sys/resource.h>\n"
        "int global = 42;\n"
        "static void crash(int depth) { if (depth == 0) *(volatile int *)0 = 1; crash(depth - 1); }\n"
        "int main(void) { struct rlimit r = {-1, -1}; setrlimit(RLIMIT_CORE, &r);\n"
        "  global = 77; crash(2); return 0; }\n")
    exe = tmp_path / "crash"
    subprocess.run(["gcc", "-g", "-O0", "-static", "-o", exe, src], check=True)
    script = (f"cd {tmp_path} && ./crash; echo status $?; "
              f"gdb -batch -nx -ex bt -ex 'print global' ./crash core 2>&1")
    out, err, code = run_glasskernel(["/bin/sh", "-c", script], timeout=240)
    harness.assert_no_traceback(err)
    text = out.decode()
    assert "status 139" in text                    # 128 + SIGSEGV: the shell saw a core dump
    assert "Program terminated with signal SIGSEGV" in text
    assert "in crash (depth=0)" in text and "in main ()" in text
    assert "$1 = 77" in text
    assert not (tmp_path / "core").exists()        # written in the layer, not on the host
