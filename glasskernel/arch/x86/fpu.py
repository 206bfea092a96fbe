"""The x87/SSE state in the two layouts the kernel handles (arch/x86/kernel/fpu/).

- The *raw* layout is the CPU backend's register batch (cpu.py: ``read_fp_raw``): FCW,
  FSW, FTW (full tag word), MXCSR, ST0-7 and XMM0-15, 16 bytes each. A context switch
  saves this, unconverted (switch_fpu_prepare).
- The *fxsave* layout (512 bytes) is what signal frames and fork carry, as FXSAVE writes
  it: an abridged tag word, 16-byte ST slots at 32, XMM registers at 160.
"""
import ctypes
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


# ----- the i386 signal frame's fsave header (arch/x86/kernel/fpu/regset.c) ------------------
# An ia32 frame's FP state starts with the legacy FSAVE environment (user_i387_ia32_struct:
# cwd swd twd fip fcs foo fos, then ST0-7 at 10 bytes each), then status and magic, then
# the fxsave area. sigreturn takes the x87 part from that header, the SSE part from fxsave.
_I387_ENV = struct.Struct("<7I")
I387_ENV_SIZE = _I387_ENV.size + 80              # sizeof(struct user_i387_ia32_struct)
FREGS_STATE_SIZE = I387_ENV_SIZE + 4             # sizeof(struct fregs_state): + status
FP_TAG_VALID, FP_TAG_ZERO, FP_TAG_SPECIAL, FP_TAG_EMPTY = 0, 1, 2, 3


def _st_tag(reg: bytes) -> int:
    """The full x87 tag of a non-empty register from its 80-bit value."""
    significand, exponent = int.from_bytes(reg[:8], "little"), int.from_bytes(reg[8:10], "little")
    exponent &= 0x7FFF
    if exponent == 0x7FFF:
        return FP_TAG_SPECIAL
    if exponent == 0:
        return FP_TAG_ZERO if significand == 0 else FP_TAG_SPECIAL
    return FP_TAG_VALID if significand >> 63 else FP_TAG_SPECIAL


def twd_fxsr_to_i387(area: bytes) -> int:
    """fxsave's abridged tag (by physical register) → the full tag word, each valid
    register classified from the ST slot it is at relative to TOP."""
    fcw, fsw, ftw = struct.unpack_from("<HHB", area)
    tos = (fsw >> 11) & 7
    ret = 0xFFFF0000
    for i in range(8):
        if ftw >> i & 1:
            slot = _ST_OFFSET + 16 * ((i - tos) & 7)
            ret |= _st_tag(area[slot:slot + 10]) << (2 * i)
        else:
            ret |= FP_TAG_EMPTY << (2 * i)
    return ret


def twd_i387_to_fxsr(twd: int) -> int:
    """Full tag word → abridged: a register is valid unless its tag is 11 (empty)."""
    return abridged_tag(twd & 0xFFFF)


def convert_from_fxsr(area: bytes, fcs: int, fos: int) -> bytes:
    """The FSAVE environment of an fxsave area (as a 64-bit kernel makes it: the
    instruction and operand pointers' selectors are the task's cs and ds)."""
    fcw, fsw, _ftw, _fop, fip, fdp = struct.unpack_from("<HHBxHQQ", area)
    env = _I387_ENV.pack(fcw | 0xFFFF0000, fsw | 0xFFFF0000, twd_fxsr_to_i387(area),
                         fip & 0xFFFFFFFF, fcs, fdp & 0xFFFFFFFF, fos | 0xFFFF0000)
    st = b"".join(area[_ST_OFFSET + 16 * i:_ST_OFFSET + 16 * i + 10] for i in range(8))
    return env + st


def convert_to_fxsr(area: bytes, env: bytes) -> bytes:
    """Fold an FSAVE environment into an fxsave area: control, status and tag words,
    opcode, pointers and the ST registers come from env; MXCSR and XMM stay."""
    cwd, swd, twd, fip, fcs, foo, _fos = _I387_ENV.unpack_from(env)
    out = bytearray(area)
    struct.pack_into("<HHBxHQQ", out, 0, cwd & 0xFFFF, swd & 0xFFFF, twd_i387_to_fxsr(twd),
                     (fcs >> 16) & 0xFFFF, fip, foo)
    for i in range(8):
        reg = env[_I387_ENV.size + 10 * i:_I387_ENV.size + 10 * (i + 1)]
        out[_ST_OFFSET + 16 * i:_ST_OFFSET + 16 * i + 10] = reg
    return bytes(out)


class FpuRegisters:
    """The CPU's x87/SSE registers (a mixin of cpu.py's ``Cpu``, which hands it the
    emulator's C functions as ``_lib`` and its register batch as ``_fp``)."""

    __slots__ = ()

    def read_fp_raw(self) -> bytes:
        """The x87/SSE registers in the emulator's own batch layout (FP_RAW_SIZE bytes):
        what a context switch saves, with no conversion (switch_fpu_prepare)."""
        fp = self._fp
        self._lib.uc_reg_read_batch(self._uch, fp.ids, fp.ptrs, fp.count)
        return fp.buf.raw

    def write_fp_state(self, area: bytes) -> None:
        """Load a saved FPU state: a read_fp_raw() snapshot or a 512-byte fxsave area."""
        if len(area) != FP_RAW_SIZE:
            self.write_fxsave(area)
            return
        fp = self._fp
        ctypes.memmove(fp.buf, area, FP_RAW_SIZE)
        self._lib.uc_reg_write_batch(self._uch, fp.ids, fp.ptrs, fp.count)

    def read_fxsave(self) -> bytes:
        """The x87/SSE registers as a 512-byte fxsave area (one C call)."""
        return fxsave_from_raw(self.read_fp_raw())

    def write_fxsave(self, area: bytes) -> None:
        """Load the x87/SSE registers from a 512-byte fxsave area."""
        fp = self._fp
        ctypes.memmove(fp.buf, raw_from_fxsave(bytes(area)), 16 * fp.count)
        self._lib.uc_reg_write_batch(self._uch, fp.ids, fp.ptrs, fp.count)

    default_fxsave = staticmethod(default_fxsave)
