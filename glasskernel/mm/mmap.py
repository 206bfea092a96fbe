"""mmap, munmap and brk (mm/mmap.c, mm/util.c).

``do_mmap`` creates a VMA and nothing else: pages arrive on first touch through the fault
path. ``do_munmap`` splits VMAs at the edges of the range, drops the ones inside and zaps
their pages. The heap is an ordinary anonymous VMA that ``brk`` grows and shrinks.
"""
from glasskernel.mm.memory import zap_page_range
from glasskernel.mm.mm_types import MMAP_MIN_ADDR, TASK_SIZE, VmArea, page_align
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.vm_flags import VM_MAY_ALL, VmFlags
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.drivers.char.mem import ZeroFile
from glasskernel.mm.filemap import FileMapping, address_space_registry, get_address_space
from glasskernel.uapi.fcntl import O_PATH

PROT_READ, PROT_WRITE, PROT_EXEC = 0x1, 0x2, 0x4
PROT_GROWSDOWN, PROT_GROWSUP = 0x01000000, 0x02000000
MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE = 0x01, 0x02, 0x03
MAP_TYPE = 0x0F
MAP_FIXED = 0x10
MAP_ANONYMOUS = 0x20
MAP_GROWSDOWN = 0x0100
MAP_FIXED_NOREPLACE = 0x100000
MAP_SYNC = 0x80000
# LEGACY_MAP_MASK: the flags every mmap accepts; MAP_SHARED drops the others, and
# MAP_SHARED_VALIDATE refuses them (EOPNOTSUPP) unless the file's mmap_supported_flags has
# them (none of ours: MAP_SYNC needs DAX). SHARED, PRIVATE, FIXED, ANONYMOUS, 32BIT,
# GROWSDOWN, DENYWRITE, EXECUTABLE, LOCKED, NORESERVE, POPULATE, NONBLOCK, STACK, HUGETLB,
# UNINITIALIZED, and the MAP_HUGE_2MB/1GB size encodings.
LEGACY_MAP_MASK = (0x03 | MAP_FIXED | MAP_ANONYMOUS | 0x40 | MAP_GROWSDOWN | 0x0800 | 0x1000
                   | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x4000000
                   | (21 << 26) | (30 << 26))


def calc_vm_prot_bits(prot: int) -> VmFlags:
    flags = 0
    if prot & PROT_READ:
        flags |= VmFlags.VM_READ
    if prot & PROT_WRITE:
        flags |= VmFlags.VM_WRITE
    if prot & PROT_EXEC:
        flags |= VmFlags.VM_EXEC
    return flags


def do_munmap(mm, start: int, length: int) -> None:
    """Remove [start, start+length) from the address space."""
    end = start + page_align(length)
    for vma in mm.split_range(start, end):
        mm.remove_vma(vma)
        zap_page_range(mm, vma.start, vma.end)
        if vma.file is not None and hasattr(vma.file, "put"):
            vma.file.put()


def mmap_region(mm, addr: int, length: int, vm_flags: VmFlags, file=None, pgoff: int = 0,
                name: str = "") -> int:
    """Install a VMA at a chosen address, replacing whatever was mapped there."""
    do_munmap(mm, addr, length)
    if file is not None and hasattr(file, "get"):
        file.get()
    mm.insert_vma(VmArea(addr, addr + length, vm_flags, file, pgoff, name))
    return addr


def do_mmap(mm, addr: int, length: int, prot: int, flags: int, file=None, pgoff: int = 0,
            name: str = "") -> int:
    """Validate, place and create a mapping; return its address (mm/mmap.c: do_mmap)."""
    if length == 0:
        raise KernelError(Errno.EINVAL)
    length = page_align(length)
    if length == 0 or length > TASK_SIZE:
        raise KernelError(Errno.ENOMEM)
    if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
        if addr & (PAGE_SIZE - 1):
            raise KernelError(Errno.EINVAL)
        if addr + length > TASK_SIZE or addr < MMAP_MIN_ADDR:
            raise KernelError(Errno.EPERM if addr < MMAP_MIN_ADDR else Errno.ENOMEM)
        if flags & MAP_FIXED_NOREPLACE and not flags & MAP_FIXED and not mm.is_free(addr, addr + length):
            raise KernelError(Errno.EEXIST)
    else:
        addr = mm.get_unmapped_area(length, addr)
        if not addr:
            raise KernelError(Errno.ENOMEM)
    vm_flags = calc_vm_prot_bits(prot) | VM_MAY_ALL
    if flags & MAP_GROWSDOWN:
        vm_flags |= VmFlags.VM_GROWSDOWN
    if file is not None:
        vm_flags = _file_vm_flags(file, prot, flags, vm_flags)
    elif flags & MAP_TYPE == MAP_SHARED:
        if vm_flags & VmFlags.VM_GROWSDOWN:
            raise KernelError(Errno.EINVAL)
        vm_flags |= VmFlags.VM_SHARED | VmFlags.VM_MAYSHARE
    elif flags & MAP_TYPE != MAP_PRIVATE:
        raise KernelError(Errno.EINVAL)
    return mmap_region(mm, addr, length, vm_flags, file, pgoff, name)


