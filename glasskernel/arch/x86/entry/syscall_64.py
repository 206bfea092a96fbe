"""The x86-64 system call table (arch/x86/entry/syscalls/syscall_64.tbl).

One declarative row per implemented number: the handler, and whether it is complete
("supported") or "partial" with a note saying what is missing. Numbers absent here return
ENOSYS with a single warning per number. Names come from uapi/unistd_64.py.
"""
from glasskernel.arch.x86.entry.common import SyscallEntry
from glasskernel.arch.x86.kernel import process_64
from glasskernel.kernel import exit as kexit
from glasskernel.kernel import fork, rseq
from glasskernel.kernel.futex import syscalls as futex
from glasskernel.mm import madvise, mmap, mprotect, mremap
from glasskernel.uapi.unistd_64 import NR, SYSCALL_NAMES

P = "partial"

# (number, handler, support, note)
_ROWS = [
    # memory (mm/)
    (NR.brk, mmap.sys_brk, "supported", ""),
    (NR.mmap, mmap.sys_mmap, P, "MAP_SHARED file mappings are private copies"),
    (NR.munmap, mmap.sys_munmap, "supported", ""),
    (NR.mprotect, mprotect.sys_mprotect, "supported", ""),
    (NR.mremap, mremap.sys_mremap, P, "MREMAP_DONTUNMAP is refused"),
    (NR.madvise, madvise.sys_madvise, P, "only MADV_DONTNEED/MADV_FREE act"),
    # process (kernel/, arch/x86/kernel/)
    (NR.arch_prctl, process_64.sys_arch_prctl, "supported", ""),
    (NR.set_tid_address, fork.sys_set_tid_address, "supported", ""),
    (NR.set_robust_list, futex.sys_set_robust_list, P, "list not walked at exit yet"),
    (NR.rseq, rseq.sys_rseq, P, "kernel built without CONFIG_RSEQ: ENOSYS"),
    (NR.exit, kexit.sys_exit, "supported", ""),
    (NR.exit_group, kexit.sys_exit_group, P, "single-threaded groups"),
]


def build_sys_call_table() -> dict:
    """nr → SyscallEntry for every implemented syscall."""
    return {int(nr): SyscallEntry(int(nr), SYSCALL_NAMES[int(nr)], handler, support, note)
            for nr, handler, support, note in _ROWS}
