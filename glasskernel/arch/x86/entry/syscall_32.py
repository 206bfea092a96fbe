"""The i386 system call table (arch/x86/entry/syscalls/syscall_32.tbl): ia32_sys_call_table.

What a 32-bit program reaches through ``int $0x80`` or ``sysenter``. Most rows are the
64-bit kernel's own handlers, which read ``int`` arguments from the low 32 bits of each
register; a row names a compat wrapper where the arguments or the user structures of an
i386 caller differ (two registers for a 64-bit value, 32-bit pointers and longs). The
"slow" ones (those that may sleep or switch tasks) are the 64-bit table's, by name, and
_SLOW_32: they run on the task's kernel stack, the others inside the CPU hook
(entry_64_compat.py). Numbers absent here return ENOSYS with a single warning per number.
"""
from glasskernel.arch.x86.entry.common import SyscallEntry
from glasskernel.arch.x86.kernel import sys_ia32, tls
from glasskernel.fs import exec as fs_exec
from glasskernel.fs import ioctl, open, read_write
from glasskernel.kernel import exit as kexit
from glasskernel.kernel import fork, sys
from glasskernel.mm import mmap, mprotect
from glasskernel.uapi.unistd_32 import NR, SYSCALL_NAMES, syscall_name

P = "partial"

# (number, handler, support, note)
_ROWS = [
    # processes (kernel/fork.c, kernel/exit.c, fs/exec.c)
    (NR.fork, fork.sys_fork, "supported", ""),
    (NR.vfork, fork.sys_vfork, "supported", ""),
    (NR.clone, sys_ia32.sys_ia32_clone, "supported", ""),
    (NR.execve, fs_exec.compat_sys_execve, "supported", ""),
    (NR.execveat, fs_exec.compat_sys_execveat, "supported", ""),
    (NR.exit, kexit.sys_exit, "supported", ""),
    (NR.exit_group, kexit.sys_exit_group, "supported", ""),
    (NR.waitpid, kexit.sys_waitpid, "supported", ""),
    (NR.wait4, kexit.compat_sys_wait4, "supported", ""),
    (NR.set_tid_address, fork.sys_set_tid_address, "supported", ""),
    # thread-local storage (arch/x86/kernel/tls.c)
    (NR.set_thread_area, tls.sys_set_thread_area, "supported", ""),
    (NR.get_thread_area, tls.sys_get_thread_area, "supported", ""),
    (NR.getpid, sys.sys_getpid, "supported", ""),
    (NR.getppid, sys.sys_getppid, "supported", ""),
    (NR.uname, sys.sys_uname, "supported", ""),
    # memory (mm/mmap.c, mm/mprotect.c)
    (NR.brk, mmap.sys_brk, "supported", ""),
    (NR.mmap2, mmap.sys_mmap_pgoff, "supported", ""),
    (NR.munmap, mmap.sys_munmap, "supported", ""),
    (NR.mprotect, mprotect.sys_mprotect, "supported", ""),
    # files (fs/open.c, fs/read_write.c, fs/ioctl.c)
    (NR.close, open.sys_close, "supported", ""),
    (NR.read, read_write.sys_read, "supported", ""),
    (NR.write, read_write.sys_write, "supported", ""),
    (NR.ioctl, ioctl.sys_ioctl, "supported", ""),
]

_TABLE = None


# i386 calls that may sleep or switch tasks besides the 64-bit table's slow ones (which
# the i386 names share, some with a _time64 suffix): they never run in the CPU hook.
_SLOW_32 = frozenset(("waitpid", "sigreturn", "sigsuspend", "socketcall"))


def ia32_sys_call_table() -> dict:
    """nr → SyscallEntry for every implemented i386 syscall (built on first use)."""
    global _TABLE
    if _TABLE is None:
        from glasskernel.arch.x86.entry.syscall_64 import build_sys_call_table
        slow = {e.name for e in build_sys_call_table().values() if e.slow} | _SLOW_32
        _TABLE = {}
        for nr, handler, support, note in _ROWS:
            name = SYSCALL_NAMES[int(nr)]
            _TABLE[int(nr)] = SyscallEntry(int(nr), name, handler, support, note,
                                           slow=name in slow or name.removesuffix("_time64") in slow)
    return _TABLE


def ia32_syscall_name(nr: int) -> str:
    return syscall_name(nr)
