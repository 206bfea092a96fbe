"""The user-visible ABI: numbers and flags as include/uapi spells them."""
import enum
from enum import IntEnum, IntFlag


def c_names(*classes) -> dict:
    """The members of enum classes under their C names, for a module's globals.

    IntFlag members become plain ints: the kernel tests flags on hot paths (open, stat,
    clone, mmap), and an operator on an IntFlag member runs enum's Python code and makes
    a new member each time. The classes keep the symbolic view for decoding (strace)."""
    return {name: int(member) if issubclass(cls, IntFlag) else member
            for cls in classes for name, member in cls.__members__.items()}


def int_enum(name: str, members: list, module: str) -> type:
    """``IntEnum(name, members)`` (a list of (name, value); a later name of a value is an
    alias), built the quick way.

    Enum's functional API costs ~30 µs a member, at every start: NR (362 members) and
    Errno took ~25 ms of glasskernel's start-up. ``enum._simple_enum``, which the standard
    library uses for its own large enums, builds the same class in a tenth of the time
    (tests/test_uapi_enums.py checks that with enum's ``_test_simple_enum``); without it
    (a Python that dropped the helper) the functional API builds it."""
    simple = getattr(enum, "_simple_enum", None)
    if simple is None:
        return IntEnum(name, members, module=module)
    body = {"__module__": module, "__qualname__": name}
    body.update(members)
    return simple(IntEnum)(type(name, (), body))
