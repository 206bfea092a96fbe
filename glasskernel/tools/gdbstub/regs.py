"""The registers gdb sees: the target descriptions and the `g` packet layouts.

A task gets the description of the mode it runs in (thread.user_cs), as gdbserver gives
a 64-bit or a 32-bit inferior on x86-64 Linux. x86-64: gdb's amd64 GNU/Linux register
names and features (core, sse with xmm0-15, linux with orig_rax, segments with fs_base
and gs_base). i386 (compatibility mode): architecture i386:x86, the 32-bit core in
gdb's i386 order (eax ecx edx ebx esp ebp esi edi), sse with xmm0-7, linux with orig_eax
and no segments feature. The register numbers are a layout's order; `g`/`G` carry them
all, in target byte order, `p`/`P` one of them.
"""
import struct

from glasskernel.arch.x86.kernel.ptrace import getreg32_values, user_mode_is_compat
from glasskernel.arch.x86.kernel.process_64 import read_fpstate, sync_pt_regs, user_regs, write_fpstate

SEGMENTS = ("cs", "ss", "ds", "es", "fs", "gs")
USER_CS, USER_SS = 0x33, 0x2B
X87_CONTROL = ("fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop")
_POINTER_TYPES = {"rip": "code_ptr", "rsp": "data_ptr", "rbp": "data_ptr",
                  "eip": "code_ptr", "esp": "data_ptr", "ebp": "data_ptr"}


class Layout:
    """One target description: its registers (name, size, feature, type) in number order."""

    __slots__ = ("arch", "gprs", "registers", "number", "offset", "size", "word", "nxmm", "orig")

    def __init__(self, arch: str, gprs: tuple, word: int, nxmm: int, tail: list):
        self.arch, self.gprs, self.word, self.nxmm = arch, gprs, word, nxmm
        self.orig = tail[0][0]                  # orig_rax / orig_eax
        int_type = f"int{word * 8}"
        self.registers = ([(n, word, "core", _POINTER_TYPES.get(n, int_type)) for n in gprs]
                          + [("eflags", 4, "core", "i386_eflags")]
                          + [(n, 4, "core", "int32") for n in SEGMENTS]
                          + [(f"st{i}", 10, "core", "i387_ext") for i in range(8)]
                          + [(n, 4, "core", "int") for n in X87_CONTROL]
                          + [(f"xmm{i}", 16, "sse", "vec128") for i in range(nxmm)]
                          + [("mxcsr", 4, "sse", "i386_mxcsr")] + tail)
        self.number = {name: i for i, (name, *_rest) in enumerate(self.registers)}
        self.offset, offset = [], 0
        for _name, size, _feature, _type in self.registers:
            self.offset.append(offset)
            offset += size
        self.size = offset

    def at(self, name: str) -> int:
        """The byte offset of a register in the `g` block."""
        return self.offset[self.number[name]]


AMD64 = Layout("i386:x86-64", ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9",
                               "r10", "r11", "r12", "r13", "r14", "r15", "rip"), 8, 16,
               [("orig_rax", 8, "linux", "int"), ("fs_base", 8, "segments", "int"),
                ("gs_base", 8, "segments", "int")])
I386 = Layout("i386", ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip"), 4, 8,
              [("orig_eax", 4, "linux", "int")])
# The x86-64 layout under the names the rest of the stub used before there were two.
REGISTERS, REG_NUMBER, REG_OFFSET, G_SIZE = AMD64.registers, AMD64.number, AMD64.offset, AMD64.size


def layout_of(task) -> Layout:
    """The layout of the mode task runs in."""
    return I386 if user_mode_is_compat(task) else AMD64


_EFLAGS = ("CF", 0), ("", 1), ("PF", 2), ("AF", 4), ("ZF", 6), ("SF", 7), ("TF", 8), ("IF", 9), \
          ("DF", 10), ("OF", 11), ("NT", 14), ("RF", 16), ("VM", 17), ("AC", 18), ("VIF", 19), \
          ("VIP", 20), ("ID", 21)
