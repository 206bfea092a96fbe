"""Memory locking (mm/mlock.c): mlock, mlock2, munlock, mlockall, munlockall.

A locked VMA carries VM_LOCKED (and VM_LOCKONFAULT for MLOCK_ONFAULT); locking faults
its pages in, unless on-fault. Guest memory is never swapped here, so a lock changes
nothing else, but it is counted as Linux counts it: RLIMIT_MEMLOCK bounds it (ENOMEM, or
EPERM when the limit is 0) for a task without CAP_IPC_LOCK, and /proc/PID/status shows
it as VmLck. Locks are not inherited by fork (dup_mmap drops them) nor kept by exec.
"""
from glasskernel.mm.memory import handle_mm_fault
from glasskernel.mm.mm_types import TASK_SIZE, page_align
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.resource import RLIM_INFINITY, RLIMIT_MEMLOCK

VM_LOCKED, VM_LOCKONFAULT = VmFlags.VM_LOCKED, VmFlags.VM_LOCKONFAULT
VM_LOCKED_MASK = VM_LOCKED | VM_LOCKONFAULT
# [vvar] and [vdso]: never locked (their pages are the kernel's)
VM_SPECIAL = VmFlags.VM_IO | VmFlags.VM_DONTEXPAND | VmFlags.VM_PFNMAP
MLOCK_ONFAULT = 0x01
MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4
PAGE_SHIFT = 12


def capable_ipc_lock(task) -> bool:
    from glasskernel.kernel.capability import capable
    from glasskernel.uapi.capability import CAP_IPC_LOCK
    return capable(task, CAP_IPC_LOCK)


def memlock_limit(task) -> int:
    """RLIMIT_MEMLOCK's soft limit in bytes."""
    return task.rlimits.get(RLIMIT_MEMLOCK, (RLIM_INFINITY,))[0] if task.rlimits else RLIM_INFINITY


def can_do_mlock(task) -> bool:
    return capable_ipc_lock(task) or memlock_limit(task) != 0


def locked_bytes(mm, start: int = 0, end: int = TASK_SIZE) -> int:
    """Bytes of [start, end) in locked VMAs (mm->locked_vm, or count_mm_mlocked_page_nr)."""
    return sum(min(v.end, end) - max(v.start, start) for v in mm.overlapping(start, end)
               if v.flags & VM_LOCKED)


def mlock_future_check(task, mm, length: int) -> None:
    """A new locked mapping (MAP_LOCKED, or after mlockall(MCL_FUTURE)): EPERM without a
    memlock allowance, EAGAIN past it."""
    if not can_do_mlock(task):
        raise KernelError(Errno.EPERM)
    try:
        check_lock_limit(task, mm, length)
    except KernelError:
        raise KernelError(Errno.EAGAIN) from None


def check_lock_limit(task, mm, extra: int) -> None:
    """ENOMEM when extra more locked bytes would pass RLIMIT_MEMLOCK (no CAP_IPC_LOCK)."""
    limit = memlock_limit(task)
    if limit != RLIM_INFINITY and not capable_ipc_lock(task) and \
            locked_bytes(mm) + extra > limit:
        raise KernelError(Errno.ENOMEM)


def populate(mm, start: int, end: int, locked_only: bool = True) -> None:
    """__mm_populate: fault in every page of the (locked) range, writable ones for
    writing, so a private mapping gets its own copy now, not at the first store."""
    for vma in mm.overlapping(start, end):
        if locked_only and (not vma.flags & VM_LOCKED or vma.flags & VM_LOCKONFAULT):
            continue
        if not vma.flags & (VmFlags.VM_READ | VmFlags.VM_WRITE | VmFlags.VM_EXEC):
            continue
        write = bool(vma.flags & VmFlags.VM_WRITE) and not vma.flags & VmFlags.VM_SHARED
        for addr in range(max(start, vma.start), min(end, vma.end), PAGE_SIZE):
            handle_mm_fault(mm, addr, write)


