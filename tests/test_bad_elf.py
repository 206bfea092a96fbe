"""Acceptance 5: malformed, truncated, corrupt, non-executable, missing and
i386 programs give a one-line ``glasskernel: ...`` error and a shell-style
exit status, never a Python traceback.

  ENOEXEC (not ELF, truncated headers, wrong machine, bad phdrs)  -> 126, "Exec format error"
  EACCES (no x bit, a directory)                                  -> 126, "Permission denied"
  ENOENT                                                          -> 127, "No such file or directory"
  ELFCLASS32 EM_386 (an i386 program)                            -> 126, "... 32-bit ... not supported ..."

Bad interpreters of dynamic programs are in test_dynamic.py.

The host kernel is the oracle where it refuses the exec: each corrupt file
is first executed natively; when Linux says ENOEXEC glasskernel must too.
Where Linux maps the file and the program then crashes (a file cut in the
middle of a segment, p_filesz past the end of the file) glasskernel may
either behave the same (death by SIGSEGV/SIGBUS) or refuse up front with
ENOEXEC; both are accepted.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import struct
import subprocess
from pathlib import Path

import pytest

import harness
from harness import run_glasskernel

ENOEXEC_TEXT = "Exec format error"
SIGNAL_DEATHS = {128 + signal.SIGSEGV, 128 + signal.SIGBUS}


def write_exe(path: Path, data: bytes, mode: int = 0o755) -> Path:
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


def native_outcome(path: Path):
    """("errno", E) if the host kernel refused to exec PATH, else
    ("ran", status)."""
    try:
        proc = subprocess.run([str(path)], capture_output=True, timeout=20,
                              env=dict(harness.TEST_ENV))
    except OSError as e:
        return ("errno", e.errno)
    except subprocess.TimeoutExpired:
        return ("ran", None)
    return ("ran", harness.exit_status(proc.returncode))


def assert_one_line_error(err: bytes, *texts: str) -> str:
    """stderr is exactly one line starting "glasskernel: " and containing one
    of TEXTS."""
    harness.assert_no_traceback(err)
    text = err.decode(errors="replace")
    lines = text.splitlines()
    assert len(lines) == 1 and text.endswith("\n"), f"expected one line on stderr, got:\n{text}"
    assert lines[0].startswith("glasskernel: "), lines[0]
    assert any(t in lines[0] for t in texts), f"expected one of {texts} in {lines[0]!r}"
    return lines[0]


def check_exec_error(path: Path, *, argv0: str | None = None, cwd=None):
    """PATH must be refused exactly as the host kernel refuses it (ENOEXEC),
    or, where the host runs and crashes it, crash or be refused."""
    kind, value = native_outcome(path)
    out, err, rc = run_glasskernel([argv0 or path], cwd=cwd, timeout=120)
    harness.assert_no_traceback(err)
    if kind == "errno":
        assert value == errno.ENOEXEC, f"unexpected native errno {value}"
        assert rc == 126, f"status {rc}, stderr {err!r}"
        assert out == b""
        assert_one_line_error(err, ENOEXEC_TEXT)
    else:
        assert rc == value or rc == 126 or rc in SIGNAL_DEATHS, \
            f"native status {value}, glasskernel {rc}: {err!r}"
        if rc == 126:
            assert_one_line_error(err, ENOEXEC_TEXT)


@pytest.fixture
def hello(build, toolchain) -> bytes:
    return build("hello", toolchain).read_bytes()


def phdr_offset(data: bytes, index: int) -> int:
    e_phoff, = struct.unpack_from("<Q", data, 32)
    e_phentsize, = struct.unpack_from("<H", data, 54)
    return e_phoff + index * e_phentsize


def first_load(data: bytes) -> int:
    e_phnum, = struct.unpack_from("<H", data, 56)
    for i in range(e_phnum):
        off = phdr_offset(data, i)
        if struct.unpack_from("<I", data, off)[0] == 1:        # PT_LOAD
            return off
    raise AssertionError("no PT_LOAD")


@pytest.mark.parametrize("cut", ["0", "10", "63", "64", "100", "120", "half", "end-100"])
def test_truncated(hello, tmp_path, cut):
    n = {"half": len(hello) // 2, "end-100": len(hello) - 100}.get(cut) or int(cut)
    check_exec_error(write_exe(tmp_path / "truncated", hello[:n]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_bytes_with_elf_magic(tmp_path, seed):
    data = b"\x7fELF" + random.Random(seed).randbytes(4096)
    check_exec_error(write_exe(tmp_path / "randelf", data))


@pytest.mark.parametrize("seed", [1, 2])
def test_random_bytes(tmp_path, seed):
    check_exec_error(write_exe(tmp_path / "random", random.Random(seed).randbytes(8192)))


def test_elf_magic_only(tmp_path):
    check_exec_error(write_exe(tmp_path / "magic", b"\x7fELF"))


def test_empty_file(tmp_path):
    check_exec_error(write_exe(tmp_path / "empty", b""))


def test_wrong_machine(hello, tmp_path):
    data = bytearray(hello)
    struct.pack_into("<H", data, 18, 0x28)                    # e_machine = EM_ARM
    check_exec_error(write_exe(tmp_path / "arm", bytes(data)))


def test_elf32_class(hello, tmp_path):
    data = bytearray(hello)
    data[4] = 1                                                # ELFCLASS32
    check_exec_error(write_exe(tmp_path / "class32", bytes(data)))


def test_relocatable_type(hello, tmp_path):
    data = bytearray(hello)
    struct.pack_into("<H", data, 16, 1)                        # e_type = ET_REL
    check_exec_error(write_exe(tmp_path / "rel", bytes(data)))


def test_phoff_out_of_file(hello, tmp_path):
    data = bytearray(hello)
    struct.pack_into("<Q", data, 32, len(hello) + 4096)
    check_exec_error(write_exe(tmp_path / "phoff", bytes(data)))


def test_phoff_huge(hello, tmp_path):
    data = bytearray(hello)
    struct.pack_into("<Q", data, 32, 0xFFFF_FFFF_FFFF_FF00)
    check_exec_error(write_exe(tmp_path / "phoff_huge", bytes(data)))


def test_phnum_huge(hello, tmp_path):
    data = bytearray(hello)
    struct.pack_into("<H", data, 56, 0xFFFF)
    check_exec_error(write_exe(tmp_path / "phnum", bytes(data)))


def test_phnum_zero(hello, tmp_path):
    data = bytearray(hello)
    struct.pack_into("<H", data, 56, 0)
    check_exec_error(write_exe(tmp_path / "phnum0", bytes(data)))


def test_bad_phentsize(hello, tmp_path):
    data = bytearray(hello)
    struct.pack_into("<H", data, 54, 17)
    check_exec_error(write_exe(tmp_path / "phentsize", bytes(data)))


def test_filesz_past_end_of_file(hello, tmp_path):
    data = bytearray(hello)
    off = first_load(hello)
    struct.pack_into("<Q", data, off + 32, len(hello) * 4)     # p_filesz
    check_exec_error(write_exe(tmp_path / "filesz", bytes(data)))


def test_offset_past_end_of_file(hello, tmp_path):
    data = bytearray(hello)
    off = first_load(hello)
    struct.pack_into("<Q", data, off + 8, len(hello) * 4)      # p_offset
    check_exec_error(write_exe(tmp_path / "offset", bytes(data)))


def test_filesz_greater_than_memsz(hello, tmp_path):
    data = bytearray(hello)
    off = first_load(hello)
    memsz, = struct.unpack_from("<Q", hello, off + 40)
    struct.pack_into("<Q", data, off + 32, memsz + 4096)
    check_exec_error(write_exe(tmp_path / "filesz_memsz", bytes(data)))


def test_load_segment_in_kernel_half(hello, tmp_path):
    data = bytearray(hello)
    off = first_load(hello)
    struct.pack_into("<Q", data, off + 16, 0xFFFF_8000_0000_0000)   # p_vaddr
    check_exec_error(write_exe(tmp_path / "kernel_vaddr", bytes(data)))


@pytest.mark.parametrize("seed", range(8))
def test_bit_flips(hello, tmp_path, seed):
    """Random bit flips: the program may run, crash or be refused, but
    glasskernel never shows a traceback and a refusal is a short message."""
    rng = random.Random(seed)
    data = bytearray(hello)
    region = 512 if seed % 2 == 0 else len(data)     # headers only, or anywhere
    for _ in range(1 + seed % 4):
        i = rng.randrange(region)
        data[i] ^= 1 << rng.randrange(8)
    path = write_exe(tmp_path / "flipped", bytes(data))
    kind, value = native_outcome(path)
    if kind == "ran" and value is None:
        pytest.skip("this flipped binary hangs natively")
    out, err, rc = run_glasskernel([path], timeout=120)
    harness.assert_no_traceback(err)
    assert isinstance(rc, int) and 0 <= rc <= 255
    if rc == 126:
        lines = err.decode(errors="replace").splitlines()
        assert 1 <= len(lines) <= 3, lines
        assert lines[0].startswith("glasskernel: "), lines
    if kind == "errno":
        assert rc == 126, f"native refused with errno {value}, glasskernel ran it: {rc}"


# --------------------------------------------------------------------------
# Not binaries at all
# --------------------------------------------------------------------------

def test_script_without_shebang(tmp_path):
    """execve of a text file without "#!" is ENOEXEC (a shell would then run
    it itself; glasskernel run behaves like execve)."""
    check_exec_error(write_exe(tmp_path / "script.sh", b"echo hello\nexit 3\n"))


def test_not_executable(build, tmp_path):
    exe = write_exe(tmp_path / "noexec", build("hello", "musl").read_bytes(), mode=0o644)
    out, err, rc = run_glasskernel([exe])
    assert rc == 126, err
    assert_one_line_error(err, "Permission denied")


def test_missing_file(tmp_path):
    out, err, rc = run_glasskernel(["./x"], cwd=tmp_path)
    harness.assert_no_traceback(err)
    assert rc == 127, err
    assert err == b"glasskernel: ./x: No such file or directory\n"


def test_missing_absolute_path(tmp_path):
    out, err, rc = run_glasskernel([tmp_path / "nope" / "prog"])
    assert rc == 127, err
    assert_one_line_error(err, "No such file or directory")


def test_directory(tmp_path):
    out, err, rc = run_glasskernel([tmp_path])
    assert rc == 126, err
    # execve(2) of a directory fails with EACCES; bash words it "Is a directory".
    assert_one_line_error(err, "Permission denied", "Is a directory")




def test_script_with_missing_interpreter_names_it(tmp_path):
    """The script is fine and its interpreter is missing: the message names the interpreter."""
    script = write_exe(tmp_path / "script", b"#!/nonexistent/interp -x\necho hi\n")
    out, err, rc = run_glasskernel([script])
    assert rc == 127, err
    line = assert_one_line_error(err, "/nonexistent/interp: bad interpreter")
    assert str(script) in line
