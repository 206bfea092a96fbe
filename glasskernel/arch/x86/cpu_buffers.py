"""Memory the CPU backend (cpu.py) hands the emulator's C API: register batches and saved
CPU contexts.

They are allocated once, so moving registers or a whole task's state is one C call that
builds no argument objects. This module does not import the emulator: register ids arrive
as plain numbers, and a context blob from the binding.
"""
import ctypes


class RegBatch:
    """The arrays of uc_reg_read_batch / uc_reg_write_batch: one ``slot``-byte value per
    register id, side by side in ``buf`` (8 bytes for pt_regs, 16 for x87/SSE registers)."""

    def __init__(self, ids, slot: int):
        self.count = len(ids)
        self.ids = (ctypes.c_int * self.count)(*ids)
        self.buf = ctypes.create_string_buffer(slot * self.count)
        base = ctypes.addressof(self.buf)
        self.ptrs = (ctypes.c_void_p * self.count)(*(base + slot * i for i in range(self.count)))


class CpuContext:
    """A saved CPU state (uc_context): what ``Cpu.save_context`` fills and
    ``restore_context`` loads. It holds the state of a task that is off the CPU."""

    __slots__ = ("blob", "ref")

    def __init__(self, blob):
        self.blob = blob                  # the binding's UcContext: frees the memory
        self.ref = ctypes.c_void_p(ctypes.cast(blob.context, ctypes.c_void_p).value)


def find_fault_state(before: bytes, during: bytes, vector: int):
    """Offset, in two saved contexts, of the int32 that was -1 before an exception and
    ``vector`` while it was handled (the emulator's exception in flight); None if none is."""
    for off in range(0, min(len(before), len(during)) - 3, 4):
        if (int.from_bytes(before[off:off + 4], "little", signed=True) == -1
                and int.from_bytes(during[off:off + 4], "little", signed=True) == vector):
            return off
    return None


__all__ = ["CpuContext", "RegBatch", "find_fault_state"]
