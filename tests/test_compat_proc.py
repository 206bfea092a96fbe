"""/proc for i386 tasks (fs/proc): /proc/PID/syscall and wchan of a compat task asleep in a
syscall (the i386 number, ebx..ebp; through int $0x80 and through the vDSO; and stopped by
SIGSTOP on the way out of pause(), orig_eax still its number),
/proc/self/personality, auxv (4-byte pairs, read as Linux 6.1 reads saved_auxv) and maps
(no [vsyscall] for a compat mm), differentially against the host."""

import re
import shutil

import pytest

import harness
from harness import run_glasskernel, run_native


def _normalise(out: bytes) -> bytes:
    # Kernels after 6.1 sleep in anon_pipe_read; 6.1 (the specification) in pipe_read.
    return out.replace(b"wchan anon_pipe_read", b"wchan pipe_read")


@pytest.mark.parametrize("no_randomize", [False, True])
def test_compat_proc_files(build, no_randomize):
    """Under setarch -R (ADDR_NO_RANDOMIZE in the personality) the program also prints
    the exact ranges of [vdso] and [stack] (0xffffe000 the stack's top)."""
    exe = build("compat_proc", "m32")
    argv = ["setarch", "-R", exe] if no_randomize else [exe]
    native = run_native(argv)
    guest = run_glasskernel([shutil.which("setarch"), "-R", exe] if no_randomize else argv)
    harness.assert_no_traceback(guest[1])
    assert native[2] == 0, native
    harness.compare((_normalise(native[0]), *native[1:]), (_normalise(guest[0]), *guest[1:]),
                    label=str(exe))
    out = guest[0].decode()
    assert "int80: fields 9 nr 3 fd 3 count 37" in out               # i386 read, not close
    assert "esi 0x44444444 edi 0x55555555 ebp 0x66666666" in out
    assert "[vsyscall]" not in out and out.count("wchan pipe_read") == 2
    if no_randomize:
        assert "personality: 00040000" in out
        assert re.search(r"\[stack\] [0-9a-f]{8}-ffffe000", out)
