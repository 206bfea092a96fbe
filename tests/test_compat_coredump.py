"""Core dumps of i386 processes (fs/compat_binfmt_elf_core.py): an ELFCLASS32/EM_386 core
with the ia32 notes, checked with readelf and with gdb on the host, and against the core
the host writes for the same program when its core_pattern leaves one in the cwd."""

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import harness
from harness import run_glasskernel

SOURCE = Path(__file__).parent / "programs" / "compat_core_crash.c"
# the notes Linux 6.1 writes for a one-thread i386 process (write_note_info's order)
EXPECTED_NOTES = [("CORE", "NT_PRSTATUS"), ("CORE", "NT_PRPSINFO"), ("CORE", "NT_SIGINFO"),
                  ("CORE", "NT_AUXV"), ("CORE", "NT_FILE"), ("CORE", "NT_FPREGSET"),
                  ("LINUX", "NT_PRXFPREG"), ("LINUX", "NT_386_TLS")]
# fixed-size notes: compat_elf_prstatus, compat_elf_prpsinfo, compat_siginfo,
# user_i387_ia32_struct, fxsave, three user_desc
EXPECTED_SIZES = {"NT_PRSTATUS": 144, "NT_PRPSINFO": 124, "NT_SIGINFO": 128,
                  "NT_FPREGSET": 108, "NT_PRXFPREG": 512, "NT_386_TLS": 48}


@pytest.fixture(scope="module")
def crash32(tmp_path_factory):
    """The test program, built -m32 -static -g -O0 (gdb shows its locals)."""
    if not harness.compiler_available("m32"):
        pytest.skip("gcc -m32 is not usable")
    if shutil.which("gdb") is None or shutil.which("readelf") is None:
        pytest.skip("gdb or readelf is not installed")
    exe = tmp_path_factory.mktemp("compat_core") / "crash32"
    subprocess.run(["gcc", "-m32", "-static", "-g", "-O0", "-o", exe, SOURCE], check=True)
    return exe


def _guest_core(exe: Path, workdir: Path, *args) -> tuple:
    """Run exe under glasskernel in workdir; (its status, the core's bytes): the guest
    writes the core in its own layer, so the shell sends it back on stdout."""
    workdir.mkdir(exist_ok=True)
    local = workdir / exe.name
    shutil.copy(exe, local)
    script = (f"cd {workdir} && ulimit -c unlimited && ./{exe.name} {' '.join(args)} "
              f">/dev/null 2>&1; echo status $? >&2; cat core")
    out, err, code = run_glasskernel(["/bin/sh", "-c", script], timeout=240)
    harness.assert_no_traceback(err)
    assert not (workdir / "core").exists()          # the core stays in the guest's layer
    status = re.search(rb"status (\d+)", err)
    assert status, err.decode(errors="replace")
    core = workdir / "core.guest"
    core.write_bytes(out)
    return int(status.group(1)), core


def _notes(core: Path) -> list:
    """(owner, note type, data size) of each note, as readelf -n prints them."""
    text = subprocess.run(["readelf", "-n", "-W", core], capture_output=True, text=True,
                          check=True).stdout
    return [(m.group(1), m.group(3) or m.group(4), int(m.group(2), 16))
            for m in re.finditer(r"^\s+(CORE|LINUX)\s+0x([0-9a-f]+)\s+(?:(NT_\w+)|Unknown note "
                                 r"type: \((0x[0-9a-f]+)\))", text, re.M)]


def _gdb(exe: Path, core: Path, *commands) -> str:
    argv = ["gdb", "-batch", "-nx"]
    for c in commands:
        argv += ["-ex", c]
    return subprocess.run([*argv, exe, core], capture_output=True, text=True,
                          timeout=120).stdout


def test_segv_core_is_elf32_with_the_ia32_notes(crash32, tmp_path):
    status, core = _guest_core(crash32, tmp_path / "g")
    assert status == 128 + 11
    header = subprocess.run(["readelf", "-h", core], capture_output=True, text=True,
                            check=True).stdout
    assert re.search(r"Class:\s+ELF32", header)
    assert re.search(r"Machine:\s+Intel 80386", header)
    assert re.search(r"Type:\s+CORE", header)
    notes = _notes(core)
    assert [(o, t) for o, t, _ in notes] == EXPECTED_NOTES
    for _, ntype, size in notes:
        assert size == EXPECTED_SIZES.get(ntype, size), ntype


