"""Build and load entry_shim.c, the C half of the CPU backend's syscall, exception and tick hooks.

The shim is compiled once with the host's C compiler (``cc``, or $CC) into a cache
directory and reused while its source is unchanged. Without a compiler glasskernel still
runs: cpu.py then does the same work through ctypes, at a few µs more per syscall and with
the emulator's per-instruction count as the tick (see cpu.py). $GLASSKERNEL_NO_SHIM=1
forces that path (the tests use it to keep it working).

This module does not import the emulator: cpu.py hands it the library's entry points.
What only a build needs (subprocess, tempfile, shutil) is imported by ``_compile``.
"""
import ctypes
import os
import sys
import time
from pathlib import Path

SOURCE = Path(__file__).with_name("entry_shim.c")
# What a syscall reads: number then arguments in the x86-64 calling convention.
SYSCALL_REG_NAMES = ("rax", "rdi", "rsi", "rdx", "r10", "r8", "r9")
# What the syscall hook reads besides (gk_entry.regs), and where the `syscall` instruction
# copies those two: the return rip to rcx, rflags to r11.
ENTRY_REG_NAMES = SYSCALL_REG_NAMES + ("rip", "rflags")
SAVED_REG_NAMES = ("rcx", "r11")
SYSCALL_REGS, ENTRY_REGS, SAVED_REGS = len(SYSCALL_REG_NAMES), len(ENTRY_REG_NAMES), len(SAVED_REG_NAMES)
SYSCALL_INSN_LEN = 2    # `syscall` is 0f 05

_loaded = None          # the CDLL, False when it cannot be built, None before the first try


class GkEntry(ctypes.Structure):
    """struct gk_entry (entry_shim.c): what the hooks and the kernel share."""
    _fields_ = [
        ("regs", ctypes.c_uint64 * ENTRY_REGS),
        ("ret", ctypes.c_uint64),
        ("ret_valid", ctypes.c_int64),
        ("in_hook", ctypes.c_int64),
        ("blocks_left", ctypes.c_int64),
        ("budget_expired", ctypes.c_int64),
        ("left_for_syscall", ctypes.c_int64),
        ("stop_at_event", ctypes.c_int64),
        ("stopped_at_event", ctypes.c_int64),
        ("uc", ctypes.c_void_p),
        ("reg_read_batch", ctypes.c_void_p),
        ("reg_write", ctypes.c_void_p),
        ("emu_stop", ctypes.c_void_p),
        ("on_syscall", ctypes.c_void_p),
        ("rax_id", ctypes.c_int64),
        ("reg_ids", ctypes.c_int * ENTRY_REGS),
        ("reg_ptrs", ctypes.c_void_p * ENTRY_REGS),
        ("cr2", ctypes.c_uint64),
        ("exception_vector", ctypes.c_int64),
        ("cr2_id", ctypes.c_int64),
        ("reg_read", ctypes.c_void_p),
        ("context_save", ctypes.c_void_p),
        ("context_restore", ctypes.c_void_p),
        ("on_exception", ctypes.c_void_p),
        ("fault_ctx", ctypes.c_void_p),
        ("fault_state", ctypes.c_void_p),
        ("cr3_id", ctypes.c_int64),
        ("context_switch", ctypes.c_void_p),
        ("reg_write_batch", ctypes.c_void_p),
        ("saved_ids", ctypes.c_int * SAVED_REGS),
        ("saved_ptrs", ctypes.c_void_p * SAVED_REGS),
        ("on_rdtsc", ctypes.c_void_p),
        ("rdx_id", ctypes.c_int64),
        ("rdtsc_reads", ctypes.c_uint64),
        ("syscall_ns", ctypes.c_uint64),
    ]


RET_OFFSET = GkEntry.ret.offset
ON_SYSCALL_CFUNC = ctypes.CFUNCTYPE(ctypes.c_int)
ON_EXCEPTION_CFUNC = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint32)
ON_RDTSC_CFUNC = ctypes.CFUNCTYPE(ctypes.c_uint64)


