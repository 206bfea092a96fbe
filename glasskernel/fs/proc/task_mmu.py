"""Memory views of a process: /proc/<pid>/maps, statm and status's Vm* lines (fs/proc/task_mmu.c).

This kernel keeps no rss counters: every read walks the page tables of each VMA
(``pgtable.present_ptes``) and counts what is present. A page in a file-backed VMA counts
as a file page unless the task has its own writable copy (a broken COW, which Linux counts
as anonymous); a page of a shared anonymous VMA counts as shmem.
"""
import os
import struct

from glasskernel.arch.x86.mm.pgtable import PTE_PFN_MASK
from glasskernel.fs.file_table import File
from glasskernel.fs.libfs import SimpleFile
from glasskernel.mm.mm_types import TASK_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = ~(PAGE_SIZE - 1)
_PTE_RW = 0x2


def _pages(vma) -> int:
    return (vma.end - vma.start) >> PAGE_SHIFT


def _is_stack_vma(vma) -> bool:
    return bool(vma.flags & VmFlags.VM_GROWSDOWN)


def vmas_of(mm) -> list:
    """A snapshot of the mm's VMAs (an mm without any has none)."""
    return list(mm.vmas) if mm is not None else []


def locked_pages(mm) -> int:
    """mm->locked_vm: pages of the VM_LOCKED VMAs."""
    return sum(_pages(v) for v in vmas_of(mm) if v.flags & VmFlags.VM_LOCKED)


def total_vm(mm) -> int:
    """mm->total_vm: pages of every VMA."""
    return sum(_pages(v) for v in vmas_of(mm))


def _present(mm, vma):
    try:
        return mm.pgtable.present_ptes(vma.start, vma.end)
    except Exception:                       # a torn-down mm: nothing is present any more
        return iter(())


def rss_counters(mm) -> tuple:
    """(anon, file, shmem) pages present (get_mm_counter of MM_ANONPAGES, FILEPAGES, SHMEMPAGES)."""
    anon = file = shmem = 0
    for vma in vmas_of(mm):
        if vma.flags & VmFlags.VM_HUGETLB:
            continue                        # counted apart: HugetlbPages
        shared = bool(vma.flags & VmFlags.VM_SHARED)
        for _va, pte in _present(mm, vma):
            if vma.file is not None:
                if not shared and pte & _PTE_RW:
                    anon += 1
                else:
                    file += 1
            elif shared:
                shmem += 1
            else:
                anon += 1
    return anon, file, shmem


