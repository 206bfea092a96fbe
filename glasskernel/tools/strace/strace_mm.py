"""Decoders for memory-management syscalls in the strace-format log.

Mirrors strace's src/mem.c (mmap, munmap, mprotect, mremap, madvise, brk). Calls returning an
address print it in hex, like strace's RVAL_HEX.
"""
from glasskernel.tools.strace.strace_util import (
    Call, fmt_addr, fmt_cstring, fmt_flags, fmt_hex, fmt_xval, table_of)
from glasskernel.uapi.mman import MAP_HUGE_MASK, MAP_HUGE_SHIFT, Madv, MapFlag, MremapFlag, Prot

PROT_FLAGS = table_of(Prot, "PROT_READ", "PROT_WRITE", "PROT_EXEC", "PROT_SEM",
                      "PROT_GROWSDOWN", "PROT_GROWSUP")
# strace's mmap_flags.in order (not numeric), the sharing type printed separately first.
MAP_FLAGS = table_of(MapFlag, "MAP_FIXED", "MAP_ANONYMOUS", "MAP_32BIT", "MAP_NORESERVE",
                     "MAP_POPULATE", "MAP_NONBLOCK", "MAP_GROWSDOWN", "MAP_DENYWRITE",
                     "MAP_EXECUTABLE", "MAP_LOCKED", "MAP_STACK", "MAP_HUGETLB", "MAP_SYNC",
                     "MAP_FIXED_NOREPLACE")
_MAP_TYPES = {1: "MAP_SHARED", 2: "MAP_PRIVATE", 3: "MAP_SHARED_VALIDATE"}
MREMAP_FLAGS = table_of(MremapFlag, "MREMAP_MAYMOVE", "MREMAP_FIXED", "MREMAP_DONTUNMAP")
_MADVICE = {int(m): m.name for m in Madv}


def fmt_prot(prot: int) -> str:
    return fmt_flags(prot & 0xFFFFFFFF, PROT_FLAGS, "PROT_???", zero="PROT_NONE")


def fmt_map_flags(flags: int) -> str:
    """print_mmap_flags(): type, flags, unknown bits, then the huge page size field."""
    flags &= 0xFFFFFFFF
    huge = flags >> MAP_HUGE_SHIFT & MAP_HUGE_MASK
    rest = flags & ~(MAP_HUGE_MASK << MAP_HUGE_SHIFT) & ~0xF
    parts = [fmt_xval(flags & 0xF, _MAP_TYPES, "MAP_???")]
    if rest:
        parts.append(fmt_flags(rest, MAP_FLAGS, "MAP_???").split(" /* ")[0])
    if huge:
        parts.append(f"{huge}<<MAP_HUGE_SHIFT")
    return "|".join(parts)


def _address_ret(c: Call):
    """Successful results are addresses, shown in hex."""
    return None if c.failed else fmt_hex(c.ret)


def dec_mmap(c: Call):
    text = (f"{fmt_addr(c.arg(0))}, {c.arg(1)}, {fmt_prot(c.arg(2))}, "
            f"{fmt_map_flags(c.arg(3))}, {c.int_arg(4)}, {fmt_hex(c.arg(5))}")
    return text, _address_ret(c)


def dec_munmap(c: Call) -> str:
    return f"{fmt_addr(c.arg(0))}, {c.arg(1)}"


def dec_mprotect(c: Call) -> str:
    return f"{fmt_addr(c.arg(0))}, {c.arg(1)}, {fmt_prot(c.arg(2))}"


def dec_mremap(c: Call):
    flags = c.uint_arg(3)
    text = (f"{fmt_addr(c.arg(0))}, {c.arg(1)}, {c.arg(2)}, "
            f"{fmt_flags(flags, MREMAP_FLAGS, 'MREMAP_???')}")
    if flags & MremapFlag.MREMAP_FIXED:
        text += f", {fmt_addr(c.arg(4))}"
    return text, _address_ret(c)


def dec_madvise(c: Call) -> str:
    advice = fmt_xval(c.uint_arg(2), _MADVICE, "MADV_???")
    return f"{fmt_addr(c.arg(0))}, {c.arg(1)}, {advice}"


def dec_brk(c: Call):
    return fmt_addr(c.arg(0)), fmt_hex(c.ret)


_MSYNC_FLAGS = ((4, "MS_SYNC"), (1, "MS_ASYNC"), (2, "MS_INVALIDATE"))   # strace's order
_MFD_FLAGS = ((1, "MFD_CLOEXEC"), (2, "MFD_ALLOW_SEALING"), (4, "MFD_HUGETLB"))


def dec_msync(c: Call) -> str:
    return f"{fmt_addr(c.arg(0))}, {c.arg(1)}, {fmt_flags(c.uint_arg(2), _MSYNC_FLAGS, 'MS_???')}"


def dec_memfd_create(c: Call) -> str:
    return f"{fmt_cstring(c.mem, c.arg(0))}, {fmt_flags(c.uint_arg(1), _MFD_FLAGS, 'MFD_???')}"
