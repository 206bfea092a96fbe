"""vm_flags bits of a VMA (include/linux/mm.h)."""


class VmFlags:
    """vm_flags bits (include/linux/mm.h), as plain ints: they are tested on every page
    fault, where an IntFlag's operators (a Python call and a new member each) cost more
    than the rest of the fault's work."""

    VM_READ = 0x1
    VM_WRITE = 0x2
    VM_EXEC = 0x4
    VM_SHARED = 0x8
    VM_GROWSDOWN = 0x100
