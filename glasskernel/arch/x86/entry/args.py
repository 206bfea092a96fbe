"""Syscall arguments arrive as raw 64-bit registers; these give them their C types.

This is what the kernel's SYSCALL_DEFINE wrappers do when they cast each register to the
declared parameter type (``int`` keeps the low 32 bits, signed; ``long`` is the whole
register, signed; ``unsigned int`` the low 32 bits).
"""


def int_arg(value: int) -> int:
    """An ``int`` argument (fd, pid, signal…): the low 32 bits of the register, signed."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def long_arg(value: int) -> int:
    """A ``long``/``off_t`` argument: the register as a signed 64-bit value."""
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value & (1 << 63) else value


def uint_arg(value: int) -> int:
    """An ``unsigned int`` argument (flags, modes): the low 32 bits."""
    return value & 0xFFFFFFFF
