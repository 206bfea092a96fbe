"""Symbol names for user addresses, from the program's ELF symbol table (pyelftools).

Used by the breakpoint console's user backtrace. Static programs are not relocated
(ET_EXEC), so a symbol's st_value is its address; static PIE would need the load bias,
which the mm's start_code gives. Stripped programs (Debian's busybox) have no symbols:
addresses are then shown as offsets into the program's text.
"""
import bisect
import os

_cache = {}


class UserSymbols:
    """Sorted FUNC symbols of one executable: address -> name+offset."""

    def __init__(self, symbols: list, text_range: tuple, name: str):
        self.starts = [s[0] for s in symbols]
        self.symbols = symbols          # (start, size, name)
        self.text_range = text_range
        self.name = name

    @classmethod
    def for_mm(cls, mm) -> "UserSymbols":
        key = (mm.exe_path, mm.start_code)
        if key not in _cache:
            _cache[key] = cls.load(mm)
        return _cache[key]

    @classmethod
    def load(cls, mm) -> "UserSymbols":
        text = (mm.start_code, mm.end_code)
        name = os.path.basename(mm.exe_path or "?")
        exe = mm.exe_file
        host_fd = getattr(exe, "host_fd", None)
        if host_fd is None:
            return cls([], text, name)
        try:
            from elftools.elf.elffile import ELFFile
            with os.fdopen(os.dup(host_fd), "rb") as stream:
                elf = ELFFile(stream)
                bias = mm.start_code - _first_exec_vaddr(elf) if elf.header.e_type == "ET_DYN" else 0
                symtab = elf.get_section_by_name(".symtab")
                symbols = sorted((s["st_value"] + bias, s["st_size"], s.name)
                                 for s in (symtab.iter_symbols() if symtab else [])
                                 if s["st_info"]["type"] == "STT_FUNC" and s["st_value"])
        except Exception:                # a broken or unreadable ELF: no names, no crash
            symbols = []
        return cls(symbols, text, name)

    def lookup(self, addr: int):
        """The function containing addr, or None if addr is not in the program's code."""
        lo, hi = self.text_range
        if not lo <= addr < hi:
            return None
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0:
            start, size, name = self.symbols[i]
            if addr < start + max(size, 1):
                return f"{name}+{addr - start:#x}"
        return f"{self.name}+{addr - lo:#x}"

    def describe(self, addr: int) -> str:
        return self.lookup(addr) or "?? (not in the program's code)"


def _first_exec_vaddr(elf) -> int:
    for seg in elf.iter_segments():
        if seg["p_type"] == "PT_LOAD":
            return seg["p_vaddr"] & ~0xFFF
    return 0
