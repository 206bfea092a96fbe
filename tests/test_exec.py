"""execve/execveat: static musl and glibc programs, #! scripts, argv/envp,
close-on-exec, signal dispositions across exec, and the refused cases
(tests/programs/lc_exec.c driving tests/programs/lc_probe.c, differential).

Scripts are written to a tmp dir at test time; their interpreters are
/bin/busybox and our own lc_probe, which prints its argv so the layout
``interpreter [one-argument] script args...`` is checked exactly.

Linux 6.1 and the host's 6.18 agree on everything here (including
execve(path, NULL, NULL) running the program with argc 1 and argv[0] "",
added in 5.18).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import harness
from harness import differential

pytestmark = pytest.mark.timeout(300)

BUSYBOX = "/bin/busybox"


def write_script(path: Path, text: str, mode: int = 0o755) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", ["basic", "nullargv", "fds", "sigs", "maxarg", "execveat"])
def test_exec_modes(build, toolchain, mode):
    """basic: argv/envp passed exactly; nullargv: argc 1 with argv[0] "";
    fds: FD_CLOEXEC descriptors closed, others kept; sigs: caught -> SIG_DFL,
    ignored stay SIG_IGN, blocked mask kept; maxarg: a 131071-byte argument
    and environment string pass; execveat: AT_EMPTY_PATH on O_PATH and
    O_RDONLY fds, dirfd + name."""
    exe = build("lc_exec", toolchain)
    probe = build("lc_probe", toolchain)
    native, _ = differential([exe, mode, probe])
    assert native[2] == 0, native
    assert b"probe: argc=" in native[0]


def test_exec_other_libc(build, toolchain):
    """A musl program execs a glibc one and vice versa."""
    other = "glibc" if toolchain == "musl" else "musl"
    exe = build("lc_exec", toolchain)
    probe = build("lc_probe", other)
    native, _ = differential([exe, "basic", probe])
    assert b"probe: argv[1]=[a b]" in native[0]


def test_exec_errors(build, toolchain, tmp_path):
    """ENOENT, EACCES (no x bit; a directory), ENOEXEC (junk), ENOTDIR,
    E2BIG (one string > MAX_ARG_STRLEN; 2.5 MB in total with an 8 MiB stack
    limit), EFAULT (argv, argv[i], envp, path), execveat misuse; the caller
    carries on after every failure."""
    (tmp_path / "subdir").mkdir()
    write_script(tmp_path / "noexec", "#!/bin/busybox sh\necho hi\n", 0o644)
    (tmp_path / "junk").write_bytes(b"this is not a program\n\x00\x01\x02\x03" * 10)
    (tmp_path / "junk").chmod(0o755)
    write_script(tmp_path / "badinterp", "#!/nonexistent/interpreter\necho hi\n")
    exe = build("lc_exec", toolchain)
    probe = build("lc_probe", toolchain)
    native, _ = differential([exe, "errors", probe, tmp_path])
    out = native[0].decode()
    for line in ["missing file: ret -1 errno ENOENT",
                 "no x bit: ret -1 errno EACCES",
                 "directory: ret -1 errno EACCES",
                 "junk file: ret -1 errno ENOEXEC",
                 "argument of 131072 bytes: ret -1 errno E2BIG",
                 "25 arguments of 100 KiB: ret -1 errno E2BIG",
                 "argv pointer bad: ret -1 errno EFAULT",
                 "caller intact after failed execs: yes"]:
        assert line in out, out


# --------------------------------------------------------------------------
# #! scripts
# --------------------------------------------------------------------------

def test_shebang_busybox_sh(build, toolchain, tmp_path):
    """``#!/bin/busybox sh``: busybox gets argv [/bin/busybox, sh, SCRIPT,
    args...] (the caller's argv[0] is dropped) and runs the sh applet."""
    if not Path(BUSYBOX).exists():
        pytest.skip("needs /bin/busybox")
    script = write_script(tmp_path / "script.sh",
                          "#!/bin/busybox sh\n"
                          "echo \"0=$0\"\n"
                          "for a in \"$@\"; do echo \"arg=[$a]\"; done\n"
                          "echo \"n=$#\"\n"
                          "exit 3\n")
    exe = build("lc_exec", toolchain)
    native, _ = differential([exe, "run", script, "one", "two words", ""])
    assert native[2] == 3
    assert native[0] == (f"0={script}\narg=[one]\narg=[two words]\narg=[]\nn=3\n").encode()


@pytest.mark.parametrize("line,interp_args", [
    ("#!{probe}\n", []),
    ("#!{probe} one-arg\n", ["one-arg"]),
    ("#!{probe}  two  words  \n", ["two  words"]),
    ("#! \t{probe}\targ\n", ["arg"]),
    ("#!{probe} x\r\n", ["x\r"]),
], ids=["no-arg", "one-arg", "spaces", "leading-blanks", "cr"])
def test_shebang_argument_layout(build, toolchain, tmp_path, line, interp_args):
    """The interpreter gets [interp, (everything after its name as ONE
    argument, blanks trimmed at both ends)?, script path, args...]."""
    probe = build("lc_probe", toolchain)
    script = write_script(tmp_path / "s", line.format(probe=probe) + "not read by the probe\n")
    exe = build("lc_exec", toolchain)
    native, _ = differential([exe, "run", script, "a", "b c"])
    expected_argv = [str(probe), *interp_args, str(script), "a", "b c"]
    got = [ln for ln in native[0].decode().split("\n") if ln.startswith("probe: argv[") and "]=" in ln]
    assert got == [f"probe: argv[{i}]=[{a}]" for i, a in enumerate(expected_argv)], got


def test_shebang_nested(build, toolchain, tmp_path):
    """A script whose interpreter is a script: argv grows at the front
    [probe, inner-arg, inner, outer-arg, outer, args...]."""
    probe = build("lc_probe", toolchain)
    inner = write_script(tmp_path / "inner", f"#!{probe} inner-arg\n")
    outer = write_script(tmp_path / "outer", f"#!{inner} outer-arg\n")
    exe = build("lc_exec", toolchain)
    native, _ = differential([exe, "run", outer, "z"])
    expected = [str(probe), "inner-arg", str(inner), "outer-arg", str(outer), "z"]
    got = [ln for ln in native[0].decode().split("\n") if ln.startswith("probe: argv[") and "]=" in ln]
    assert got == [f"probe: argv[{i}]=[{a}]" for i, a in enumerate(expected)], got


def test_shebang_interpreter_not_executable(build, toolchain, tmp_path):
    """The interpreter must itself be executable: EACCES otherwise; a script
    that names itself loops until ELOOP."""
    noexec = write_script(tmp_path / "noexec-interp", "x", 0o644)
    script = write_script(tmp_path / "s", f"#!{noexec}\n")
    exe = build("lc_exec", toolchain)
    native, _ = differential([exe, "run", script])
    assert native[0] == b"execve: ret -1 errno EACCES\n"
    selfref = tmp_path / "self"
    write_script(selfref, f"#!{selfref}\n")
    native, _ = differential([exe, "run", selfref])
    assert native[0] == b"execve: ret -1 errno ELOOP\n"


def test_glasskernel_runs_script_directly(tmp_path):
    """The program given to ``glasskernel run`` may itself be a #! script."""
    if not Path(BUSYBOX).exists():
        pytest.skip("needs /bin/busybox")
    script = write_script(tmp_path / "direct.sh", "#!/bin/busybox sh\necho \"direct $1\"\nexit 6\n")
    native, _ = differential([script, "arg"])
    assert native == (b"direct arg\n", b"", 6)


def test_etxtbsy(build, toolchain, tmp_path):
    """A running program is not writable and a file open for writing is not executable."""
    exe = build("etxtbsy", toolchain)
    native, _ = differential([exe, tmp_path / "copy"])
    assert b"exec while open for writing: status 99\nexec after close: status 7\n" in native[0]
