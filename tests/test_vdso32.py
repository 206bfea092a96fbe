"""The i386 vDSO (issue 19): glasskernel/arch/x86/entry/vdso/vdso32.so, built from vdso32/
and the shared vclock_gettime.c, is what a compat (i386) program gets as [vdso] and
AT_SYSINFO_EHDR, with __kernel_vsyscall as AT_SYSINFO.

The oracles: Linux 6.1's vdso32 (its symbol versions, the bytes of the entry and the
sigreturn trampolines, their unwind information) and the host's own i386 vDSO, read by an
i386 program (tests/programs/vdso32_syms.c). The clock functions run natively on a data
page the test writes (tests/programs/vdso32_clocks.c): their answers are computed here.
"""
from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import harness
from harness import PROGRAMS_DIR, REPO_ROOT, run_native

VDSO_DIR = REPO_ROOT / "glasskernel" / "arch" / "x86" / "entry" / "vdso"
IMAGE = VDSO_DIR / "vdso32.so"

# Linux 6.1's vdso32.lds.S: what the image exports, and under which version.
LINUX_61_EXPORTS = {
    "__kernel_vsyscall": "LINUX_2.5", "__kernel_sigreturn": "LINUX_2.5",
    "__kernel_rt_sigreturn": "LINUX_2.5",
    "__vdso_clock_gettime": "LINUX_2.6", "__vdso_gettimeofday": "LINUX_2.6",
    "__vdso_time": "LINUX_2.6", "__vdso_clock_getres": "LINUX_2.6",
    "__vdso_clock_gettime64": "LINUX_2.6",
}
# What the host's i386 vDSO may export beyond 6.1's: __vdso_getcpu joined the 32-bit vDSO
# after 6.1 (6.1's vdso32.lds.S has no getcpu; the 6.18 host's has).
NEWER_THAN_61 = {"__vdso_getcpu"}

# Linux 6.1's __kernel_vsyscall on a CPU with SYSENTER32: push ecx, edx, ebp; mov esp,ebp;
# sysenter; int $0x80; (int80_landing_pad:) pop ebp, edx, ecx; ret.
VSYSCALL = bytes.fromhex("51 52 55 89e5 0f34 cd80 5d 5a 59 c3")
SYSENTER_SEQ = bytes.fromhex("89e5 0f34")          # the ALTERNATIVE's 4 bytes
SYSCALL_SEQ = bytes.fromhex("89cd 0f05")           # movl %ecx,%ebp; syscall (AMD hosts)
SIGRETURN = bytes.fromhex("58 b877000000 cd80 90")  # popl %eax; movl $119,%eax; int $0x80; nop
RT_SIGRETURN = bytes.fromhex("b8ad000000 cd80 90")  # movl $173,%eax; int $0x80; nop


# ----- an ELF32 reader (no pyelftools) ---------------------------------------------------------