def test_gdb_reads_the_segv_core(crash32, tmp_path):
    """gdb finds eip in crash(), the backtrace through main, a local, a global and the
    fault's siginfo, from the 32-bit registers and memory of the core."""
    _, core = _guest_core(crash32, tmp_path / "g")
    nm = subprocess.run(["nm", crash32], capture_output=True, text=True, check=True).stdout
    crash_at = int(re.search(r"^([0-9a-f]+) t crash$", nm, re.M).group(1), 16)
    out = _gdb(crash32, core, "info registers eip", "bt", "print local_marker",
               "print global", "print $_siginfo.si_signo", "print $_siginfo._sifields._sigfault.si_addr")
    assert "Program terminated with signal SIGSEGV" in out
    eip = int(re.search(r"^eip\s+0x([0-9a-f]+)\s+0x[0-9a-f]+ <crash\+\d+>", out, re.M).group(1), 16)
    assert crash_at < eip < crash_at + 0x40
    assert re.search(r"#0 .*crash \(depth=0\) at .*compat_core_crash.c", out)
    assert "crash (depth=2)" in out and re.search(r"main \(argc=1, argv=0x[0-9a-f]+\)", out)
    assert "$1 = 1234" in out and "$2 = 77" in out and "$3 = 11" in out
    assert re.search(r"\$4 = \(void \*\) 0x0\b", out)


def test_gdb_reads_the_abort_core(crash32, tmp_path):
    """abort(): SIGABRT from inside the vDSO's __kernel_vsyscall; gdb unwinds from the
    vDSO (dumped whole) up through abort() to main."""
    status, core = _guest_core(crash32, tmp_path / "g", "abort")
    assert status == 128 + 6
    out = _gdb(crash32, core, "bt", "print $_siginfo.si_signo", "print global")
    assert "Program terminated with signal SIGABRT" in out
    assert re.search(r"in abort \(\)", out) and re.search(r"in main \(argc=2,", out)
    assert "$1 = 6" in out and "$2 = 77" in out


def _host_dumps_to_core() -> bool:
    try:
        pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
        uses_pid = Path("/proc/sys/kernel/core_uses_pid").read_text().strip()
    except OSError:
        return False
    return pattern == "core" and uses_pid == "0"


def _native_core(exe: Path, workdir: Path, *args) -> Path:
    workdir.mkdir(exist_ok=True)
    shutil.copy(exe, workdir / exe.name)
    # setarch -R: no PF_RANDOMIZE in the flags (glasskernel never randomises layouts)
    subprocess.run(["setarch", "-R", "/bin/sh", "-c",
                    f"ulimit -c unlimited; ./{exe.name} {' '.join(args)}"],
                   cwd=workdir, capture_output=True, timeout=60)
    core = workdir / "core"
    if not core.exists():
        pytest.skip("the host wrote no core file (RLIMIT_CORE or a filesystem that refuses)")
    return core


# Notes the host may add that glasskernel leaves out: NT_X86_XSTATE (the emulated CPU has
# no XSAVE) and NT_X86_XSAVE_LAYOUT (0x205, a note of kernels after 6.1).
_HOST_ONLY = {"NT_X86_XSTATE", "0x00000205"}


@pytest.mark.parametrize("args", [(), ("abort",)])
def test_core_matches_the_hosts(crash32, tmp_path, args):
    """Same notes in the same order with the same sizes, and the same registers and
    backtrace in gdb, as the core the host writes for the same program (the directories
    have names of one length, so NT_FILE's size matches too)."""
    if not _host_dumps_to_core():
        pytest.skip("the host's core_pattern is not \"core\" (a native run writes no file)")
    native = _native_core(crash32, tmp_path / "n", *args)
    _, guest = _guest_core(crash32, tmp_path / "g", *args)
    native_notes = [n for n in _notes(native) if n[1] not in _HOST_ONLY]
    guest_notes = _notes(guest)
    assert [n[:2] for n in guest_notes] == [n[:2] for n in native_notes]
    for g, n in zip(guest_notes, native_notes):
        if g[1] != "NT_AUXV":               # the host's auxv has entries of later kernels
            assert g == n
    commands = ("info registers eip cs ss ds es fs gs", "bt", "print $_siginfo.si_signo",
                "print $_siginfo.si_code")
    assert normalise(_gdb(crash32, guest, *commands)) == normalise(_gdb(crash32, native, *commands))


