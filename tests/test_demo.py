"""`glasskernel demo`: the narrated fork/exec walkthrough, checked against the run itself.

The steps must appear in order, and their values must agree with each other and with the
program: the pid the parent prints is the pid alloc_pid gave, the child's saved rax is 0,
and the exec'd entry point is the e_entry of the ELF header of `hello`.
"""
from __future__ import annotations

import os
import re
import struct
import subprocess
import sys

import pytest

from glasskernel.tools.demo.demo import example_path
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
from glasskernel.tools.demo.demo_steps import STEP_KEYS

pytestmark = pytest.mark.timeout(300)


def _demo(*args) -> str:
    proc = subprocess.run([sys.executable, "-m", "glasskernel", "demo", *args],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _elf_entry(path: str) -> int:
    with open(path, "rb") as f:
        header = f.read(64)
    return struct.unpack_from("<Q", header, 24)[0]


def test_demo_walkthrough_is_consistent_with_the_run():
    out = _demo()
    keys = [k for k in STEP_KEYS if k not in ("load_elf_interp", "entry32")]   # static, 64-bit
    positions = [out.find(f"(--explain {key})") for key in keys]
    assert all(p >= 0 for p in positions), [k for k, p in zip(keys, positions) if p < 0]
    assert positions == sorted(positions), "steps out of order"

    printed = int(re.search(r"fork\(\) returned (\d+); that child exited with status 7", out)[1])
    traced = int(re.search(r"alloc_pid → pid (\d+)", out)[1])
    assert printed == traced
    assert f"returns {traced} into the parent's saved rax" in out
    assert "except rax = 0" in out
    assert re.search(r"at rip = 0x[0-9a-f]+ with rax = 0: fork\(\) returns 0 here", out)

    entry = _elf_entry(example_path("hello"))
    assert f"entry point = e_entry {entry:#x} + load bias 0x0 = {entry:#x}" in out
    assert re.search(rf"saved rip: 0x[0-9a-f]+ \(in the old program\) → {entry:#x};", out)
    assert "exit_group(7)" in out and f"wait4 returns {traced}" in out


def test_demo_of_another_program_tells_that_run(tmp_path):
    out = _demo("/bin/busybox", "sh", "-c", "/bin/busybox true; /bin/busybox true")
    assert "busybox (pid 2) executes `syscall`" in out
    entry = _elf_entry("/bin/busybox")
    assert f"= {entry:#x}" in out
    assert "exit_group(0)" in out and "with status" not in out


def test_demo_explain_and_unknown_step():
    text = _demo("--explain", "copy_thread")
    assert "rax" in text and "ret_from_fork" in text
    proc = subprocess.run([sys.executable, "-m", "glasskernel", "demo", "--explain", "nope"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "unknown step" in proc.stderr


@pytest.mark.skipif(not os.path.exists("/lib64/ld-linux-x86-64.so.2"), reason="no dynamic linker")
def test_demo_of_a_dynamic_program(tmp_path):
    """`gcc prog.c` then `glasskernel demo ./a.out`: PT_INTERP, load_elf_interp, and rip at
    the linker's entry with AT_ENTRY = the program's e_entry + the PIE's load bias."""
    exe = tmp_path / "a.out"
    subprocess.run(["gcc", "-o", exe, REPO / "tests" / "programs" / "hello.c"], check=True)
    out = _demo(str(exe))
    assert "PT_INTERP asks for /lib64/ld-linux-x86-64.so.2" in out
    base = re.search(r"load_elf_interp maps \S+ at base (0x[0-9a-f]+); its entry is (0x[0-9a-f]+)", out)
    assert base, out
    entry = _elf_entry(str(exe)) + 0x555555554000
    assert f"AT_ENTRY = {entry:#x}" in out
    assert re.search(rf"saved rip: .* → {base[2]};", out)
    assert out.index("(--explain load_elf_binary)") < out.index("(--explain load_elf_interp)") \
        < out.index("(--explain start_thread)")


def test_demo_of_the_i386_example_names_the_32_bit_path():
    """`glasskernel demo --i386`: the write-ups' 32-bit path in order, with this run's values:
    clone is 120 in eax, sysenter in __kernel_vsyscall, the return at the vDSO's landing pad
    (where the child's first return lands too, with eax = 0, in compatibility mode)."""
    out = _demo("--i386")
    names = ["__kernel_vsyscall at", "`sysenter` at", "eax = 0x78 = 120 (clone)",
             "entry_SYSENTER_compat saves the 32-bit pt_regs", "do_fast_syscall_32 reads the sixth",
             "ia32_sys_call_table[120] = __ia32_sys_clone", "sysenter_do_call", "ptregs_clone",
             "kernel_clone(flags", "copy_process", "copy_thread", "alloc_pid →",
             "wake_up_new_task", "into the parent's saved eax", "context_switch", "switch_to pid",
             "ret_from_fork → schedule_tail", "compatibility mode (cs = 0x23)", "jmp syscall_exit",
             "compat_start_thread", "exit_group(7)", "wait4 returns"]
    positions = [out.find(name) for name in names]
    assert all(p >= 0 for p in positions), [n for n, p in zip(names, positions) if p < 0]
    assert positions == sorted(positions), "steps out of order"
    vsyscall = int(re.search(r"__kernel_vsyscall at (0x[0-9a-f]+)", out)[1], 16)
    sysenter = int(re.search(r"`sysenter` at (0x[0-9a-f]+)", out)[1], 16)
    landing = int(re.search(r"int80_landing_pad \((0x[0-9a-f]+)\)", out)[1], 16)
    assert vsyscall < sysenter < landing == sysenter + 4          # sysenter; int $0x80; pad
    assert re.search(rf"at eip = {landing:#x} with eax = 0: fork\(\) returns 0 here", out)
    printed = int(re.search(r"fork\(\) returned (\d+); that child exited with status 7", out)[1])
    assert f"alloc_pid → pid {printed}" in out and f"wait4 returns {printed}" in out
    assert "warning" not in out
