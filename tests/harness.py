"""Differential test harness: build our C test programs, run them natively and
under glasskernel, and compare.

The pattern is byterun's tests/vmtest.py: every test runs the same thing twice,
once on the real Linux kernel (the oracle) and once under glasskernel, and
compares stdout, stderr and exit status.

Build cache
    tests/programs/NAME.c is compiled with ``musl-gcc -static -O1`` ("musl")
    and ``gcc -static -O1`` ("glibc") into $GLASSKERNEL_TEST_CACHE, or
    ~/.cache/glasskernel-tests/.  The file name carries a hash of the source,
    the compiler's identity and the flags, so reruns do not compile.

Environment
    Both runs get the same small fixed environment (``TEST_ENV``), so that
    programs which print their environment give comparable output.
    glasskernel passes its own environment to the guest, so the
    ``python -m glasskernel`` process is started with exactly that
    environment.  LANG is C.UTF-8 on purpose: with a "C" locale Python would
    coerce the locale (PEP 538) and add LC_CTYPE to its environ, which the
    guest would then inherit.

Exit status
    ``run_native`` reports a signal death as 128+N (what a shell and what
    glasskernel report), not subprocess's -N.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
PROGRAMS_DIR = TESTS_DIR / "programs"
REPO_ROOT = TESTS_DIR.parent

CFLAGS = ("-static", "-O1", "-g0", "-Wall")

# toolchain name -> compiler executable; "m32": i386 programs (glibc, gcc-multilib)
TOOLCHAINS = {"musl": "musl-gcc", "glibc": "gcc", "m32": "gcc"}
TOOLCHAIN_FLAGS = {"m32": ("-m32",)}

# The controlled environment given to both native and glasskernel runs.
TEST_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "TZ": "UTC",
    "GK_TEST_VAR": "some value with spaces",
}

NATIVE_TIMEOUT = 60
GLASSKERNEL_TIMEOUT = 300


class BuildError(Exception):
    """The compiler failed (or is missing) for a test program."""


# --------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------

def cache_dir() -> Path:
    """Where compiled test programs live between runs."""
    env = os.environ.get("GLASSKERNEL_TEST_CACHE")
    path = Path(env) if env else Path.home() / ".cache" / "glasskernel-tests"
    path.mkdir(parents=True, exist_ok=True)
    return path


def compiler_available(toolchain: str) -> bool:
    return shutil.which(TOOLCHAINS[toolchain]) is not None


_compiler_ids: dict[str, str] = {}


def _compiler_identity(compiler: str) -> str:
    """Path + version text of a compiler, part of the cache key."""
    if compiler not in _compiler_ids:
        path = shutil.which(compiler)
        if path is None:
            raise BuildError(f"{compiler} not found in PATH")
        out = subprocess.run([path, "--version"], capture_output=True, text=True)
        ident = path + "\n" + out.stdout
        # musl-gcc is a wrapper script around gcc: its specs file matters too.
        try:
            ident += Path(path).read_text(errors="replace")
        except OSError:
            pass
        _compiler_ids[compiler] = ident
    return _compiler_ids[compiler]


def build(name: str, toolchain: str, defines: tuple = ()) -> Path:
    """Compile tests/programs/NAME.c for TOOLCHAIN; return the binary's path.
    ``defines`` ("KEY=VALUE" strings) become -D flags: variants of one program.

    Cached by a hash of (source, compiler identity, flags).  The binary is
    written to a temporary name and renamed, so concurrent test runs never
    see a half-written file.
    """
    if toolchain not in TOOLCHAINS:
        raise ValueError(f"unknown toolchain {toolchain!r}")
    compiler = TOOLCHAINS[toolchain]
    src = PROGRAMS_DIR / f"{name}.c"
    source = src.read_bytes()
    key = hashlib.sha256()
    key.update(source)
    for header in re.findall(rb'^#include "([^"]+)"', source, re.M):   # local headers too
        key.update((PROGRAMS_DIR / header.decode()).read_bytes())
    key.update(_compiler_identity(compiler).encode())
    flags = (*CFLAGS, *TOOLCHAIN_FLAGS.get(toolchain, ()), *(f"-D{define}" for define in defines))
    key.update(repr(flags).encode())
    out = cache_dir() / f"{name}-{toolchain}-{key.hexdigest()[:16]}"
    if out.exists():
        return out
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{name}-")
    os.close(fd)
    try:
        proc = subprocess.run([compiler, *flags, "-o", tmp, str(src)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"{compiler} failed on {src.name}:\n{proc.stderr}")
        os.chmod(tmp, 0o755)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------

def exit_status(returncode: int) -> int:
    """subprocess's -N for "killed by signal N" becomes the shell's 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def _env(env: dict | None) -> dict:
    return dict(TEST_ENV if env is None else env)