class Elf32:
    """The parts of an ELF32 shared object a libc and these tests look at."""

    def __init__(self, data: bytes):
        self.data = data
        (self.ident, self.type, self.machine, _v, self.entry, self.phoff, self.shoff, _f, _eh,
         self.phentsize, self.phnum, self.shentsize, self.shnum, self.shstrndx) = \
            struct.unpack_from("<16sHHIIIIIHHHHHH", data, 0)
        self.sections = {}
        raw = [struct.unpack_from("<10I", data, self.shoff + i * self.shentsize) for i in range(self.shnum)]
        for sh in raw:
            self.sections[self._str(raw[self.shstrndx][4], sh[0])] = sh
        self.raw_sections = raw

    def _str(self, table_off: int, off: int) -> str:
        return self.data[table_off + off:self.data.index(b"\0", table_off + off)].decode()

    def section(self, name: str) -> bytes:
        sh = self.sections[name]
        return self.data[sh[4]:sh[4] + sh[5]]

    def dynamic(self) -> dict:
        """{d_tag: d_val} of the dynamic section."""
        dyn = self.section(".dynamic")
        return {tag: val for tag, val in struct.iter_unpack("<iI", dyn)}

    def versions(self) -> dict:
        """{index: name} from .gnu.version_d."""
        sh = self.sections[".gnu.version_d"]
        strtab = self.raw_sections[sh[6]][4]
        out, off = {}, sh[4]
        while True:
            _ver, _flags, ndx, _cnt, _hash, aux, nxt = struct.unpack_from("<HHHHIII", self.data, off)
            out[ndx] = self._str(strtab, struct.unpack_from("<I", self.data, off + aux)[0])
            if not nxt:
                return out
            off += nxt

    def dynsyms(self) -> dict:
        """{name: (value, size, version)} of the defined functions in .dynsym."""
        sh = self.sections[".dynsym"]
        strtab = self.raw_sections[sh[6]][4]
        versym = self.section(".gnu.version")
        names = self.versions()
        out = {}
        for i in range(1, sh[5] // 16):
            name, value, size, info, _other, shndx = struct.unpack_from("<IIIBBH", self.data, sh[4] + 16 * i)
            if shndx and info & 0xF == 2:                    # defined STT_FUNC
                ver = struct.unpack_from("<H", versym, 2 * i)[0] & 0x7FFF
                out[self._str(strtab, name)] = (value, size, names[ver])
        return out

    def code(self, value: int, size: int) -> bytes:
        """The bytes at an address (the image is linked at 0, .text's offset = its address)."""
        text = self.sections[".text"]
        return self.data[value - text[3] + text[4]:][:size]


@pytest.fixture(scope="module")
def image() -> Elf32:
    return Elf32(IMAGE.read_bytes())


# ----- building i386 programs ------------------------------------------------------------------

def _build32(name: str, *flags: str) -> Path:
    """tests/programs/NAME.c built with gcc -m32 -static (unless flags say -no-static: a
    dynamic program), cached by source, vvar.h and flags."""
    src = PROGRAMS_DIR / f"{name}.c"
    key = hashlib.sha256(src.read_bytes() + (VDSO_DIR / "vvar.h").read_bytes() + repr(flags).encode())
    out = harness.cache_dir() / f"{name}-i386-{key.hexdigest()[:16]}"
    if not out.exists():
        tmp = out.with_name(out.name + ".tmp")
        link = [] if "-no-static" in flags else ["-static"]
        flags = tuple(f for f in flags if f != "-no-static")
        proc = subprocess.run(["gcc", "-m32", *link, "-O1", "-Wall", *flags, "-o", tmp, src],
                              capture_output=True, text=True)
        if proc.returncode:
            pytest.skip(f"no i386 toolchain (gcc -m32): {proc.stderr[-300:]}")
        tmp.replace(out)
    return out


def _native_vdso32(tmp_path) -> tuple:
    """(the host's i386 vDSO as an Elf32, the syms program's listing of it)."""
    exe = _build32("vdso32_syms")
    dump = tmp_path / "host-vdso32.so"
    out, err, rc = run_native([exe, "--dump", dump])
    if rc:
        pytest.skip(f"the host gives i386 programs no vDSO: {err!r}")
    listing = run_native([exe])[0].decode()
    return Elf32(dump.read_bytes()), listing


# ----- the image -------------------------------------------------------------------------------

def test_image_is_an_i386_shared_object_a_libc_can_read(image):
    """ET_DYN ELF32 for EM_386, linux-gate.so.1, DT_HASH and DT_GNU_HASH for the lookups,
    symbol versions, one PT_LOAD; the entry point is __kernel_vsyscall (AT_SYSINFO)."""
    assert image.ident[:5] == b"\x7fELF\x01" and (image.type, image.machine) == (3, 3)
    dyn = image.dynamic()
    for tag in (4, 0x6FFFFEF5, 5, 6, 0x6FFFFFFC, 0x6FFFFFF0):   # HASH GNU_HASH STRTAB SYMTAB VERDEF VERSYM
        assert tag in dyn, hex(tag)
    strtab = image.sections[".dynstr"][4]
    assert image._str(strtab, dyn[14]) == "linux-gate.so.1"     # DT_SONAME
    loads = [struct.unpack_from("<8I", image.data, image.phoff + i * image.phentsize)
             for i in range(image.phnum)]
    assert [p[0] for p in loads].count(1) == 1                  # PT_LOAD
    assert image.entry == image.dynsyms()["__kernel_vsyscall"][0]
    assert ".rel.dyn" not in image.sections and ".rela.dyn" not in image.sections


def test_exports_and_versions_are_linux_61s(image):
    """__kernel_* under LINUX_2.5, the clock functions under LINUX_2.6, nothing else."""
    assert {name: ver for name, (_v, _s, ver) in image.dynsyms().items()} == LINUX_61_EXPORTS


def test_kernel_vsyscall_is_the_sysenter_entry_with_its_landing_pad(image):
    """The bytes of __kernel_vsyscall, and int80_landing_pad right after its int $0x80."""
    from glasskernel.arch.x86.entry.vdso.vma import vdso32_sym
    syms = image.dynsyms()
    value, size, _ = syms["__kernel_vsyscall"]
    assert image.code(value, size) == VSYSCALL
    landing = vdso32_sym("int80_landing_pad")
    assert landing == value + VSYSCALL.index(b"\xcd\x80") + 2
    assert image.code(landing - 2, 2) == b"\xcd\x80"
    assert vdso32_sym("__kernel_vsyscall") == value


def test_sigreturn_trampolines_and_their_landing_pads(image):
    """__kernel_sigreturn and __kernel_rt_sigreturn as Linux lays them out (a nop before the
    first, for unwinders), with the landing pads after their int $0x80."""
    from glasskernel.arch.x86.entry.vdso.vma import vdso32_sym
    syms = image.dynsyms()
    for name, code in (("__kernel_sigreturn", SIGRETURN), ("__kernel_rt_sigreturn", RT_SIGRETURN)):
        value, size, _ = syms[name]
        assert image.code(value, size) == code, name
        assert vdso32_sym(name) == value
    assert image.code(syms["__kernel_sigreturn"][0] - 1, 1) == b"\x90"
    assert vdso32_sym("vdso32_sigreturn_landing_pad") == syms["__kernel_sigreturn"][0] + 8
    assert vdso32_sym("vdso32_rt_sigreturn_landing_pad") == syms["__kernel_rt_sigreturn"][0] + 7
    with pytest.raises(KeyError):
        vdso32_sym("__vdso_getcpu")


def test_vdso32_image_rebuilds_from_source(tmp_path):
    """scripts/build-vdso.sh turns the shipped sources into the shipped images and table."""
    if shutil.which("gcc") is None or shutil.which("objcopy") is None:
        pytest.skip("no gcc/binutils")
    proc = subprocess.run([REPO_ROOT / "scripts" / "build-vdso.sh", tmp_path], capture_output=True, text=True)
    if proc.returncode and "-m32" in proc.stderr:
        pytest.skip("no gcc -m32")
    assert proc.returncode == 0, proc.stderr
    for name in ("vdso32.so", "vdso32.syms", "vdso64.so"):
        assert (tmp_path / name).read_bytes() == (VDSO_DIR / name).read_bytes(), \
            f"{name} is stale: run scripts/build-vdso.sh and commit the result"


# ----- against the host's i386 vDSO ------------------------------------------------------------

def test_exports_match_the_hosts_i386_vdso(tmp_path):
    """The host's i386 vDSO, listed by an i386 program the way a libc reads it, exports
    what ours does (minus what came after 6.1), under the same versions; its entry
    and trampolines are ours byte for byte, but for the 4 bytes of the entry that Linux
    patches per CPU (sysenter on Intel, syscall on AMD)."""
    exe = _build32("vdso32_syms")
    host = run_native([exe])[0].decode().split("\n")
    ours = run_native([exe, IMAGE])[0].decode().split("\n")
    assert "AT_SYSINFO=e_entry" in host
    host_syms = dict(line.split("@") for line in host if "@" in line)
    our_syms = dict(line.split("@") for line in ours if "@" in line)
    versions = {k: v.split()[0] for k, v in host_syms.items() if k not in NEWER_THAN_61}
    assert versions == {k: v.split()[0] for k, v in our_syms.items()}
    host_vsyscall = bytes.fromhex(host_syms["__kernel_vsyscall"].split()[1])
    assert host_vsyscall[3:7] in (SYSENTER_SEQ, SYSCALL_SEQ)
    assert host_vsyscall.replace(SYSCALL_SEQ, SYSENTER_SEQ) == VSYSCALL
    for name in ("__kernel_sigreturn", "__kernel_rt_sigreturn"):
        assert host_syms[name] == our_syms[name]
    assert {k: v.split()[0] for k, v in our_syms.items()} == LINUX_61_EXPORTS


def _entry_unwind_info(elf: Elf32) -> list:
    """The first five .eh_frame entries: the CIE and FDE of __kernel_vsyscall (from
    system_call.S's CFI), then the signal-frame CIE ("zRS") and the FDEs of the two
    trampolines, each FDE with its pc_begin (position dependent) zeroed."""
    eh = elf.section(".eh_frame")
    entries, off = [], 0
    while off < len(eh) and len(entries) < 5:
        length, cie_id = struct.unpack_from("<II", eh, off)
        body = bytearray(eh[off:off + 4 + length])
        if cie_id:
            body[8:12] = bytes(4)
        entries.append(bytes(body))
        off += 4 + length
    return entries


def test_entry_and_sigreturn_unwind_info_match_the_hosts(tmp_path, image):
    """The CFI of __kernel_vsyscall and the hand-written CFI of the trampolines (CFA and
    registers from the sigcontext, so gdb can unwind through a signal handler) are the
    host kernel's, byte for byte."""
    host, _ = _native_vdso32(tmp_path)
    ours = _entry_unwind_info(image)
    assert [e[9:13] for e in ours if not struct.unpack_from("<I", e, 4)[0]] == [b"zR\0\x01", b"zRS\0"]
    assert ours == _entry_unwind_info(host)


# ----- the clock functions, run natively on a data page written here ------------------------------

def _expected_clock_lines(tag: str, real_sec: int) -> list:
    """What vdso32_clocks prints for a page with these bases (see its fill_page)."""
    mono_ns = 1000000 * 10**9 + 987654321
    back = (mono_ns - 12345) % 4000000              # coarse clocks: back to the last tick
    bases = {0: (real_sec, 123456789), 1: (1000000, 987654321), 4: (999999, 1),
             5: (real_sec, 123456789 - back), 6: (1000000, 987654321 - back), 7: (1000005, 5),
             11: (real_sec + 37, 999999999)}
    lines = []
    for clock, (sec, nsec) in bases.items():
        res = "0.004000000" if clock in (5, 6) else "0.000000001"
        sec32 = (sec + 2**31) % 2**32 - 2**31       # old_timespec32: the low 32 bits
        lines.append(f"{tag} clock {clock}: 0 {sec32}.{nsec:09d} | 0 {sec}.{nsec:09d} | res 0 {res}")
    real32 = (real_sec + 2**31) % 2**32 - 2**31
    lines.append(f"{tag} gettimeofday: 0 {real32}.123456 tz -60 1")
    lines.append(f"{tag} time: {real32} {real32}")
    return lines


def test_clock_functions_answer_from_the_page_and_fall_back_to_the_syscalls():
    """Every exported clock function, on i386: the clocks' bases (shifted or not), the
    coarse clocks' tick, 32-bit truncation after 2038 in the old calls, the timezone; and
    with clock_mode NONE, the real syscalls' answers through __kernel_vsyscall."""
    exe = _build32("vdso32_clocks", f"-I{VDSO_DIR}")
    out, err, rc = run_native([exe, IMAGE])
    assert rc == 0, out + err
    expected = (_expected_clock_lines("page", 1767225600) + _expected_clock_lines("shifted", 1767225600)
                + _expected_clock_lines("y2038", 2**32 + 5)
                + ["fallback getres(MONOTONIC): 0 same 1", "fallback bad clock: -22 -22 -22",
                   "fallback gettime(MONOTONIC): 0 ordered 1", "fallback gettime64(MONOTONIC): 0 ordered 1",
                   "fallback gettimeofday 0 time ordered 1"])
    assert out.decode().splitlines() == expected


# ----- mapping it --------------------------------------------------------------------------------

def _kernel_and_mm(compat: bool):
    from factories import make_kernel, make_mm
    kernel = make_kernel(mem_size=16 << 20)
    mm = make_mm(kernel)
    if compat:                                      # what the loader sets for an i386 program
        mm.task_size = 0xFFFF_E000
        mm.mmap_base = mm.free_area_cache = 0xF7FF_E000
    return kernel, mm


def test_a_compat_mm_maps_vdso32_below_mmap_base():
    """load_vdso32: [vvar] (4 pages) and the 2-page [vdso] end at mmap_base 0xf7ffe000:
    [vdso] is where the host puts its own under `setarch -R`, f7ffc000-f7ffe000, and
    [vvar] the 4 pages below it, as in 6.1 (the host's [vvar_vclock] between them came
    later); the pages hold vdso32.so. A 64-bit mm keeps vdso64.so."""
    from glasskernel.arch.x86.entry.vdso import vma as vdso_vma
    kernel, mm = _kernel_and_mm(compat=True)
    text = vdso_vma.map_vdso(kernel, mm, 0)
    areas = [(v.start, v.end, v.name) for v in mm.vmas]
    assert areas == [(0xF7FF8000, 0xF7FFC000, "[vvar]"), (0xF7FFC000, 0xF7FFE000, "[vdso]")]
    assert text == mm.vdso == 0xF7FFC000
    frame = mm.vmas[1].file.frames[0]
    data = IMAGE.read_bytes()
    assert bytes(kernel.phys.view[frame:frame + len(data)]) == data
    kernel64, mm64 = _kernel_and_mm(compat=False)
    vdso_vma.map_vdso(kernel64, mm64, 0)
    frame = mm64.vmas[1].file.frames[0]
    assert bytes(kernel64.phys.view[frame:frame + 4]) == b"\x7fELF"
    assert kernel64.phys.view[frame + 4] == 2                  # ELFCLASS64
    assert vdso_vma.vdso_image_32(kernel) is vdso_vma.vdso_image_32(kernel)
    from factories import release_kernel
    release_kernel(kernel)
    release_kernel(kernel64)


# ----- under glasskernel: an i386 program ------------------------------------------------------

_COMPAT = (REPO_ROOT / "glasskernel" / "arch" / "x86" / "entry" / "syscall_32.py").exists()
needs_compat = pytest.mark.skipif(not _COMPAT, reason="no compat mode (i386) in this kernel yet")


def _needs_ia32_rows(*names: str) -> None:
    """Skip until the i386 table has these syscalls (the compat syscall work adds them)."""
    from glasskernel.arch.x86.entry.syscall_32 import ia32_sys_call_table
    from glasskernel.uapi.unistd_32 import NR
    missing = [n for n in names if int(getattr(NR, n)) not in ia32_sys_call_table()]
    if missing:
        pytest.skip(f"no i386 {', '.join(missing)} yet")


@needs_compat
def test_an_i386_program_finds_vdso32_through_its_auxv():
    """Under glasskernel, AT_SYSINFO_EHDR is an image exporting what vdso32.so does, and
    AT_SYSINFO is its entry point, __kernel_vsyscall."""
    exe = _build32("vdso32_syms")
    out, err, rc = harness.run_glasskernel([exe])
    harness.assert_no_traceback(err)
    ours = run_native([exe, IMAGE])[0].decode().splitlines()
    assert (rc, sorted(out.decode().splitlines())) == (0, sorted(ours + ["AT_SYSINFO=e_entry"])), err


@needs_compat
def test_an_i386_programs_vdso_sits_where_the_hosts_does():
    """[vdso] of an i386 program: f7ffc000-f7ffe000, as the host's under `setarch -R`;
    [vvar] the 4 pages below it (6.1 has no [vvar_vclock])."""
    _needs_ia32_rows("openat")
    exe = _build32("vdso32_syms")
    out, err, rc = harness.run_glasskernel([exe, "--maps"])
    harness.assert_no_traceback(err)
    assert out.decode().splitlines() == ["f7ff8000-f7ffc000 r--p [vvar]",
                                         "f7ffc000-f7ffe000 r-xp [vdso]"], err
    native = subprocess.run(["setarch", "-R", exe, "--maps"], capture_output=True, text=True)
    if native.returncode == 0:
        assert "f7ffc000-f7ffe000 r-xp [vdso]" in native.stdout.splitlines()


@needs_compat
def test_i386_clocks_match_native():
    """tests/programs/vdso_clocks.c built for i386 (glibc reads the clocks through
    __vdso_clock_gettime64 and friends): every clock id's result and errno, the
    orderings, across fork and sleeps, as natively."""
    _needs_ia32_rows("clock_gettime", "clock_gettime64", "clock_getres", "clock_nanosleep", "openat")
    harness.differential([_build32("vdso_clocks")])


@needs_compat
@pytest.mark.parametrize("link", ["static", "dynamic"])
def test_i386_clock_gettime_makes_no_syscall(link, tmp_path):
    """A loop of clock_gettime calls in an i386 program reads the [vvar] page through the
    vDSO: the clock moves and never goes back, and 20000 calls make no more syscalls than
    one does (counted, not named: the count needs no i386 syscall names in the log). A
    dynamic program finds the vDSO through ld.so's link map ("linux-gate.so.1")."""
    if link == "dynamic":
        _needs_ia32_rows("openat", "access", "writev")
        if not Path("/lib/ld-linux.so.2").exists():
            pytest.skip("no i386 ld.so")
    exe = _build32("vdso_loop", *(("-no-static",) if link == "dynamic" else ()))
    counts = []
    for calls in (1, 20000):
        log = tmp_path / f"strace-{calls}.log"
        out, err, rc = harness.run_glasskernel([exe, str(calls)], extra_opts=(f"--strace={log}",))
        harness.assert_no_traceback(err)
        assert (out, rc) == (run_native([exe, str(calls)])[0], 0), err
        assert out == f"calls {calls} backwards 0 moved yes\n".encode()
        trace = log.read_text()
        assert "+++ exited with 0 +++" in trace
        counts.append(len(trace.splitlines()))
    assert counts[0] == counts[1], (tmp_path / "strace-20000.log").read_text()[-3000:]


@needs_compat
def test_mremap_of_the_vdso_through_sysenter_returns_to_the_moved_landing_pad():
    """An i386 mremap that moves [vdso], made through __kernel_vsyscall: the sysenter
    return goes to int80_landing_pad in the moved image (vdso_fix_landing), not to the
    old address (a SIGSEGV); the moved entry point keeps working."""
    _needs_ia32_rows("mremap")
    harness.differential([_build32("vdso32_remap")])


@needs_compat
def test_handlers_without_sa_restorer_return_through_the_vdso_trampolines():
    """sigaction(2) and rt_sigaction(2) with no SA_RESTORER: the handler's return address
    is __kernel_sigreturn / __kernel_rt_sigreturn in [vdso], and through them the program
    comes back to where it was, as natively."""
    _needs_ia32_rows("sigaction", "rt_sigaction", "kill", "sigreturn", "rt_sigreturn")
    harness.differential([_build32("vdso32_sigreturn")])
