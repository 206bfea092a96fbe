"""mremap(2) (mm/mremap.c): shrink, grow in place, or move a mapping by moving its PTEs."""
from glasskernel.mm.mm_types import VmArea, page_align
from glasskernel.mm.mmap import (accountable_mapping, do_munmap, may_expand_vm, vm_enough_memory,
                                 vm_sysctl)
from glasskernel.mm.page_alloc import PAGE_SHIFT, PAGE_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError

MREMAP_MAYMOVE = 1
MREMAP_FIXED = 2
MREMAP_DONTUNMAP = 4


def move_page_tables(mm, old_start: int, new_start: int, length: int) -> None:
    """Carry every present PTE from the old range to the new one (frames are not copied)."""
    for va, pte in list(mm.pgtable.present_ptes(old_start, old_start + length)):
        mm.pgtable.clear_pte(va)
        mm.pgtable.set_pte(new_start + (va - old_start), pte)
    mm.flush_tlb()


def _grow_in_place(mm, vma, addr: int, old_len: int, new_len: int) -> bool:
    """vma ends at addr + old_len: extend it to addr + new_len if that room is free."""
    end = addr + new_len
    if end > mm.task_size or not mm.is_free(addr + old_len, end):
        return False
    vma.end = end
    return True


def move_vma(mm, vma, addr: int, old_len: int, new_addr: int, new_len: int) -> int:
    """Create the area at new_addr, move the pages, then unmap the old range."""
    moved = VmArea(new_addr, new_addr + new_len, vma.flags, vma.file, vma.file_offset(addr), vma.name,
                   vma.anon_vma)
    if vma.file is not None and hasattr(vma.file, "get"):
        vma.file.get()
    move_page_tables(mm, addr, new_addr, old_len)
    # The moved area goes in first: a private hugetlb file frees only the huge pages
    # no area of it covers any more.
    mm.insert_vma(moved)
    do_munmap(mm, addr, old_len)
    hook = getattr(moved.file, "mremap", None) if moved.flags & VmFlags.VM_DONTEXPAND else None
    if hook is not None:
        hook(mm, new_addr)                      # special_mapping_mremap: the vDSO moved
    return new_addr


def _validate(addr: int, old_len: int, new_len: int, flags: int, new_addr: int) -> None:
    if flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP):
        raise KernelError(Errno.EINVAL)
    if flags & MREMAP_FIXED and not flags & MREMAP_MAYMOVE:
        raise KernelError(Errno.EINVAL)
    if addr & (PAGE_SIZE - 1) or (flags & MREMAP_FIXED and new_addr & (PAGE_SIZE - 1)):
        raise KernelError(Errno.EINVAL)
    if new_len == 0:
        raise KernelError(Errno.EINVAL)
    if flags & MREMAP_DONTUNMAP:
        raise KernelError(Errno.EINVAL)     # not supported here; Linux accepts it for private anon


def vma_to_resize(task, mm, vma, old_len: int, new_len: int) -> None:
    """Growing by new_len - old_len: within RLIMIT_AS, and committable (ENOMEM)."""
    if new_len <= old_len:
        return
    if vma.flags & (VmFlags.VM_DONTEXPAND | VmFlags.VM_PFNMAP):
        raise KernelError(Errno.EFAULT)         # a special mapping never grows
    grow = (new_len - old_len) >> PAGE_SHIFT
    if not may_expand_vm(task, mm, vma.flags, grow):
        raise KernelError(Errno.ENOMEM)
    if accountable_mapping(vma.file, vma.flags) and not vm_enough_memory(mm, grow):
        raise KernelError(Errno.ENOMEM)


def check_move_map_count(mm) -> None:
    """A move may split the old area and add the new one: ENOMEM near the limit."""
    if len(mm.vmas) + 2 >= vm_sysctl.max_map_count - 3:
        raise KernelError(Errno.ENOMEM)


def mremap_to(task, mm, addr: int, old_len: int, new_addr: int, new_len: int) -> int:
    """MREMAP_FIXED: EINVAL past user space or when the old and new ranges overlap, ENOMEM
    near the map-count limit, all before anything is unmapped; then whatever is at new_addr
    goes, and the old range must be one mapped area (EFAULT) that may grow (ENOMEM)."""
    if new_len > mm.task_size or new_addr > mm.task_size - new_len:     # (4 GiB for i386)
        raise KernelError(Errno.EINVAL)
    if addr + old_len > new_addr and new_addr + new_len > addr:
        raise KernelError(Errno.EINVAL)
    if len(mm.vmas) >= vm_sysctl.max_map_count - 3:
        raise KernelError(Errno.ENOMEM)
    do_munmap(mm, new_addr, new_len)
    vma = mm.vma_containing(addr)
    if vma is None or (old_len and addr + old_len > vma.end):
        raise KernelError(Errno.EFAULT)         # vma_to_resize: one VMA only
    vma_to_resize(task, mm, vma, old_len, new_len)
    mm.split_range(addr, addr + old_len)
    return move_vma(mm, mm.vma_containing(addr), addr, min(old_len, new_len), new_addr, new_len)


def sys_mremap(task, addr, old_len, new_len, flags, new_addr) -> int:
    flags &= 0xFFFFFFFF
    old_len, new_len = page_align(old_len), page_align(new_len)
    _validate(addr, old_len, new_len, flags, new_addr)
    mm = task.mm
    huge = mm.vma_containing(addr)
    if huge is not None and huge.flags & VmFlags.VM_HUGETLB:
        # Huge pages: aligned addresses, lengths rounded up to the page size, no growth
        # (its reservations cannot be split).
        size = huge.file.hstate.size
        old_len = (old_len + size - 1) & ~(size - 1)
        new_len = (new_len + size - 1) & ~(size - 1)
        if addr & (size - 1) or new_addr & (size - 1) or new_len > old_len:
            raise KernelError(Errno.EINVAL)
    if flags & MREMAP_FIXED:
        return mremap_to(task, mm, addr, old_len, new_addr, new_len)
    vma = mm.vma_containing(addr)
    if vma is None:
        raise KernelError(Errno.EFAULT)
    if new_len <= old_len:                      # shrinking just unmaps the tail
        if new_len < old_len:
            do_munmap(mm, addr + new_len, old_len - new_len)
        return addr
    if old_len and addr + old_len > vma.end:
        raise KernelError(Errno.EFAULT)         # vma_to_resize: one VMA only
    vma_to_resize(task, mm, vma, old_len, new_len)
    if vma.end == addr + old_len and _grow_in_place(mm, vma, addr, old_len, new_len):
        return addr                            # vma_expandable: the area grows in place
    if not flags & MREMAP_MAYMOVE:
        raise KernelError(Errno.ENOMEM)
    check_move_map_count(mm)
    mm.split_range(addr, addr + old_len)
    vma = mm.vma_containing(addr)
    target = mm.get_unmapped_area(new_len)
    if not target:
        raise KernelError(Errno.ENOMEM)
    mm.split_range(addr, addr + old_len)
    return move_vma(mm, mm.vma_containing(addr), addr, old_len, target, new_len)