def run_native(argv, env=None, cwd=None, stdin=None, timeout=NATIVE_TIMEOUT):
    """Run ARGV on the host kernel. Returns (stdout, stderr, status).

    STDIN is bytes to feed, or None for /dev/null.  A signal death is
    reported as 128+N.
    """
    proc = subprocess.run([str(a) for a in argv], env=_env(env), cwd=cwd,
                          input=stdin if stdin is not None else b"",
                          capture_output=True, timeout=timeout)
    return proc.stdout, proc.stderr, exit_status(proc.returncode)


def glasskernel_command(argv, extra_opts=()) -> list[str]:
    """The command line for ``glasskernel run``.  $GLASSKERNEL_TEST_COMMAND
    (split like a shell would) replaces ``python -m glasskernel``, e.g. to
    test an installed copy or to check the tests against a stand-in."""
    base = shlex.split(os.environ.get("GLASSKERNEL_TEST_COMMAND", "")) or \
        [sys.executable, "-m", "glasskernel"]
    return [*base, "run", *[str(o) for o in extra_opts], *[str(a) for a in argv]]


def run_glasskernel(argv, extra_opts=(), env=None, cwd=None, stdin=None,
                    timeout=GLASSKERNEL_TIMEOUT):
    """Run ARGV under ``python -m glasskernel run [EXTRA_OPTS] ARGV``.

    Returns (stdout, stderr, status).  The glasskernel process gets exactly
    ENV (default TEST_ENV), which it passes on to the guest.  Its exit status
    is the guest's (128+N on signal death).
    """
    proc = subprocess.run(glasskernel_command(argv, extra_opts), env=_env(env),
                          cwd=cwd, input=stdin if stdin is not None else b"",
                          capture_output=True, timeout=timeout)
    return proc.stdout, proc.stderr, proc.returncode


# --------------------------------------------------------------------------
# Comparing
# --------------------------------------------------------------------------

def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="backslashreplace")


def diff_text(expected: bytes, actual: bytes, what: str, limit: int = 60) -> str:
    """A unified diff of two outputs, cut to LIMIT lines."""
    lines = list(difflib.unified_diff(
        _text(expected).splitlines(keepends=True), _text(actual).splitlines(keepends=True),
        fromfile=f"{what} (native)", tofile=f"{what} (glasskernel)"))
    if len(lines) > limit:
        lines = lines[:limit] + [f"... {len(lines) - limit} more diff lines\n"]
    return "".join(lines) or f"{what}: (no line diff; byte-level difference)\n"


def assert_no_traceback(stderr: bytes) -> None:
    text = _text(stderr)
    assert "Traceback (most recent call last)" not in text, \
        "glasskernel printed a Python traceback:\n" + text[-4000:]


def compare(native, guest, *, check_stderr=True, label="") -> None:
    """Assert two (stdout, stderr, status) triples are equal, with diffs."""
    n_out, n_err, n_rc = native
    g_out, g_err, g_rc = guest
    problems = []
    if n_rc != g_rc:
        problems.append(f"exit status: native {n_rc}, glasskernel {g_rc}\n")
    if n_out != g_out:
        problems.append(diff_text(n_out, g_out, "stdout"))
    if check_stderr and n_err != g_err:
        problems.append(diff_text(n_err, g_err, "stderr"))
    if problems:
        head = f"differential mismatch {label}\n" if label else "differential mismatch\n"
        tail = ""
        if g_err and not (check_stderr and n_err != g_err):
            tail = "\nglasskernel stderr:\n" + _text(g_err)[-3000:]
        raise AssertionError(head + "".join(problems) + tail)


def differential(argv, *, guest_argv=None, extra_opts=(), env=None, cwd=None,
                 stdin=None, check_stderr=True, native_timeout=NATIVE_TIMEOUT,
                 timeout=GLASSKERNEL_TIMEOUT):
    """Run ARGV natively and under glasskernel; assert same stdout, stderr and
    exit status.  Returns (native, guest) triples for further checks.

    GUEST_ARGV, if given, is what glasskernel runs instead of ARGV (e.g. the
    same program at its path inside a --root).
    """
    native = run_native(argv, env=env, cwd=cwd, stdin=stdin, timeout=native_timeout)
    guest = run_glasskernel(guest_argv or argv, extra_opts=extra_opts, env=env, cwd=cwd,
                            stdin=stdin, timeout=timeout)
    assert_no_traceback(guest[1])
    compare(native, guest, check_stderr=check_stderr, label=" ".join(map(str, argv)))
    return native, guest


def differential_scratch(exe, tmp_path):
    """differential for a program whose argv[1] is a scratch directory to work in: the
    native and the guest run each get their own, under tmp_path."""
    dirs = [tmp_path / "native", tmp_path / "guest"]
    for d in dirs:
        d.mkdir()
    native = run_native([exe, dirs[0]])
    guest = run_glasskernel([exe, dirs[1]])
    assert_no_traceback(guest[1])
    compare(native, guest, label=str(exe))
    return native, guest


def signal_message(signum: int) -> str:
    """The shell's text for a death by SIGNUM ("Segmentation fault")."""
    return signal.strsignal(signum) or f"Signal {signum}"