def apply_vma_lock_flags(mm, start: int, end: int, flags: int) -> None:
    """Set (or, with flags 0, clear) the lock bits on every VMA of [start, end), splitting
    at the ends; a hole in the range is ENOMEM."""
    cursor = start
    for vma in mm.overlapping(start, end):
        if vma.start > cursor:
            raise KernelError(Errno.ENOMEM)
        cursor = vma.end
    if cursor < end:
        raise KernelError(Errno.ENOMEM)
    for vma in mm.overlapping(start, end):
        if (vma.flags & ~VM_LOCKED_MASK) | flags == vma.flags or vma.flags & VM_SPECIAL:
            continue                    # mlock_fixup leaves special mappings alone
        for part in mm.split_range(max(start, vma.start), min(end, vma.end)):
            part.flags = (part.flags & ~VM_LOCKED_MASK) | flags
    from glasskernel.mm.mmap import vma_merge
    vma_merge(mm, start, end)           # mlock_fixup's vma_merge


def do_mlock(task, start: int, length: int, flags: int) -> int:
    """mlock/mlock2: EPERM without a memlock allowance, ENOMEM past it or over a hole."""
    if not can_do_mlock(task):
        raise KernelError(Errno.EPERM)
    length = page_align(length + (start & (PAGE_SIZE - 1)))
    start &= ~(PAGE_SIZE - 1)
    end = start + length
    if end < start or end > TASK_SIZE + PAGE_SIZE:
        raise KernelError(Errno.ENOMEM)
    if end == start:
        return 0
    mm = task.mm
    check_lock_limit(task, mm, length - locked_bytes(mm, start, end))
    apply_vma_lock_flags(mm, start, end, flags)
    populate(mm, start, end)
    return 0


def sys_mlock(task, start, length) -> int:
    return do_mlock(task, start, length, VM_LOCKED)


def sys_mlock2(task, start, length, flags) -> int:
    flags &= 0xFFFFFFFF
    if flags & ~MLOCK_ONFAULT:
        raise KernelError(Errno.EINVAL)
    return do_mlock(task, start, length, VM_LOCKED | (VM_LOCKONFAULT if flags else 0))


def sys_munlock(task, start, length) -> int:
    length = page_align(length + (start & (PAGE_SIZE - 1)))
    start &= ~(PAGE_SIZE - 1)
    if start + length < start:
        raise KernelError(Errno.ENOMEM)
    if length:
        apply_vma_lock_flags(task.mm, start, start + length, 0)
    return 0


def sys_mlockall(task, flags) -> int:
    """MCL_CURRENT locks what is mapped, MCL_FUTURE what will be (mm->def_flags);
    MCL_ONFAULT alone, or no flag, is EINVAL."""
    flags &= 0xFFFFFFFF
    if not flags or flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) or flags == MCL_ONFAULT:
        raise KernelError(Errno.EINVAL)
    if not can_do_mlock(task):
        raise KernelError(Errno.EPERM)
    mm = task.mm
    lock = VM_LOCKED | (VM_LOCKONFAULT if flags & MCL_ONFAULT else 0)
    if flags & MCL_CURRENT:
        limit = memlock_limit(task)
        total = sum(v.end - v.start for v in mm.vmas)
        if limit != RLIM_INFINITY and not capable_ipc_lock(task) and total > limit:
            raise KernelError(Errno.ENOMEM)
    mm.def_flags = lock if flags & MCL_FUTURE else 0
    if flags & MCL_CURRENT:
        for vma in list(mm.vmas):
            if not vma.flags & VM_SPECIAL:
                vma.flags = (vma.flags & ~VM_LOCKED_MASK) | lock
        try:
            populate(mm, 0, TASK_SIZE)
        except KernelError:
            pass                       # mlockall ignores what cannot be faulted in
    return 0


def sys_munlockall(task) -> int:
    mm = task.mm
    mm.def_flags = 0
    for vma in mm.vmas:
        vma.flags &= ~VM_LOCKED_MASK
    return 0
