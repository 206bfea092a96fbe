"""Dynamically linked programs (issue 17): load_elf_binary with an interpreter.

Every test is differential: the same program runs on the host kernel and under
glasskernel, and stdout, stderr and the exit status must agree.

- programs as `gcc` builds them: a dynamic PIE, -no-pie, dlopen(), ld.so run directly;
- bad interpreters: execve's errno (missing, not ELF, too short, wrong machine, not
  executable, PT_INTERP too short or without its NUL) and the shells' messages;
- the host's own tools, each group as one `dash -c` pipeline inside glasskernel;
- busybox sh and bash running dynamic programs (no ENOEXEC fallback);
- the sandbox: what a dynamic program does leaves the host unchanged.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import harness
from harness import compare, differential, run_glasskernel, run_native
from test_sandbox import assert_unchanged, snapshot

LDSO = Path("/lib64/ld-linux-x86-64.so.2")
PT_LOAD, PT_INTERP = 1, 3
BUSYBOX = Path("/usr/bin/busybox")
BASH_STATIC = Path("/bin/bash-static")

pytestmark = pytest.mark.skipif(not LDSO.exists() or shutil.which("gcc") is None,
                                reason="needs gcc and the host's dynamic linker")


def build_dynamic(name: str, *flags: str) -> Path:
    """tests/programs/NAME.c built by plain gcc with FLAGS (dynamically linked), cached
    by a hash of the source and flags like harness.build."""
    src = harness.PROGRAMS_DIR / f"{name}.c"
    key = hashlib.sha256(src.read_bytes() + repr(flags).encode()).hexdigest()[:16]
    out = harness.cache_dir() / f"{name}-dyn-{key}"
    if not out.exists():
        tmp = out.with_name(out.name + f".{os.getpid()}")
        subprocess.run(["gcc", "-O1", *flags, "-o", tmp, src, "-ldl"], check=True,
                       capture_output=True)
        os.replace(tmp, out)
    return out


def phdrs(data: bytes):
    """(offset of each program header, its p_type)."""
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    return [(phoff + i * phentsize, struct.unpack_from("<I", data, phoff + i * phentsize)[0])
            for i in range(phnum)]


def interp_header(data: bytes) -> int:
    return next(off for off, kind in phdrs(data) if kind == PT_INTERP)


def with_interp(data: bytes, name: bytes, *, nul: bool = True, filesz: int | None = None) -> bytes:
    """The program with its PT_INTERP string replaced (in place: no longer than the old one)."""
    buf = bytearray(data)
    ph = interp_header(data)
    p_offset, = struct.unpack_from("<Q", data, ph + 8)
    old_size, = struct.unpack_from("<Q", data, ph + 32)
    text = name + (b"\0" if nul else b"")
    assert len(text) <= old_size
    buf[p_offset:p_offset + old_size] = text.ljust(old_size, b"\0" if nul else b"x")
    if filesz is not None:
        struct.pack_into("<Q", buf, ph + 32, filesz)
    return bytes(buf)


def write_exe(path: Path, data: bytes, mode: int = 0o755) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


# ----- programs as gcc builds them ----------------------------------------------------------

def test_gcc_dynamic_pie():
    """`gcc prog.c`: a PIE with an interpreter, at ELF_ET_DYN_BASE, ld.so at its own base."""
    exe = build_dynamic("dyn_hello")
    assert struct.unpack_from("<H", exe.read_bytes(), 16)[0] == 3          # ET_DYN
    native, _ = differential([exe, "one", "two words"])
    assert b"interpreter mapped: yes\nAT_ENTRY is main's program: yes\n" in native[0]


def test_gcc_no_pie():
    exe = build_dynamic("dyn_hello", "-no-pie")
    assert struct.unpack_from("<H", exe.read_bytes(), 16)[0] == 2          # ET_EXEC
    differential([exe, "x"])


def test_ld_so_runs_the_program():
    """ld.so as the program (ET_DYN without PT_INTERP): it maps and runs its argument."""
    differential([LDSO, build_dynamic("dyn_hello"), "via", "ld.so"])
    differential([LDSO, "--verify", build_dynamic("dyn_hello")])


def test_dlopen(tmp_path):
    lib = tmp_path / "libanswer.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", lib, harness.PROGRAMS_DIR / "dyn_lib.c"],
                   check=True)
    native, _ = differential([build_dynamic("dyn_dlopen"), lib])
    assert native[0] == (b"cos(0) = 1.0\nlibrary constructor ran\nanswer() = 42\n"
                         b"missing library: refused\n")


# ----- bad interpreters ---------------------------------------------------------------------

def _bad_interp_cases(tmp: Path) -> dict:
    """name -> program file, each with a broken interpreter (relative to tmp)."""
    good = build_dynamic("dyn_hello").read_bytes()
    ldso = LDSO.resolve().read_bytes()
    write_exe(tmp / "text", b"#!/bin/sh\necho not an ELF\n")
    write_exe(tmp / "short", b"\x7fELF\x02\x01\x01")
    write_exe(tmp / "i386", ldso[:18] + struct.pack("<H", 3) + ldso[20:])
    write_exe(tmp / "noexec", ldso, mode=0o644)
    cases = {
        "missing": with_interp(good, b"./nonexistent-ld.so"),
        "not_elf": with_interp(good, b"./text"),
        "too_short": with_interp(good, b"./short"),
        "wrong_machine": with_interp(good, b"./i386"),
        "not_executable": with_interp(good, b"./noexec"),
        "directory": with_interp(good, b"."),
        "no_nul": with_interp(good, b"./text", nul=False),
        "pt_interp_1_byte": with_interp(good, b"./text", filesz=1),
    }
    return {name: write_exe(tmp / f"prog-{name}", data) for name, data in cases.items()}


def test_bad_interpreters_give_linux_errno(build, tmp_path):
    """execve's errno for each broken interpreter is the host kernel's."""
    probe = build("exec_errno", "musl")
    for name, prog in _bad_interp_cases(tmp_path).items():
        argv = [probe, f"./{prog.name}"]
        native = run_native(argv, cwd=tmp_path)
        guest = run_glasskernel(argv, cwd=tmp_path)
        harness.assert_no_traceback(guest[1])
        compare(native, guest, label=name)
        assert native[0].startswith(b"execve ./prog-"), (name, native)


@pytest.mark.parametrize("shell", [BASH_STATIC, BUSYBOX], ids=lambda p: p.name)
def test_bad_interpreters_shell_messages(shell, tmp_path):
    """A shell running such a program prints the same message natively and here."""
    if not shell.exists():
        pytest.skip(f"{shell} is not installed")
    progs = _bad_interp_cases(tmp_path)
    script = "; ".join(f"./{p.name}; echo status $?" for p in progs.values())
    argv = [shell, "-c", script]
    if shell == BUSYBOX:
        argv = [shell, "sh", "-c", script]
    differential(argv, cwd=tmp_path)


def test_segment_over_an_existing_mapping(tmp_path):
    """An ET_EXEC segment where the stack is: Linux refuses the mapping after the point of
    no return (MAP_FIXED_NOREPLACE: EEXIST) and the task dies of SIGSEGV."""
    data = bytearray(build_dynamic("dyn_hello", "-no-pie").read_bytes())
    load = next(off for off, kind in phdrs(bytes(data)) if kind == PT_LOAD)
    struct.pack_into("<QQ", data, load + 16, 0x7FFFFFFDE000, 0x7FFFFFFDE000)   # vaddr, paddr
    exe = write_exe(tmp_path / "over-stack", bytes(data))
    native = run_native([exe])
    guest = run_glasskernel([exe])
    harness.assert_no_traceback(guest[1])
    assert native[2] == guest[2] == 139


# ----- the host's tools -----------------------------------------------------------------------

PYTHON_SCRIPT = r'''
import ctypes, ctypes.util, hashlib, json, os, subprocess, threading, zlib
from multiprocessing import Pool
def square(x): return x * x
if __name__ == "__main__":
    pid = os.fork()
    if pid == 0: os._exit(5)
    print("fork", os.waitpid(pid, 0)[1] >> 8)
    print(subprocess.run(["echo", "sub"], capture_output=True).stdout)
    seen = []
    threads = [threading.Thread(target=seen.append, args=(i,)) for i in range(4)]
    [t.start() for t in threads]; [t.join() for t in threads]
    print("threads", sorted(seen))
    with Pool(2) as pool: print("pool", pool.map(square, range(6)))
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    libm.cos.restype, libm.cos.argtypes = ctypes.c_double, [ctypes.c_double]
    print("cos", libm.cos(0.0))
    print(json.dumps({"a": [1, 2]}), hashlib.sha256(b"x").hexdigest()[:12],
          len(zlib.compress(b"a" * 1000)))
'''

MAKEFILE = "all: c\na:\n\techo a > a.out\nb:\n\techo b > b.out\nc: a b\n\tcat a.out b.out\n"

HOST_TOOLS = {
    "coreutils": "ls -la /usr/bin/ls /etc/hostname | sed 's/  */ /g'; seq 1 500 | sort -rn | head -3;"
                 " echo abc | sha256sum; env -i A=1 B=2 env; printf 'b\\na\\n' | sort | wc -l;"
                 " timeout 5 sleep 0.1; echo timeout $?; timeout 1 sleep 10; echo timeout $?",
    "text": "find /usr/include/linux -name 'fcntl.h' | head -1;"
            " grep -c define /usr/include/linux/fcntl.h; printf 'a b\\nc d\\n' | sed s/a/X/ |"
            " awk '{print $2, NR}'",
    "archives": "mkdir -p d && cp /usr/include/linux/fcntl.h /usr/include/linux/stat.h d/ &&"
                " tar czf a.tgz d && tar tzf a.tgz | sort && tar cJf a.txz d && tar tJf a.txz | wc -l"
                " && bzip2 -c d/stat.h | bzip2 -dc | cmp - d/stat.h && echo bzip2 ok",
    "dash": "f() { echo in f $1; }; f x; trap 'echo trapped' EXIT; (exit 3); echo $?;"
            " sleep 0.1 & wait $!; echo waited $?",
    "bash": "bash -c 'set -o pipefail; false | true; echo pipefail $?; cat <(echo procsub);"
            " sleep 0.1 & jobs | wc -l; wait; trap \"echo bye\" EXIT; echo ${BASH_VERSINFO[0]}'",
    "perl": "perl -e 'my $p = fork; if (!$p) { exit 7 } waitpid($p, 0); print $? >> 8, \"\\n\";"
            " open(F, \"echo piped|\"); print <F>; print join(\",\", map { $_ * 2 } 1..3), \"\\n\"'",
    "python": "/usr/bin/python3 script.py",
    "git": "git init -q repo && cd repo && git config user.email a@b && git config user.name A"
           " && echo hi > f && git add f && git commit -qm first && git log --format=%s &&"
           " git status --short | wc -l",
    "make": "make -s -j2 -f Makefile.t",
    "gcc": "gcc -o hello hello.c && ./hello",
    "sqlite_jq": "sqlite3 :memory: 'create table t(a); insert into t values (1),(2); select sum(a) from t;'"
                 " && echo '{\"a\":[1,2,3]}' | jq '.a | add'",
}
TOOLS_NEEDED = {"perl": "perl", "python": "/usr/bin/python3", "git": "git", "make": "make",
                "sqlite_jq": "sqlite3", "archives": "xz"}


def _tool_workdir(top: Path, name: str) -> Path:
    work = top / name
    work.mkdir()
    (work / "script.py").write_text(PYTHON_SCRIPT)
    (work / "Makefile.t").write_text(MAKEFILE)
    (work / "hello.c").write_text('#include <stdio.h>\nint main(void){puts("compiled");return 0;}\n')
    return work


@pytest.mark.timeout(600)
@pytest.mark.parametrize("group", sorted(HOST_TOOLS))
def test_host_tools(group, tmp_path):
    """Each group runs as one dash pipeline, natively and inside glasskernel, each in a
    directory of its own: the same stdout, stderr and status."""
    needed = TOOLS_NEEDED.get(group)
    if needed and shutil.which(needed) is None:
        pytest.skip(f"{needed} is not installed")
    argv = ["/usr/bin/dash", "-c", HOST_TOOLS[group]]
    native = run_native(argv, cwd=_tool_workdir(tmp_path, "native"), timeout=120)
    guest = run_glasskernel(argv, cwd=_tool_workdir(tmp_path, "guest"))
    harness.assert_no_traceback(guest[1])
    compare(native, guest, label=group)
    assert native[2] == 0, native


# ----- shells running dynamic programs --------------------------------------------------------

@pytest.mark.parametrize("shell", [BASH_STATIC, BUSYBOX], ids=lambda p: p.name)
def test_static_shells_run_dynamic_programs(shell):
    """busybox sh and bash-static exec /usr/bin's programs (they used to get ENOEXEC and
    run the ELF file as a script)."""
    if not shell.exists():
        pytest.skip(f"{shell} is not installed")
    script = "/usr/bin/true && echo true ok; /usr/bin/id -u; /usr/bin/sleep 0; echo $?;" \
             " /usr/bin/printf '%s\\n' printed | /usr/bin/tr a-z A-Z"
    argv = [shell, "sh", "-c", script] if shell == BUSYBOX else [shell, "-c", script]
    native, _ = differential(argv)
    assert native[0] == b"true ok\n0\n0\nPRINTED\n"


# ----- the sandbox ------------------------------------------------------------------------------

SANDBOX_SCRIPT = r'''
import os, shutil, sys
d = sys.argv[1]
open(os.path.join(d, "new.txt"), "w").write("new\n")
with open(os.path.join(d, "keep.txt"), "a") as f: f.write("appended\n")
os.chmod(os.path.join(d, "keep.txt"), 0o600)
os.unlink(os.path.join(d, "gone.txt"))
os.rename(os.path.join(d, "sub"), os.path.join(d, "moved"))
os.setxattr(os.path.join(d, "moved", "f"), "user.k", b"v")
shutil.rmtree(os.path.join(d, "moved"))
os.symlink("/etc/passwd", os.path.join(d, "link"))
print(sorted(os.listdir(d)))
'''


def test_dynamic_program_leaves_host_unchanged(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "sub" / "f").write_text("f\n")
    (data / "keep.txt").write_text("keep\n")
    (data / "gone.txt").write_text("gone\n")
    script = tmp_path / "s.py"
    script.write_text(SANDBOX_SCRIPT)
    before = snapshot(tmp_path)
    out, err, rc = run_glasskernel(["/usr/bin/python3", script, data])
    harness.assert_no_traceback(err)
    assert rc == 0, err
    assert out == b"['keep.txt', 'link', 'new.txt']\n"
    assert_unchanged(before, snapshot(tmp_path))
