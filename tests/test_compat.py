"""i386 programs in compatibility mode (issue 19): the 32-bit entry paths and loader.

Programs are built with ``gcc -m32 -static`` (gcc-multilib) and run natively and under
glasskernel (harness.differential), as the 64-bit ones are. The host CPU decides one
thing natively: on AMD, ``sysenter`` from compatibility mode is #UD (Linux's vDSO uses
``syscall`` there), so the sysenter path is checked against int $0x80 inside one
glasskernel run, where the emulated CPU has it.
"""
import pytest

import harness
from harness import differential, run_glasskernel

pytestmark = pytest.mark.timeout(300)


def test_i386_program_runs_forks_and_waits(build):
    """A static i386 program: printf, malloc, fork, waitpid, exit status."""
    exe = build("lc_fork", "m32")
    differential([exe, "twice"])


def test_int80_results(build):
    """Syscalls through int $0x80 give what they give natively."""
    differential([build("compat_entry", "m32"), "int80"])


def test_sysenter_agrees_with_int80(build):
    """The same syscalls through sysenter (a copy of __kernel_vsyscall) and int $0x80:
    the same results, the sixth argument (mmap2's page offset) read from the stack."""
    out, err, rc = run_glasskernel([build("compat_entry", "m32"), "both"])
    assert rc == 0, err
    pairs = [line for line in out.decode().splitlines() if "sysenter" in line]
    assert len(pairs) == 8, out
    assert all(" == " in line for line in pairs), out


def test_int80_from_a_64_bit_program(build):
    """int $0x80 in a 64-bit program reaches the 32-bit table (write is 4, getpid 20)."""
    differential([build("compat_entry", "glibc")])