def normalise(text: str) -> str:
    """gdb's output with what ASLR moves natively (argv, the vDSO) and what differs inside
    the host's vDSO (another build: other offsets) replaced by names."""
    text = text[text.index("Program terminated"):]
    text = re.sub(r"argv=0x[0-9a-f]+", "argv=ARGV", text)
    return re.sub(r"0x[0-9a-f]+(\s+0x[0-9a-f]+)? (<|in )__kernel_vsyscall(\+\d+)?", "VDSO", text)


def test_tls_note_matches_the_hosts(crash32, tmp_path):
    """NT_386_TLS: entries 12-14, the first one glibc's %gs segment, the other two empty
    (flags 0x28: read_exec_only, seg_not_present); bases aside, as the host writes it."""
    if not _host_dumps_to_core():
        pytest.skip("the host's core_pattern is not \"core\" (a native run writes no file)")
    native = _native_core(crash32, tmp_path / "n")
    _, guest = _guest_core(crash32, tmp_path / "g")

    def tls(core):
        text = subprocess.run(["readelf", "-n", "-W", core], capture_output=True, text=True,
                              check=True).stdout
        data = re.search(r"NT_386_TLS.*?description data: ([0-9a-f ]+)", text).group(1)
        raw = bytes.fromhex(data.replace(" ", ""))
        words = [int.from_bytes(raw[i:i + 4], "little") for i in range(0, 48, 4)]
        return [(words[i], words[i + 2], words[i + 3]) for i in range(0, 12, 4)]
    assert tls(guest) == tls(native)
    assert [e[0] for e in tls(guest)] == [12, 13, 14]


def test_threads_core(crash32, tmp_path):
    """Each thread's NT_PRSTATUS and regset notes, the first thread's with the process's
    notes after its NT_PRSTATUS (as the host writes them); gdb shows both threads, the
    second one in sleeper()."""
    exe = tmp_path / "threads32"
    subprocess.run(["gcc", "-m32", "-static", "-g", "-O0", "-pthread", "-o", exe,
                    SOURCE.with_name("compat_core_threads.c")], check=True)
    status, guest = _guest_core(exe, tmp_path / "g")
    assert status == 128 + 11
    per_thread = [("CORE", "NT_PRSTATUS"), ("CORE", "NT_FPREGSET"), ("LINUX", "NT_PRXFPREG"),
                  ("LINUX", "NT_386_TLS")]
    assert [n[:2] for n in _notes(guest)] == EXPECTED_NOTES + per_thread
    out = _gdb(exe, guest, "info threads", "thread apply all bt")
    assert re.search(r"^\* 1\s+Thread .*main \(\) at .*compat_core_threads.c", out, re.M)
    assert re.search(r"^  2\s+Thread ", out, re.M) and "sleeper (arg=0x0)" in out
    if _host_dumps_to_core():
        native = _native_core(exe, tmp_path / "n")
        assert [n[:2] for n in _notes(guest)] == \
            [n[:2] for n in _notes(native) if n[1] not in _HOST_ONLY]


def test_sleeping_threads_registers_match_the_hosts(tmp_path):
    """The registers of a thread asleep in pause() when another one faults: its selectors
    (%ds and %es the flat user data segment, as the context switch saved them) and
    orig_eax (pause's i386 number), as in the host's core."""
    if not _host_dumps_to_core():
        pytest.skip("the host's core_pattern is not \"core\" (a native run writes no file)")
    if not harness.compiler_available("m32") or shutil.which("gdb") is None:
        pytest.skip("gcc -m32 or gdb is missing")
    exe = tmp_path / "threads32"
    subprocess.run(["gcc", "-m32", "-static", "-g", "-O0", "-pthread", "-o", exe,
                    SOURCE.with_name("compat_core_threads.c")], check=True)
    _, guest = _guest_core(exe, tmp_path / "g")
    native = _native_core(exe, tmp_path / "n")
    commands = ("thread 2", "info registers cs ss ds es fs gs", "p $orig_eax")
    pick = lambda text: [l for l in text.splitlines()                 # noqa: E731
                         if re.match(r"(cs|ss|ds|es|fs|gs)\s|\$\d", l)]
    assert pick(_gdb(exe, guest, *commands)) == pick(_gdb(exe, native, *commands))


