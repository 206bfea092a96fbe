"""The registers gdb sees: the x86-64 target description and the `g` packet layout.

The description is glasskernel's own, with the register names and feature names gdb's
amd64 GNU/Linux support looks for (core, sse, linux with orig_rax, segments with fs_base
and gs_base). The register numbers are the order below; `g`/`G` carry them all, in
target byte order, `p`/`P` one of them.
"""
import struct

GPRS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip")
SEGMENTS = ("cs", "ss", "ds", "es", "fs", "gs")
USER_CS, USER_SS = 0x33, 0x2B
X87_CONTROL = ("fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop")

# (name, size in bytes, feature, type) in register-number order.
REGISTERS = ([(n, 8, "core", {"rip": "code_ptr", "rsp": "data_ptr", "rbp": "data_ptr"}.get(n, "int64"))
              for n in GPRS]
             + [("eflags", 4, "core", "i386_eflags")]
             + [(n, 4, "core", "int32") for n in SEGMENTS]
             + [(f"st{i}", 10, "core", "i387_ext") for i in range(8)]
             + [(n, 4, "core", "int") for n in X87_CONTROL]
             + [(f"xmm{i}", 16, "sse", "vec128") for i in range(16)]
             + [("mxcsr", 4, "sse", "i386_mxcsr")]
             + [("orig_rax", 8, "linux", "int")]
             + [("fs_base", 8, "segments", "int"), ("gs_base", 8, "segments", "int")])
REG_NUMBER = {name: i for i, (name, *_rest) in enumerate(REGISTERS)}
REG_OFFSET = []
_offset = 0
for _name, _size, _feature, _type in REGISTERS:
    REG_OFFSET.append(_offset)
    _offset += _size
G_SIZE = _offset

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


def target_xml() -> bytes:
    """The whole target description, one document (no xi:include to fetch)."""
    parts = ['<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">',
             '<target version="1.0"><architecture>i386:x86-64</architecture>',
             "<osabi>GNU/Linux</osabi>"]
    for feature, xml_name in _FEATURE_NAMES.items():
        parts.append(f'<feature name="{xml_name}">')
        if feature == "core":
            parts.append(_flags("i386_eflags", _EFLAGS))
        if feature == "sse":
            parts.append(_vec128() + _flags("i386_mxcsr", _MXCSR))
        for name, size, reg_feature, reg_type in REGISTERS:
            if reg_feature == feature:
                group = ' group="system"' if name == "orig_rax" else ""
                parts.append(f'<reg name="{name}" bitsize="{size * 8}" type="{reg_type}"{group}/>')
        parts.append("</feature>")
    parts.append("</target>")
    return "".join(parts).encode()


def _full_tag_word(abridged: int) -> int:
    """fxsave keeps one bit per x87 register (in use or empty); gdb's ftag has two: say
    "valid" (0) for a register in use, "empty" (3) otherwise."""
    return sum((0 if abridged >> i & 1 else 3) << (2 * i) for i in range(8))


def read_registers(kernel, task) -> bytes:
    """Every register of the task in `g` layout (the saved user state as the kernel holds it)."""
    regs = kernel.user_regs(task)
    fx = bytes(kernel.read_fpstate(task))
    out = bytearray(G_SIZE)
    for i, name in enumerate(GPRS):
        struct.pack_into("<Q", out, REG_OFFSET[i], regs[name] & (1 << 64) - 1)
    struct.pack_into("<I", out, REG_OFFSET[REG_NUMBER["eflags"]], regs["rflags"] & 0xFFFFFFFF)
    struct.pack_into("<II", out, REG_OFFSET[REG_NUMBER["cs"]], USER_CS, USER_SS)
    for i in range(8):
        out[REG_OFFSET[REG_NUMBER[f"st{i}"]]:][:10] = fx[32 + 16 * i:42 + 16 * i]
    fcw, fsw, ftw, fop, fip, fdp, mxcsr = struct.unpack_from("<HHBxHQQI", fx, 0)
    control = (fcw, fsw, _full_tag_word(ftw), (fip >> 32) & 0xFFFF, fip & 0xFFFFFFFF,
               (fdp >> 32) & 0xFFFF, fdp & 0xFFFFFFFF, fop)
    struct.pack_into("<8I", out, REG_OFFSET[REG_NUMBER["fctrl"]], *control)
    out[REG_OFFSET[REG_NUMBER["xmm0"]]:][:256] = fx[160:416]
    struct.pack_into("<I", out, REG_OFFSET[REG_NUMBER["mxcsr"]], mxcsr)
    orig = getattr(task.thread, "orig_rax", -1)
    struct.pack_into("<QQQ", out, REG_OFFSET[REG_NUMBER["orig_rax"]], orig & (1 << 64) - 1,
                     regs["fs_base"], regs["gs_base"])
    return bytes(out)


def write_registers(kernel, task, data: bytes) -> None:
    """Load a `g` layout block into the task (what gdb's G sends): the general registers,
    rflags, orig_rax, the segment bases and the x87/SSE state; segment selectors are fixed."""
    if len(data) < G_SIZE:
        raise ValueError("short register block")
    regs = kernel.sync_pt_regs(task)
    for i, name in enumerate(GPRS):
        regs[name] = struct.unpack_from("<Q", data, REG_OFFSET[i])[0]
    regs["rflags"] = struct.unpack_from("<I", data, REG_OFFSET[REG_NUMBER["eflags"]])[0] | 0x2
    orig, regs["fs_base"], regs["gs_base"] = struct.unpack_from("<QQQ", data, REG_OFFSET[REG_NUMBER["orig_rax"]])
    task.thread.orig_rax = orig - (1 << 64) if orig >> 63 else orig
    fx = bytearray(kernel.read_fpstate(task))
    for i in range(8):
        fx[32 + 16 * i:42 + 16 * i] = data[REG_OFFSET[REG_NUMBER[f"st{i}"]]:][:10]
    fcw, fsw, ftag, fiseg, fioff, foseg, fooff, fop = struct.unpack_from("<8I", data, REG_OFFSET[REG_NUMBER["fctrl"]])
    abridged = sum(1 << i for i in range(8) if (ftag >> (2 * i)) & 3 != 3)
    struct.pack_into("<HHBxHQQ", fx, 0, fcw & 0xFFFF, fsw & 0xFFFF, abridged, fop & 0xFFFF,
                     (fiseg & 0xFFFF) << 32 | fioff, (foseg & 0xFFFF) << 32 | fooff)
    fx[160:416] = data[REG_OFFSET[REG_NUMBER["xmm0"]]:][:256]
    fx[24:28] = data[REG_OFFSET[REG_NUMBER["mxcsr"]]:][:4]
    kernel.write_fpstate(task, bytes(fx))


def read_register(kernel, task, number: int) -> bytes:
    """One register (`p`), or None for a number gdb should not ask for."""
    if not 0 <= number < len(REGISTERS):
        return None
    offset, size = REG_OFFSET[number], REGISTERS[number][1]
    return read_registers(kernel, task)[offset:offset + size]


def write_register(kernel, task, number: int, value: bytes) -> bool:
    """One register (`P`): False for an unknown number or a value of the wrong size."""
    if not 0 <= number < len(REGISTERS) or len(value) != REGISTERS[number][1]:
        return False
    block = bytearray(read_registers(kernel, task))
    block[REG_OFFSET[number]:REG_OFFSET[number] + len(value)] = value
    write_registers(kernel, task, bytes(block))
    return True
