"""Core dumps (fs/coredump.c): a process killed by SIGSEGV, SIGABRT, SIGQUIT... leaves an
ELF core file that gdb opens (``gdb PROG core``), when RLIMIT_CORE allows one.

The file's name comes from /proc/sys/kernel/core_pattern ("core" by default, with %p, %e,
%s... expanded; core_uses_pid appends the pid) and is opened through the dumping task's
own VFS, relative to its working directory: it lands in the guest's tree (the sandbox's
layer), never on the host. A pipe pattern ("|helper") would start a user-mode helper;
glasskernel starts none and logs that no core was written. Which mappings are written is
/proc/PID/coredump_filter's choice (``vma_dump_size``); the format is fs/binfmt_elf_core.py's.
"""
import os

from glasskernel.kernel.time import realtime_ns
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import KernelError
from glasskernel.uapi.fcntl import AT_FDCWD, O_CREAT, O_EXCL, O_LARGEFILE, O_NOFOLLOW, O_RDWR
from glasskernel.kernel.sys import task_rlimit
from glasskernel.uapi.resource import RLIMIT_CORE

CORENAME_MAX_SIZE = 128
MIN_COREDUMP = 4096                     # binfmt->min_coredump: ELF_EXEC_PAGESIZE
# coredump_filter bits (MMF_DUMP_*), and the default 0x33 (anonymous private and shared,
# ELF headers, private huge pages)
DUMP_ANON_PRIVATE, DUMP_ANON_SHARED, DUMP_MAPPED_PRIVATE, DUMP_MAPPED_SHARED = 1, 2, 4, 8
DUMP_ELF_HEADERS, DUMP_HUGETLB_PRIVATE, DUMP_HUGETLB_SHARED = 16, 32, 64
DUMP_FILTER_BITS = 9
DUMP_FILTER_DEFAULT = 0x33


def format_corename(task, signo: int) -> str:
    """The core file's name: core_pattern with its % specifiers expanded (format_corename)."""
    kernel = task.kernel
    pattern = kernel.core_pattern
    fields = {
        "p": lambda: str(_ns_tgid(task)), "P": lambda: str(task.tgid),
        "i": lambda: str(_ns_tid(task)), "I": lambda: str(task.pid),
        "u": lambda: str(task.cred.uid), "g": lambda: str(task.cred.gid),
        "d": lambda: str(task.dumpable), "s": lambda: str(signo),
        "t": lambda: str(realtime_ns(task) // 10**9),
        "h": lambda: _hostname(task).replace("/", "!"),
        "e": lambda: task.comm.replace("/", "!"),
        "E": lambda: (task.mm.exe_path or "").replace("/", "!"),
        "f": lambda: os.path.basename(task.mm.exe_path or ""),
        "c": lambda: str(task_rlimit(task, RLIMIT_CORE)),
    }
    out, has_pid, i = [], False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "%" and i + 1 < len(pattern):
            spec = pattern[i + 1]
            i += 2
            if spec == "%":
                out.append("%")
            elif spec in fields:
                has_pid |= spec == "p"
                out.append(fields[spec]())
            continue                    # an unknown specifier is dropped, as Linux does
        out.append(ch)
        i += 1
    name = "".join(out)
    if kernel.core_uses_pid and not has_pid:
        name += f".{_ns_tgid(task)}"
    return name


def _ns_tgid(task) -> int:
    from glasskernel.kernel.pid import task_tgid_vnr
    return task_tgid_vnr(task, task)


def _ns_tid(task) -> int:
    from glasskernel.kernel.pid import task_pid_vnr
    return task_pid_vnr(task, task)


def _hostname(task) -> str:
    from glasskernel.kernel.sys import utsname_of
    return utsname_of(task).nodename


def vma_dump_size(vma, filt: int, read_first_page) -> int:
    """How many bytes of a mapping the core holds (vma_dump_size): all of it, its ELF
    header page, or nothing, as coredump_filter says."""
    whole = vma.end - vma.start
    if vma.name == "[vdso]":
        return whole                        # always_dump_vma: gdb reads the vDSO from it
    if vma.flags & VmFlags.VM_DONTDUMP or vma.name == "[vvar]":
        return 0
    if vma.flags & VmFlags.VM_SHARED:
        anon = vma.file is None or getattr(vma.file, "anonymous_shared", False)
        return whole if filt & (DUMP_ANON_SHARED if anon else DUMP_MAPPED_SHARED) else 0
    if vma.file is None or vma.anon_vma:
        return whole if filt & DUMP_ANON_PRIVATE else 0
    if filt & DUMP_MAPPED_PRIVATE:
        return whole
    if filt & DUMP_ELF_HEADERS and vma.pgoff == 0 and vma.flags & VmFlags.VM_READ:
        if read_first_page(vma)[:4] == b"\x7fELF":
            return 4096
    return 0


def do_coredump(task, signo: int, info: bytes) -> bool:
    """Write the core file of task's process, killed by signo; True if it was written
    whole (the wait status then carries WCOREDUMP, 0x80)."""
    kernel = task.kernel
    if task.mm is None or not task.dumpable:
        return False
    limit = task_rlimit(task, RLIMIT_CORE)
    if kernel.core_pattern.startswith("|"):
        from glasskernel.kernel.printk import printk
        printk(kernel, f"Core dump to {kernel.core_pattern} pipe failed: "
               "glasskernel runs no user-mode helpers")
        return False
    if limit < MIN_COREDUMP:
        return False
    name = format_corename(task, signo)
    file = _open_core_file(task, name)
    if file is None:
        return False
    try:
        from glasskernel.fs.binfmt_elf_core import elf_core_dump
        return elf_core_dump(task, signo, info, file, limit)
    except KernelError:
        return False                        # a write failed (ENOSPC, EFBIG): no core
    finally:
        file.put()


def _open_core_file(task, name: str):
    """Unlink an old file of that name, create it afresh with mode 0600 (never through a
    symlink), as the dumping task; None when Linux would give up."""
    from glasskernel.fs.namei_dir import do_unlinkat
    from glasskernel.fs.open import do_filp_open
    try:
        do_unlinkat(task, AT_FDCWD, name)
    except KernelError:
        pass
    try:
        file = do_filp_open(task, AT_FDCWD, name,
                            O_CREAT | O_RDWR | O_NOFOLLOW | O_LARGEFILE | O_EXCL, 0o600)
    except KernelError:
        return None
    st = file.stat()
    if st.st_nlink > 1 or (st.st_mode & 0o170000) != 0o100000 or st.st_mode & 0o677 != 0o600:
        file.put()
        return None
    return file
