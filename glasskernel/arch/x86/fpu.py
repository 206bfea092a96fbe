"""The x87/SSE state in the two layouts the kernel handles (arch/x86/kernel/fpu/).

- The *raw* layout is the CPU backend's register batch (cpu.py: ``read_fp_raw``): FCW,
  FSW, FTW (full tag word), MXCSR, ST0-7 and XMM0-15, 16 bytes each. A context switch
  saves this, unconverted (switch_fpu_prepare).
- The *fxsave* layout (512 bytes) is what signal frames and fork carry, as FXSAVE writes
  it: an abridged tag word, 16-byte ST slots at 32, XMM registers at 160.
"""
import functools
import struct

FXSAVE_SIZE = 512
_FXSAVE_HEAD = struct.Struct("<HHBxHQQII")     # FCW FSW FTW(abridged) FOP FIP FDP MXCSR MASK
FP_RAW_SIZE = 16 * (4 + 8 + 16)               # FCW FSW FTW MXCSR, ST0-7, XMM0-15
DEFAULT_MXCSR = 0x1F80
DEFAULT_FCW = 0x037F
_ST_OFFSET, _XMM_OFFSET, _XMM_END = 32, 160, 416


def abridged_tag(ftw: int) -> int:
    """Full x87 tag word (2 bits per register, 11 = empty) → fxsave's 1 bit per register."""
    return sum(1 << i for i in range(8) if (ftw >> (2 * i)) & 3 != 3)


def full_tag(abridged: int) -> int:
    return sum((0 if abridged & (1 << i) else 3) << (2 * i) for i in range(8))


# Both conversions are pure and see few distinct states (a shell forks with the same
# FPU state every time; a new program starts from the default one): they remember the
# last results. Their inputs are bytes (hashable).

@functools.lru_cache(maxsize=16)
def fxsave_from_raw(raw: bytes) -> bytes:
    """A raw snapshot as the 512-byte fxsave area signal frames carry."""
    fcw, fsw, ftw, mxcsr = (int.from_bytes(raw[16 * i:16 * i + 4], "little") for i in range(4))
    head = _FXSAVE_HEAD.pack(fcw & 0xFFFF, fsw & 0xFFFF, abridged_tag(ftw), 0, 0, 0, mxcsr, 0xFFFF)
    st = b"".join(raw[16 * (4 + i):16 * (4 + i) + 10].ljust(16, b"\0") for i in range(8))
    xmm = raw[16 * 12:16 * 28]
    return (head + st + xmm).ljust(FXSAVE_SIZE, b"\0")


@functools.lru_cache(maxsize=16)
def raw_from_fxsave(area: bytes) -> bytes:
    """A 512-byte fxsave area in the raw layout, ready to load."""
    fcw, fsw, ftw, _fop, _fip, _fdp, mxcsr, _mask = _FXSAVE_HEAD.unpack_from(area)
    parts = [v.to_bytes(16, "little") for v in (fcw, fsw, full_tag(ftw), mxcsr & 0xFFFF)]
    parts += [area[_ST_OFFSET + 16 * i:_ST_OFFSET + 16 * i + 10].ljust(16, b"\0") for i in range(8)]
    parts.append(area[_XMM_OFFSET:_XMM_END])
    return b"".join(parts)


def default_fxsave() -> bytes:
    """The FPU state of a fresh program (fpu__init: FCW 0x37f, MXCSR 0x1f80, all empty)."""
    return _FXSAVE_HEAD.pack(DEFAULT_FCW, 0, 0, 0, 0, 0, DEFAULT_MXCSR, 0xFFFF).ljust(FXSAVE_SIZE, b"\0")
