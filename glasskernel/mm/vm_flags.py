"""vm_flags bits of a VMA (include/linux/mm.h)."""


class VmFlags:
    """vm_flags bits (include/linux/mm.h), as plain ints: they are tested on every page
    fault, where an IntFlag's operators (a Python call and a new member each) cost more
    than the rest of the fault's work."""

    VM_READ = 0x1
    VM_WRITE = 0x2
    VM_EXEC = 0x4
    VM_SHARED = 0x8
    # What mprotect may turn on later (VM_MAY* = VM_* << 4): a shared mapping of a file
    # opened read-only lacks VM_MAYWRITE, so mprotect(PROT_WRITE) is EACCES.
    VM_MAYREAD = 0x10
    VM_MAYWRITE = 0x20
    VM_MAYEXEC = 0x40
    VM_MAYSHARE = 0x80
    VM_GROWSDOWN = 0x100
    # The mapping's pages are charged to the commit limit (a private writable mapping,
    # or one that mprotect made writable); VM_NORESERVE: MAP_NORESERVE, never charged.
    # Both matter to vma_merge: Linux joins neighbours only when their flags are equal.
    VM_ACCOUNT = 0x00100000
    VM_NORESERVE = 0x00200000
    VM_PFNMAP = 0x400           # raw frames, no struct page (the [vvar] data)
    VM_LOCKED = 0x2000          # mlock: the pages stay in memory (counted as VmLck)
    VM_IO = 0x4000
    VM_DONTEXPAND = 0x40000     # mremap may not grow it: a special mapping ([vdso], [vvar])
    VM_LOCKONFAULT = 0x80000    # ... once they are faulted in (MLOCK_ONFAULT)
    VM_DONTDUMP = 0x4000000
    VM_HUGETLB = 0x00400000     # huge pages (mm/hugetlb.py): MAP_HUGETLB, SHM_HUGETLB
    VM_DONTCOPY = 0x20000       # MADV_DONTFORK: fork leaves the area out of the child
    VM_WIPEONFORK = 0x2000000   # MADV_WIPEONFORK: the child gets zero pages, not a copy


VM_ACCESS_FLAGS = VmFlags.VM_READ | VmFlags.VM_WRITE | VmFlags.VM_EXEC
VM_MAY_ALL = VmFlags.VM_MAYREAD | VmFlags.VM_MAYWRITE | VmFlags.VM_MAYEXEC
