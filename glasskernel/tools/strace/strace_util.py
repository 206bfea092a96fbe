"""Printing primitives for the strace-format syscall log.

Mirrors strace's src/util.c (string_quote, printstr, printaddr), src/xlat.c (printxval,
printflags) and the number formats strace uses for each C type. Everything returns text; the
decoders glue pieces together and strace.py writes the line.
"""
import struct
from dataclasses import dataclass

from glasskernel.uapi.errno import KernelError
from glasskernel.uapi.fcntl import AT_FDCWD
from glasskernel.uapi.limits import PATH_MAX

MAX_STRLEN = 32                    # strace -s default: bytes of string data shown
MAX_ARRAY = 32                     # elements of an array shown before "..."
_ESCAPES = {0x22: '\\"', 0x5C: "\\\\", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t",
            0x0B: "\\v"}
_OCTAL_DIGITS = b"01234567"


@dataclass
class Call:
    """One finished syscall as the decoders see it: name, raw args, signed result, memory.

    ``mem`` reads the caller's memory after the call (``read``, ``read_cstring``), raising
    KernelError on a bad pointer.
    """

    name: str
    args: tuple
    ret: int
    mem: object

    @property
    def failed(self) -> bool:
        """True when the result is an error code (-4095..-1), like strace's syserror()."""
        return -4096 < self.ret < 0

    def arg(self, i: int) -> int:
        """Argument i as the raw unsigned 64-bit register value."""
        return self.args[i] & 0xFFFFFFFFFFFFFFFF if i < len(self.args) else 0

    def int_arg(self, i: int) -> int:
        """Argument i as a C int (low 32 bits, signed)."""
        return s32(self.arg(i))

    def uint_arg(self, i: int) -> int:
        """Argument i as a C unsigned int (low 32 bits): flags, modes, commands."""
        return self.arg(i) & 0xFFFFFFFF

    def long_arg(self, i: int) -> int:
        """Argument i as a C long (signed 64 bits)."""
        return s64(self.arg(i))


def s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def s64(v: int) -> int:
    v &= 0xFFFFFFFFFFFFFFFF
    return v - (1 << 64) if v & (1 << 63) else v


def fmt_hex(v: int) -> str:
    """'%#lx': 0 prints as 0, everything else as 0x..."""
    v &= 0xFFFFFFFFFFFFFFFF
    return f"{v:#x}" if v else "0"


def fmt_addr(v: int) -> str:
    """printaddr(): NULL for a null pointer, else hex."""
    v &= 0xFFFFFFFFFFFFFFFF
    return f"{v:#x}" if v else "NULL"


def fmt_oct(v: int) -> str:
    """'%#03o' as strace prints modes and masks: 022, 0644, 000."""
    text = f"0{v:o}" if v else "0"
    return text.rjust(3, "0")


def fmt_dirfd(v: int) -> str:
    """A dirfd argument: AT_FDCWD or the descriptor number."""
    fd = s32(v)
    return "AT_FDCWD" if fd == AT_FDCWD else str(fd)


# --- strings ---------------------------------------------------------------------------

def quote_bytes(data: bytes, force_hex: bool = False) -> str:
    """string_quote(): data between double quotes, escaped as strace escapes it.

    Printable ASCII stays, the usual C escapes are used, anything else is octal with as few
    digits as possible unless the next byte is an octal digit (so the reader cannot mis-split).
    """
    out = ['"']
    for i, c in enumerate(data):
        if force_hex:
            out.append(f"\\x{c:02x}")
        elif c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        elif i + 1 < len(data) and data[i + 1] in _OCTAL_DIGITS:
            out.append(f"\\{c:03o}")
        else:
            out.append(f"\\{c:o}")
    out.append('"')
    return "".join(out)


def fmt_buffer(mem, addr: int, length: int, force_hex: bool = False,
               limit: int = MAX_STRLEN) -> str:
    """printstrn(): length bytes at addr, at most limit shown then '...'; hex on a bad pointer."""
    if not addr:
        return "NULL"
    shown = min(max(length, 0), limit)
    try:
        data = mem.read(addr, shown) if shown else b""
    except KernelError:
        return fmt_hex(addr)
    text = quote_bytes(data, force_hex)
    return text + "..." if length > limit else text


def read_cstr(mem, addr: int, limit: int):
    """A NUL-terminated string of at most limit bytes: (bytes, truncated), or None if unreadable."""
    try:
        data = mem.read_cstring(addr, limit + 1)
    except KernelError:
        # No NUL within limit+1 (ENAMETOOLONG) or a fault part way: show what can be read.
        try:
            return mem.read(addr, limit), True
        except KernelError:
            return None
    if len(data) > limit:
        return data[:limit], True
    return data, False


def fmt_cstring(mem, addr: int, limit: int = MAX_STRLEN) -> str:
    """printstr(): a NUL-terminated string, truncated at limit with '...'."""
    if not addr:
        return "NULL"
    got = read_cstr(mem, addr, limit)
    if got is None:
        return fmt_hex(addr)
    data, truncated = got
    return quote_bytes(data) + ("..." if truncated else "")


def fmt_path(mem, addr: int) -> str:
    """printpath(): a pathname, shown whole up to PATH_MAX."""
    return fmt_cstring(mem, addr, PATH_MAX)


# --- numbers as names ----------------------------------------------------------------

def fmt_xval(value: int, names: dict, unknown: str) -> str:
    """printxval(): the name of an enumerated value, else '0x.. /* PREFIX_??? */'."""
    if value in names:
        return names[value]
    return f"{value:#x} /* {unknown} */" if value else "0"


def flag_names(value: int, table) -> tuple:
    """Split value into the names of the (value, name) pairs it contains, in table order.

    Returns (names, leftover bits). Multi-bit entries only match when all their bits are set,
    and their bits are then consumed so single-bit aliases do not print twice.
    """
    names = []
    for bits, name in table:
        if bits and value & bits == bits:
            names.append(name)
            value &= ~bits
    return names, value


def fmt_flags(value: int, table, unknown: str, zero: str = "0") -> str:
    """printflags(): 'A|B|0x40', '0x100 /* PROT_??? */' when nothing matched, zero for 0."""
    if value == 0:
        return zero
    names, rest = flag_names(value, table)
    if not names:
        return f"{value:#x} /* {unknown} */"
    if rest:
        names.append(f"{rest:#x}")
    return "|".join(names)


def table_of(enum_cls, *names) -> tuple:
    """(value, name) pairs of the named members of a uapi enum, in the order given."""
    return tuple((int(enum_cls[n]), n) for n in names)


# --- memory helpers --------------------------------------------------------------------

def read_struct(mem, addr: int, fmt: struct.Struct):
    """Unpack a struct from user memory, or None when the pointer is bad."""
    if not addr:
        return None
    try:
        return fmt.unpack(mem.read(addr, fmt.size))
    except KernelError:
        return None


def fmt_array(items, limit: int = MAX_ARRAY) -> str:
    """print_array(): '[a, b, c]', cut with '...' after limit elements."""
    items = list(items)
    shown = items[:limit]
    if len(items) > limit:
        shown.append("...")
    return "[" + ", ".join(shown) + "]"
