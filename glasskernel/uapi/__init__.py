"""The user-visible ABI: numbers and flags as include/uapi spells them."""
from enum import IntFlag


def c_names(*classes) -> dict:
    """The members of enum classes under their C names, for a module's globals.

    IntFlag members become plain ints: the kernel tests flags on hot paths (open, stat,
    clone, mmap), and an operator on an IntFlag member runs enum's Python code and makes
    a new member each time. The classes keep the symbolic view for decoding (strace)."""
    return {name: int(member) if issubclass(cls, IntFlag) else member
            for cls in classes for name, member in cls.__members__.items()}