def hugetlb_usage(mm) -> int:
    """HugetlbPages in kB: the huge pages with a piece mapped in this mm."""
    total = 0
    for vma in vmas_of(mm):
        if vma.flags & VmFlags.VM_HUGETLB:
            size = vma.file.hstate.size
            pages = {vma.file_offset(va) // size for va, _pte in _present(mm, vma)}
            total += len(pages) * (size >> 10)
    return total


def rss_pages(mm) -> int:
    """get_mm_rss."""
    return sum(rss_counters(mm))


def vm_counters(mm) -> dict:
    """data_vm, stack_vm and exec_vm in pages (vm_stat_account's classification)."""
    data = stack = exec_ = 0
    for vma in vmas_of(mm):
        flags, pages = vma.flags, _pages(vma)
        if _is_stack_vma(vma):
            stack += pages
        elif flags & VmFlags.VM_EXEC and not flags & VmFlags.VM_WRITE:
            exec_ += pages
        elif flags & VmFlags.VM_WRITE and not flags & VmFlags.VM_SHARED:
            data += pages
    return {"data": data, "stack": stack, "exec": exec_}


def _text_bytes(mm, exec_pages: int) -> int:
    return max(min(_code_bytes(mm), exec_pages << PAGE_SHIFT), 0)


def _code_bytes(mm) -> int:
    """PAGE_ALIGN(end_code) - (start_code & PAGE_MASK)."""
    start, end = mm.start_code, mm.end_code
    return max(((end + PAGE_SIZE - 1) & PAGE_MASK) - (start & PAGE_MASK), 0)


def _pgtables_bytes(mm) -> int:
    return max(len(mm.pgtable.table_pages) - 1, 0) * PAGE_SIZE     # every table but the pgd


def task_mem(mm) -> list:
    """task_mem: the Vm*/Rss* lines of /proc/<pid>/status."""
    anon, file, shmem = rss_counters(mm)
    total = total_vm(mm)
    rss = anon + file + shmem
    counters = vm_counters(mm)
    text = _text_bytes(mm, counters["exec"])
    lib = (counters["exec"] << PAGE_SHIFT) - text
    hiwater_vm = total                  # mm->hiwater_vm is not kept: VmPeak is VmSize
    hiwater_rss = max(rss, mm.hiwater_rss())
    kb = PAGE_SIZE >> 10

    def line(name, value_kb):
        return f"{name}:\t{value_kb:8d} kB"

    return [
        line("VmPeak", hiwater_vm * kb),
        line("VmSize", total * kb),
        line("VmLck", locked_pages(mm) * kb),
        line("VmPin", 0),
        line("VmHWM", hiwater_rss * kb),
        line("VmRSS", rss * kb),
        line("RssAnon", anon * kb),
        line("RssFile", file * kb),
        line("RssShmem", shmem * kb),
        line("VmData", counters["data"] * kb),
        line("VmStk", counters["stack"] * kb),
        line("VmExe", text >> 10),
        line("VmLib", lib >> 10),
        line("VmPTE", _pgtables_bytes(mm) >> 10),
        line("VmSwap", 0),
        line("HugetlbPages", hugetlb_usage(mm)),
    ]


def proc_pid_statm(task) -> bytes:
    """proc_pid_statm: size resident shared text lib(0) data dt(0), in pages."""
    mm = task.mm if not task.kthread else None
    if mm is None:
        return b"0 0 0 0 0 0 0\n"
    anon, file, shmem = rss_counters(mm)
    counters = vm_counters(mm)
    shared = file + shmem
    text = _code_bytes(mm) >> PAGE_SHIFT
    data = counters["data"] + counters["stack"]
    return f"{total_vm(mm)} {shared + anon} {shared} {text} 0 {data} 0\n".encode()


# ----- /proc/<pid>/maps -----------------------------------------------------------------------

def _file_ids(file) -> tuple:
    """(major, minor, inode) of the file behind a VMA."""
    try:
        st = file.stat()
        return os.major(st.st_dev), os.minor(st.st_dev), st.st_ino
    except Exception:                       # the file went away under us: show zeros
        return 0, 0, 0


def _file_path(file) -> str:
    try:
        path = file.path
    except Exception:
        return ""
    return path.replace("\n", "\\012")


def vma_name(mm, vma) -> str:
    """The name show_map_vma prints for an area without a file."""
    if vma.name:
        return vma.name
    start_brk, brk = mm.start_brk, mm.brk
    if start_brk and vma.start <= brk and vma.end >= start_brk:
        return "[heap]"
    if vma.start <= mm.start_stack <= vma.end:
        return "[stack]"
    return ""


def show_map_vma(mm, vma) -> str:
    """One line of /proc/<pid>/maps (show_vma_header_prefix + the padded name)."""
    flags = vma.flags
    perms = ("r" if flags & VmFlags.VM_READ else "-") + \
            ("w" if flags & VmFlags.VM_WRITE else "-") + \
            ("x" if flags & VmFlags.VM_EXEC else "-") + \
            ("s" if flags & VmFlags.VM_SHARED else "p")
    major = minor = ino = pgoff = 0
    name = ""
    if vma.flags & (VmFlags.VM_DONTEXPAND | VmFlags.VM_HUGETLB) == VmFlags.VM_DONTEXPAND:
        # a special mapping names itself
        name = vma.file.name
    elif vma.file is not None:
        major, minor, ino = _file_ids(vma.file)
        pgoff = vma.pgoff
        name = _file_path(vma.file)
    else:
        name = vma_name(mm, vma)
    head = (f"{vma.start:08x}-{vma.end:08x} {perms} {pgoff:08x} "
            f"{major:02x}:{minor:02x} {ino} ")
    if name:
        head = head.ljust(25 + 8 * 6 - 1) + " " + name
    return head + "\n"


def gate_vma_line(mm) -> str:
    """get_gate_vma: the vsyscall page (vsyscall=xonly: execute-only), which every
    64-bit process has above its VMAs and maps shows last; an i386 process's mm has no
    MM_CONTEXT_HAS_VSYSCALL, so none ("")."""
    from glasskernel.arch.x86.entry.vdso.vma import is_compat_mm
    if is_compat_mm(mm):
        return ""
    from glasskernel.arch.x86.entry.vsyscall_64 import VSYSCALL_ADDR
    head = (f"{VSYSCALL_ADDR:08x}-{VSYSCALL_ADDR + PAGE_SIZE:08x} --xp 00000000 00:00 0 ")
    return head.ljust(25 + 8 * 6 - 1) + " [vsyscall]\n"


def proc_pid_maps(task) -> bytes:
    mm = task.mm if not task.kthread else None
    if mm is None:
        return b""
    lines = [show_map_vma(mm, vma) for vma in vmas_of(mm)]
    lines.append(gate_vma_line(mm))
    return "".join(lines).encode("utf-8", "surrogateescape")


# ----- /proc/<pid>/pagemap -------------------------------------------------------------------

PM_ENTRY_BYTES = 8
PM_PRESENT, PM_FILE, PM_MMAP_EXCLUSIVE, PM_SOFT_DIRTY = 1 << 63, 1 << 61, 1 << 56, 1 << 55
PM_PFRAME_MASK = (1 << 55) - 1


def pagemap_entry(mm, vma, va: int, show_pfn: bool) -> int:
    """One page's 64-bit entry (pte_to_pagemap_entry): present, its frame number (only for
    CAP_SYS_ADMIN), file-backed or shared, mapped by this mm alone, soft-dirty."""
    pte = mm.pgtable.get_pte(va)
    if vma is None or not pte & 1:
        return PM_SOFT_DIRTY if vma is not None else 0
    entry = PM_PRESENT | PM_SOFT_DIRTY
    frame = pte & PTE_PFN_MASK
    if show_pfn:
        entry |= (frame >> PAGE_SHIFT) & PM_PFRAME_MASK
    if vma.file is not None or vma.flags & VmFlags.VM_SHARED:
        entry |= PM_FILE
    if mm.phys.page_count(frame) == 1:
        entry |= PM_MMAP_EXCLUSIVE
    return entry


class PagemapFile(File):
    """pagemap_read: 8 bytes per virtual page of the task, read at any 8-byte offset."""

    def __init__(self, dentry, flags: int, task, target):
        super().__init__(dentry, flags)
        self._mm = target.mm
        from glasskernel.kernel.capability import capable
        from glasskernel.uapi.capability import CAP_SYS_ADMIN
        self._show_pfn = capable(task, CAP_SYS_ADMIN)     # decided at open, as Linux does

    def read_at(self, count: int, pos: int) -> bytes:
        if pos % PM_ENTRY_BYTES or count % PM_ENTRY_BYTES:
            raise KernelError(Errno.EINVAL)
        mm = self._mm
        if mm is None:
            return b""
        first = pos // PM_ENTRY_BYTES
        last = min(first + count // PM_ENTRY_BYTES, TASK_SIZE >> PAGE_SHIFT)
        if last <= first:
            return b""
        out = bytearray((last - first) * PM_ENTRY_BYTES)      # unmapped pages: all zero
        for vma in mm.overlapping(first << PAGE_SHIFT, last << PAGE_SHIFT):
            lo, hi = max(first, vma.start >> PAGE_SHIFT), min(last, vma.end >> PAGE_SHIFT)
            entries = [pagemap_entry(mm, vma, i << PAGE_SHIFT, self._show_pfn)
                       for i in range(lo, hi)]
            struct.pack_into(f"<{len(entries)}Q", out, (lo - first) * PM_ENTRY_BYTES, *entries)
        return bytes(out)


class PagemapDentry(SimpleFile):
    """/proc/<pid>/pagemap: readable by whoever may read the task's memory (mode 0400)."""

    def __init__(self, sb, name, parent, target_of):
        super().__init__(sb, name, parent, None, mode=0o100400)
        self._target_of = target_of

    def open(self, task, flags: int):
        return PagemapFile(self, flags, task, self._target_of(task))