_MXCSR = ("IE", 0), ("DE", 1), ("ZE", 2), ("OE", 3), ("UE", 4), ("PE", 5), ("DAZ", 6), \
         ("IM", 7), ("DM", 8), ("ZM", 9), ("OM", 10), ("UM", 11), ("PM", 12), ("FZ", 15)
_FEATURE_NAMES = {"core": "org.gnu.gdb.i386.core", "sse": "org.gnu.gdb.i386.sse",
                  "linux": "org.gnu.gdb.i386.linux", "segments": "org.gnu.gdb.i386.segments"}


def _flags(type_id: str, fields) -> str:
    """A <flags> type of one-bit fields."""
    body = "".join(f'<field name="{n}" start="{b}" end="{b}"/>' for n, b in fields)
    return f'<flags id="{type_id}" size="4">{body}</flags>'


def _vec128() -> str:
    """The vec128 union type of the XMM registers."""
    vectors = (("v4f", "ieee_single", 4), ("v2d", "ieee_double", 2), ("v16i8", "int8", 16),
               ("v8i16", "int16", 8), ("v4i32", "int32", 4), ("v2i64", "int64", 2))
    text = "".join(f'<vector id="{i}" type="{t}" count="{c}"/>' for i, t, c in vectors)
    fields = (("v4_float", "v4f"), ("v2_double", "v2d"), ("v16_int8", "v16i8"),
              ("v8_int16", "v8i16"), ("v4_int32", "v4i32"), ("v2_int64", "v2i64"),
              ("uint128", "uint128"))
    return text + '<union id="vec128">' + "".join(
        f'<field name="{n}" type="{t}"/>' for n, t in fields) + "</union>"


def target_xml(layout: Layout = AMD64) -> bytes:
    """A whole target description, one document (no xi:include to fetch)."""
    parts = ['<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">',
             f'<target version="1.0"><architecture>{layout.arch}</architecture>',
             "<osabi>GNU/Linux</osabi>"]
    for feature, xml_name in _FEATURE_NAMES.items():
        regs = [r for r in layout.registers if r[2] == feature]
        if not regs:
            continue
        parts.append(f'<feature name="{xml_name}">')
        if feature == "core":
            parts.append(_flags("i386_eflags", _EFLAGS))
        if feature == "sse":
            parts.append(_vec128() + _flags("i386_mxcsr", _MXCSR))
        for name, size, _feature, reg_type in regs:
            group = ' group="system"' if name == layout.orig else ""
            parts.append(f'<reg name="{name}" bitsize="{size * 8}" type="{reg_type}"{group}/>')
        parts.append("</feature>")
    parts.append("</target>")
    return "".join(parts).encode()


def _full_tag_word(abridged: int) -> int:
    """fxsave keeps one bit per x87 register (in use or empty); gdb's ftag has two: say
    "valid" (0) for a register in use, "empty" (3) otherwise."""
    return sum((0 if abridged >> i & 1 else 3) << (2 * i) for i in range(8))


def _int_values(kernel, task, layout: Layout) -> dict:
    """The integer registers of the layout by name (pt_regs, the selectors, orig_ax)."""
    if layout is I386:
        return getreg32_values(kernel, task)
    regs = user_regs(task)
    values = {name: regs[name] for name in layout.gprs}
    values["eflags"] = regs["rflags"] & 0xFFFFFFFF
    values.update(dict.fromkeys(SEGMENTS, 0), cs=USER_CS, ss=USER_SS)
    values["orig_rax"] = task.thread.orig_rax
    values["fs_base"], values["gs_base"] = regs["fs_base"], regs["gs_base"]
    return values