def fill_entry(entry: GkEntry, lib, uch, reg_ids: dict) -> None:
    """The shared gk_entry: the library's entry points (lib, the emulator's CDLL), the
    instance handle, and the ids and slots of the registers the hooks move."""
    def address(fn):
        return ctypes.cast(fn, ctypes.c_void_p).value
    entry.uc = uch.value
    for name in ("reg_read_batch", "reg_write", "emu_stop", "reg_read", "context_save",
                 "context_restore", "reg_write_batch"):
        setattr(entry, name, address(getattr(lib, "uc_" + name)))
    if hasattr(lib, "uc_context_switch"):       # the patched build's (emulator_build.py)
        entry.context_switch = address(lib.uc_context_switch)
    entry.rax_id, entry.rdx_id = reg_ids["rax"], reg_ids["rdx"]
    entry.cr2_id, entry.cr3_id = reg_ids["cr2"], reg_ids["cr3"]
    entry.exception_vector = -1
    base = ctypes.addressof(entry)
    for i, name in enumerate(ENTRY_REG_NAMES):
        entry.reg_ids[i] = reg_ids[name]
        entry.reg_ptrs[i] = base + 8 * i
    for i, name in enumerate(SAVED_REG_NAMES):
        entry.saved_ids[i] = reg_ids[name]
        entry.saved_ptrs[i] = base + 8 * (SYSCALL_REGS + i)


class HooksInPython:
    """The shim's syscall and rdtsc hooks done through ctypes, for when it cannot be
    built: a mixin of cpu.py's ``Cpu``, which hands it the emulator's C functions as
    ``_lib`` and the register ids as ``_reg_ids``."""

    __slots__ = ()

    def _hook_rdtsc_ctypes(self, _uch, _user) -> int:
        """gk_rdtsc_hook's work: edx:eax = the clock in ns; 1 = skip rdtsc."""
        now = self._on_rdtsc() if self._on_rdtsc is not None else time.monotonic_ns()
        self._entry.rdtsc_reads += 1
        for reg, value in (("rax", now & 0xFFFF_FFFF), ("rdx", now >> 32)):
            self._one.value = value
            self._lib.uc_reg_write(self._uch, self._reg_ids[reg], self._one_ref)
        return 1

    def _hook_syscall_ctypes(self, _uch, _user) -> None:
        """gk_syscall_hook's work."""
        entry, lib = self._entry, self._lib
        uch = self._uch                   # (the callback's own argument is a bare int)
        lib.uc_reg_read_batch(uch, entry.reg_ids, entry.reg_ptrs, ENTRY_REGS)
        entry.regs[SYSCALL_REGS] += SYSCALL_INSN_LEN      # rcx = the return rip
        lib.uc_reg_write_batch(uch, entry.saved_ids, entry.saved_ptrs, SAVED_REGS)
        entry.ret_valid = 0
        entry.in_hook = 1
        entered = time.monotonic_ns()
        keep = self._on_syscall()
        entry.syscall_ns += time.monotonic_ns() - entered
        entry.in_hook = 0
        if entry.ret_valid:
            lib.uc_reg_write(uch, self._reg_ids["rax"], self._ret_ref)
        if not keep:
            entry.left_for_syscall = 1
            lib.uc_emu_stop(uch)
        else:
            self._take_stop_at_event()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "glasskernel"


def sha256_hex(data: bytes) -> str:
    """SHA-256 of data in hex, through the interpreter's own module where there is one:
    hashlib loads OpenSSL (~4 ms at every start) for two short digests."""
    try:
        from _sha256 import sha256
    except ImportError:
        from hashlib import sha256
    return sha256(data).hexdigest()


def _library_path() -> Path:
    source = SOURCE.read_bytes()
    tag = sha256_hex(source + sys.platform.encode())[:16]
    return cache_dir() / f"entry_shim-{tag}.so"


def _compile(target: Path) -> bool:
    import shutil
    import subprocess
    import tempfile
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename, so concurrent first runs never load half a file.
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".so")
    os.close(fd)
    try:
        done = subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", tmp, str(SOURCE)],
                              capture_output=True)
        if done.returncode != 0:
            return False
        os.replace(tmp, target)
        return True
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load():
    """The shim's CDLL, or None when it is disabled or cannot be built here."""
    global _loaded
    if _loaded is None:
        _loaded = False
        if os.environ.get("GLASSKERNEL_NO_SHIM") != "1":
            try:
                path = _library_path()
                if path.exists() or _compile(path):
                    # PyDLL: a call from Python (gk_switch_context, a few memcpys) keeps
                    # the GIL instead of dropping and taking it again (~0.1 µs a call).
                    # The hooks are called by the emulator, not through this handle.
                    _loaded = ctypes.PyDLL(str(path))
            except OSError:
                _loaded = False
    return _loaded or None


__all__ = ["GkEntry", "ON_EXCEPTION_CFUNC", "ON_RDTSC_CFUNC", "ON_SYSCALL_CFUNC", "RET_OFFSET", "load"]
