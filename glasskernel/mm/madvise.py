"""madvise(2) (mm/madvise.c): MADV_DONTNEED really drops pages; other hints are accepted."""
from glasskernel.mm.memory import zap_page_range
from glasskernel.mm.mm_types import page_align
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError

MADV_DONTNEED = 4
MADV_FREE = 8
# Advice values Linux 6.1 knows on x86-64 (0-4, 8-21, 100-101).
_KNOWN_ADVICE = set(range(0, 5)) | set(range(8, 26)) | {100, 101}


def sys_madvise(task, start, length, advice) -> int:
    advice &= 0xFFFFFFFF
    if start & (PAGE_SIZE - 1) or advice not in _KNOWN_ADVICE:
        raise KernelError(Errno.EINVAL)
    end = start + page_align(length)
    if end == start:
        return 0
    mm = task.mm
    vmas = mm.overlapping(start, end)
    if not vmas:
        raise KernelError(Errno.ENOMEM)
    if advice in (MADV_DONTNEED, MADV_FREE):
        for vma in vmas:
            if not vma.flags & VmFlags.VM_SHARED:
                # Private pages read back as zeros (anonymous) or as the file's bytes.
                zap_page_range(mm, max(start, vma.start), min(end, vma.end))
    return 0