def _file_vm_flags(file, prot: int, flags: int, vm_flags: int) -> int:
    """do_mmap's checks of a file mapping, in Linux's order: unknown flags of
    MAP_SHARED_VALIDATE (EOPNOTSUPP), PROT_WRITE on a shared mapping of a file not open
    for writing (EACCES, and no VM_MAYWRITE for mprotect either), a file not open for
    reading (EACCES), a file without an mmap (ENODEV), MAP_GROWSDOWN (EINVAL)."""
    kind = flags & MAP_TYPE
    if kind == MAP_SHARED:
        flags &= LEGACY_MAP_MASK        # MAP_SHARED ignores what it does not know
    if kind in (MAP_SHARED, MAP_SHARED_VALIDATE):
        if flags & ~LEGACY_MAP_MASK:
            raise KernelError(Errno.EOPNOTSUPP)
        if prot & PROT_WRITE and not file.writable:
            raise KernelError(Errno.EACCES)
        vm_flags |= VmFlags.VM_SHARED | VmFlags.VM_MAYSHARE
        if not file.writable:
            vm_flags &= ~VmFlags.VM_MAYWRITE
    elif kind != MAP_PRIVATE:
        raise KernelError(Errno.EINVAL)
    if not file.readable:
        raise KernelError(Errno.EACCES)
    if not getattr(file, "can_mmap", False):
        raise KernelError(Errno.ENODEV)
    if vm_flags & VmFlags.VM_GROWSDOWN:
        raise KernelError(Errno.EINVAL)
    deny = getattr(file, "deny_mmap", None)
    if deny is not None:
        deny(vm_flags)                          # a sealed memfd (EPERM)
    return vm_flags


def sys_mmap(task, addr, length, prot, flags, fd, off) -> int:
    """mmap(2): anonymous, private and shared mappings (ksys_mmap_pgoff)."""
    flags &= 0xFFFFFFFF
    prot &= 0xFFFFFFFF
    if off & (PAGE_SIZE - 1):
        raise KernelError(Errno.EINVAL)
    mm = task.mm
    if flags & MAP_ANONYMOUS:
        if flags & MAP_TYPE == MAP_SHARED and not flags & MAP_GROWSDOWN and length:
            return _mmap_shared_anonymous(mm, addr, length, prot, flags)
        return do_mmap(mm, addr, length, prot, flags, None, 0)
    file = task.files.fdget(int_arg(fd))        # EBADF comes before any flag check
    if file.flags & O_PATH:
        raise KernelError(Errno.EBADF)          # fget refuses O_PATH descriptors
    shared = flags & MAP_TYPE in (MAP_SHARED, MAP_SHARED_VALIDATE)
    if shared and isinstance(file, ZeroFile) and length:
        _file_vm_flags(file, prot, flags, 0)        # the device's own checks first
        return _mmap_shared_anonymous(mm, addr, length, prot, flags)   # shmem_zero_setup
    if shared and getattr(file, "readpage", None) and address_space_registry(file) is not None:
        # A regular file: its pages live in the inode's AddressSpace, shared by every
        # mapping and kept coherent with read/write (mm/filemap.py).
        mapping = FileMapping(file, get_address_space(file, mm.phys))
        try:
            return do_mmap(mm, addr, length, prot, flags, mapping, off)
        finally:
            mapping.space.release_if_unused()
    return do_mmap(mm, addr, length, prot, flags, file, off)


def _mmap_shared_anonymous(mm, addr, length, prot, flags) -> int:
    """MAP_SHARED|MAP_ANONYMOUS: backed by a shmem object so fork keeps it shared."""
    from glasskernel.mm.shmem import ShmemFile
    shm = ShmemFile(mm.phys)
    try:
        return do_mmap(mm, addr, length, prot, flags, shm, 0)
    finally:
        shm.put()                     # the VMA holds its own reference now


def sys_munmap(task, addr, length) -> int:
    if addr & (PAGE_SIZE - 1) or length == 0 or addr + page_align(length) > TASK_SIZE:
        raise KernelError(Errno.EINVAL)
    do_munmap(task.mm, addr, length)
    return 0


def do_brk_flags(mm, start: int, end: int) -> None:
    """Extend the heap VMA from start to end (anonymous, read/write)."""
    heap = mm.vma_containing(start - 1) if start > mm.start_brk else None
    if heap is not None and heap.name == "[heap]" and heap.end == start:
        mm.remove_vma(heap)
        heap.end = end
        mm.insert_vma(heap)
    else:
        mm.insert_vma(VmArea(start, end, VmFlags.VM_READ | VmFlags.VM_WRITE | VM_MAY_ALL,
                             name="[heap]"))


def sys_brk(task, brk) -> int:
    """brk(2): move the program break; on failure return the old one, as Linux does."""
    mm = task.mm
    if brk < mm.start_brk:
        return mm.brk
    new_end = page_align(brk)
    old_end = page_align(mm.brk)
    if new_end == old_end:
        mm.brk = brk
        return mm.brk
    if brk <= mm.brk:
        do_munmap(mm, new_end, old_end - new_end)
        mm.brk = brk
        return mm.brk
    if new_end > TASK_SIZE or not mm.is_free(old_end, new_end + PAGE_SIZE):
        return mm.brk
    limit = task.rlimits.get("RLIMIT_DATA", (None, None))[0] if task.rlimits else None
    if limit is not None and new_end - mm.start_brk > limit:
        return mm.brk
    do_brk_flags(mm, old_end, new_end)
    mm.brk = brk
    return mm.brk
