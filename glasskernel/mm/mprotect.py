"""mprotect(2) (mm/mprotect.c): new permissions on whole VMAs, then on their PTEs."""
from glasskernel.mm.memory import change_protection
from glasskernel.mm.mm_types import TASK_SIZE, page_align
from glasskernel.mm.mmap import (PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, PROT_READ, PROT_WRITE,
                                 calc_vm_prot_bits, check_split_count, vma_merge)
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.vm_flags import VM_ACCESS_FLAGS, VmFlags
from glasskernel.uapi.errno import Errno, KernelError

_PROT_KEEP = ~VM_ACCESS_FLAGS          # everything but the three access bits stays


def _check_covered(vmas, start: int, end: int) -> None:
    """Every byte of [start, end) must be mapped, else ENOMEM."""
    cursor = start
    for vma in vmas:
        if vma.start > cursor:
            break
        cursor = vma.end
    if cursor < end:
        raise KernelError(Errno.ENOMEM)


def _charge_if_writable(oldflags: int, newflags: int) -> int:
    """mprotect_fixup: a private mapping made writable for the first time is charged
    from now on (VM_ACCOUNT), unless it was mapped with MAP_NORESERVE."""
    never = VmFlags.VM_ACCOUNT | VmFlags.VM_WRITE | VmFlags.VM_SHARED | VmFlags.VM_NORESERVE
    if newflags & VmFlags.VM_WRITE and not oldflags & never:
        newflags |= VmFlags.VM_ACCOUNT
    return newflags


def sys_mprotect(task, start, length, prot) -> int:
    if start & (PAGE_SIZE - 1):
        raise KernelError(Errno.EINVAL)
    prot &= 0xFFFFFFFF
    if prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP):
        raise KernelError(Errno.EINVAL)
    end = start + page_align(length)
    if end < start or end > TASK_SIZE:
        raise KernelError(Errno.ENOMEM)
    if end == start:
        return 0
    mm = task.mm
    _check_covered(mm.overlapping(start, end), start, end)
    new_bits = calc_vm_prot_bits(prot)
    # A VMA whose flags stay as they are is left whole (mprotect_fixup returns early):
    # only the changed ones are split, within vm.max_map_count.
    vmas = mm.overlapping(start, end)
    check_split_count(mm, [v for v in vmas if (v.flags & _PROT_KEEP) | new_bits != v.flags],
                      start, end)
    for vma in vmas:
        newflags = (vma.flags & _PROT_KEEP) | new_bits
        if newflags & ~(newflags >> 4) & VM_ACCESS_FLAGS:
            raise KernelError(Errno.EACCES)     # a permission the VMA may never have
        newflags = _charge_if_writable(vma.flags, newflags)
        if newflags == vma.flags:
            continue
        # VMAs before this one already changed, as in Linux's loop.
        for part in mm.split_range(max(start, vma.start), min(end, vma.end)):
            part.flags = newflags
            change_protection(mm, part, part.start, part.end)
    vma_merge(mm, start, end)                   # mprotect_fixup's vma_merge
    if prot & PROT_EXEC:
        # Code written while the pages were not executable (a JIT's W^X flip): the CPU
        # must not run translations it made of these pages before.
        for va, _pte in list(mm.pgtable.present_ptes(start, end)):
            mm.invalidate_code(va)
    return 0
