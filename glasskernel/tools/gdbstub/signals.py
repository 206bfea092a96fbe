"""Linux signal numbers and gdb's own numbering (gdb/signals.def), which the protocol uses.

gdbserver translates both ways (gdb_signal_from_host / gdb_signal_to_host); so do we.
"""
_LINUX_TO_GDB = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 10, 8: 8, 9: 9, 10: 30, 11: 11, 12: 31,
                 13: 13, 14: 14, 15: 15, 17: 20, 18: 19, 19: 17, 20: 18, 21: 21, 22: 22, 23: 16,
                 24: 24, 25: 25, 26: 26, 27: 27, 28: 28, 29: 23, 30: 32, 31: 12, 32: 77, 64: 78}
_LINUX_TO_GDB.update({n: 45 + (n - 33) for n in range(33, 64)})
_GDB_TO_LINUX = {g: n for n, g in _LINUX_TO_GDB.items()}
GDB_SIGNAL_0 = 0
GDB_SIGNAL_INT = 2
GDB_SIGNAL_TRAP = 5
GDB_SIGNAL_UNKNOWN = 143


def to_gdb(signo: int) -> int:
    """gdb's number for a Linux signal."""
    return _LINUX_TO_GDB.get(signo, GDB_SIGNAL_UNKNOWN)


def from_gdb(number: int) -> int:
    """The Linux signal for a gdb signal number; 0 for none or one Linux lacks."""
    return _GDB_TO_LINUX.get(number, 0)