def _raw_notes(core: Path) -> dict:
    """type -> desc of the first note of each type (the dumping thread's)."""
    data = core.read_bytes()
    phoff = struct.unpack_from("<I", data, 28)[0]
    _, offset, _, _, size = struct.unpack_from("<5I", data, phoff)
    notes, pos = {}, offset
    while pos < offset + size:
        namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
        pos += 12 + (namesz + 3 & ~3)
        notes.setdefault(ntype, data[pos:pos + descsz])
        pos += descsz + 3 & ~3
    return notes


def test_prpsinfo_and_prstatus_match_the_hosts(crash32, tmp_path):
    """compat_elf_prpsinfo (state, flags PF_SIGNALED|PF_DUMPCORE, uid/gid, name, the
    arguments with their NULs as spaces) and compat_elf_prstatus's signal fields, ids
    aside, as the host writes them."""
    if not _host_dumps_to_core():
        pytest.skip("the host's core_pattern is not \"core\" (a native run writes no file)")
    native = _raw_notes(_native_core(crash32, tmp_path / "n", "x", "yz"))
    _, guest_core = _guest_core(crash32, tmp_path / "g", "x", "yz")
    guest = _raw_notes(guest_core)
    psinfo = struct.Struct("<bcbbIHHiiii16s80s")
    strip_ids = lambda t: t[:7] + t[11:]                       # noqa: E731
    assert strip_ids(psinfo.unpack(guest[3])) == strip_ids(psinfo.unpack(native[3]))
    assert psinfo.unpack(guest[3])[12].rstrip(b"\0") == b"./crash32 x yz "
    prstatus = struct.Struct("<iiih2xII")                       # signal, cursig, sets
    assert prstatus.unpack_from(guest[1]) == prstatus.unpack_from(native[1])


def test_fsave_note_matches_the_hosts(tmp_path):
    """NT_PRFPREG (user_i387_ia32_struct) of a process with values on the x87 stack:
    control, status and full tag words, the selectors (cs, ds | 0xffff0000) and the ST
    registers, byte for byte as the host writes it."""
    if not _host_dumps_to_core():
        pytest.skip("the host's core_pattern is not \"core\" (a native run writes no file)")
    if not harness.compiler_available("m32"):
        pytest.skip("gcc -m32 is not usable")
    exe = tmp_path / "x87"
    subprocess.run(["gcc", "-m32", "-static", "-O0", "-o", exe,
                    SOURCE.with_name("compat_core_x87.c")], check=True)
    _, guest = _guest_core(exe, tmp_path / "g")
    native = _native_core(exe, tmp_path / "n")
    fsave = _raw_notes(guest)[2]
    assert fsave == _raw_notes(native)[2]
    st0 = fsave[28:38]
    assert st0 == bytes.fromhex("00000000000000d00040")     # 3.25 as an 80-bit value


def test_core_from_a_syscall_matches_the_hosts(tmp_path):
    """A core written on the way out of an interrupted syscall (SIGQUIT in pause()): eax
    the call's -ERESTARTNOHAND, orig_eax its number, the backtrace from the vDSO, as in
    the host's core."""
    if not _host_dumps_to_core():
        pytest.skip("the host's core_pattern is not \"core\" (a native run writes no file)")
    if not harness.compiler_available("m32") or shutil.which("gdb") is None:
        pytest.skip("gcc -m32 or gdb is missing")
    exe = tmp_path / "quit32"
    subprocess.run(["gcc", "-m32", "-static", "-g", "-O0", "-o", exe,
                    SOURCE.with_name("compat_core_quit.c")], check=True)
    status, guest = _guest_core(exe, tmp_path / "g")
    assert status == 0
    native = _native_core(exe, tmp_path / "n")
    commands = ("p $orig_eax", "p $eax", "p $_siginfo.si_signo", "p $_siginfo.si_code", "bt")
    out = normalise(_gdb(exe, guest, *commands))
    assert out == normalise(_gdb(exe, native, *commands))
    assert "$1 = 29\n$2 = -514\n$3 = 3\n" in out and "in main () at" in out
