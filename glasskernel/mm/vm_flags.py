"""vm_flags bits of a VMA (include/linux/mm.h)."""
from enum import IntFlag


class VmFlags(IntFlag):
    """vm_flags bits (include/linux/mm.h)."""

    VM_READ = 0x1
    VM_WRITE = 0x2
    VM_EXEC = 0x4
    VM_SHARED = 0x8
    VM_GROWSDOWN = 0x100