def read_registers(kernel, task) -> bytes:
    """Every register of the task in its layout's `g` block (the saved user state as the
    kernel holds it)."""
    layout = layout_of(task)
    values = _int_values(kernel, task, layout)
    fx = bytes(read_fpstate(task))
    out = bytearray(layout.size)
    for number, (name, size, _feature, _type) in enumerate(layout.registers):
        if name in values:
            value = values[name] & (1 << 8 * size) - 1
            out[layout.offset[number]:layout.offset[number] + size] = value.to_bytes(size, "little")
    for i in range(8):
        out[layout.at(f"st{i}"):][:10] = fx[32 + 16 * i:42 + 16 * i]
    fcw, fsw, ftw, fop, fip, fdp, mxcsr = struct.unpack_from("<HHBxHQQI", fx, 0)
    control = (fcw, fsw, _full_tag_word(ftw), (fip >> 32) & 0xFFFF, fip & 0xFFFFFFFF,
               (fdp >> 32) & 0xFFFF, fdp & 0xFFFFFFFF, fop)
    struct.pack_into("<8I", out, layout.at("fctrl"), *control)
    out[layout.at("xmm0"):][:16 * layout.nxmm] = fx[160:160 + 16 * layout.nxmm]
    struct.pack_into("<I", out, layout.at("mxcsr"), mxcsr)
    return bytes(out)


def _field(data: bytes, layout: Layout, name: str) -> int:
    """One integer register of a `g` block."""
    size = layout.registers[layout.number[name]][1]
    return int.from_bytes(data[layout.at(name):layout.at(name) + size], "little")


def write_registers(kernel, task, data: bytes) -> None:
    """Load a `g` block of the task's layout (what gdb's G sends): the general registers
    (a 32-bit value zero-extended, as a 32-bit ptrace write does), rflags, orig_ax, the
    segment bases (x86-64) and the x87/SSE state; segment selectors are fixed."""
    layout = layout_of(task)
    if len(data) < layout.size:
        raise ValueError("short register block")
    regs = sync_pt_regs(task)
    for name in layout.gprs:
        regs["r" + name[1:] if layout is I386 else name] = _field(data, layout, name)
    regs["rflags"] = _field(data, layout, "eflags") | 0x2
    orig, bits = _field(data, layout, layout.orig), layout.word * 8
    task.thread.orig_rax = orig - (1 << bits) if orig >> (bits - 1) else orig
    if layout is AMD64:
        regs["fs_base"], regs["gs_base"] = _field(data, layout, "fs_base"), _field(data, layout, "gs_base")
    fx = bytearray(read_fpstate(task))
    for i in range(8):
        fx[32 + 16 * i:42 + 16 * i] = data[layout.at(f"st{i}"):][:10]
    fcw, fsw, ftag, fiseg, fioff, foseg, fooff, fop = struct.unpack_from("<8I", data, layout.at("fctrl"))
    abridged = sum(1 << i for i in range(8) if (ftag >> (2 * i)) & 3 != 3)
    struct.pack_into("<HHBxHQQ", fx, 0, fcw & 0xFFFF, fsw & 0xFFFF, abridged, fop & 0xFFFF,
                     (fiseg & 0xFFFF) << 32 | fioff, (foseg & 0xFFFF) << 32 | fooff)
    fx[160:160 + 16 * layout.nxmm] = data[layout.at("xmm0"):][:16 * layout.nxmm]
    fx[24:28] = data[layout.at("mxcsr"):][:4]
    write_fpstate(task, bytes(fx))


def read_register(kernel, task, number: int) -> bytes:
    """One register (`p`), or None for a number gdb should not ask for."""
    layout = layout_of(task)
    if not 0 <= number < len(layout.registers):
        return None
    offset, size = layout.offset[number], layout.registers[number][1]
    return read_registers(kernel, task)[offset:offset + size]


def write_register(kernel, task, number: int, value: bytes) -> bool:
    """One register (`P`): False for an unknown number or a value of the wrong size."""
    layout = layout_of(task)
    if not 0 <= number < len(layout.registers) or len(value) != layout.registers[number][1]:
        return False
    block = bytearray(read_registers(kernel, task))
    block[layout.offset[number]:layout.offset[number] + len(value)] = value
    write_registers(kernel, task, bytes(block))
    return True
