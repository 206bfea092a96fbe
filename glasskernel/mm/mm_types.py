"""mm_struct and vm_area_struct (include/linux/mm_types.h).

An address space is a sorted list of VMAs (what may be mapped and how) plus the page tables
(what is mapped now). Pages come in lazily: the fault path (mm/memory.py) fills a PTE the
first time the CPU or the kernel touches an address inside a VMA.
"""
import bisect
from dataclasses import dataclass

from glasskernel.arch.x86.mm.pgtable import PageTable
from glasskernel.mm.memory import user_read, user_read_cstring, user_write
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.resource import RLIM_INFINITY

TASK_SIZE = 0x0000_7FFF_FFFF_F000          # top of the user half (TASK_SIZE_MAX)
STACK_TOP = TASK_SIZE                       # no randomisation: as under `setarch -R`
MMAP_BASE = 0x0000_7FFF_F7FF_F000          # where top-down mmap allocation starts
# Where a PIE goes without ASLR: two thirds of the way up (0x555555554aaa, aligned down by
# the loader to the program's segment alignment: 0x555555554000).
ELF_ET_DYN_BASE = (TASK_SIZE // 3) * 2
MMAP_MIN_ADDR = 0x10000                     # vm.mmap_min_addr
# An i386 program's address space (TIF_ADDR32): 4 GiB less two pages, its stack on top and
# mmap_base the 128 MiB minimum gap below it (arch/x86/mm/mmap.c without randomisation).
IA32_PAGE_OFFSET = 0xFFFF_E000
IA32_MMAP_BASE = IA32_PAGE_OFFSET - 0x800_0000


@dataclass(eq=False)
class VmArea:
    """vm_area_struct: [start, end) with one set of permissions and one backing."""

    start: int
    end: int
    flags: VmFlags
    file: object = None        # struct file for file-backed areas
    pgoff: int = 0             # file offset of `start`, in bytes
    name: str = ""             # [heap], [stack] … for /proc/pid/maps
    anon_vma: bool = False     # it has (had) private anonymous pages: fork copies its PTEs

    def file_offset(self, addr: int) -> int:
        return self.pgoff + (addr - self.start)

    def split_at(self, addr: int) -> "VmArea":
        """Cut at addr: self keeps [start, addr), the returned area is [addr, end)."""
        tail = VmArea(addr, self.end, self.flags, self.file, self.file_offset(addr), self.name,
                      self.anon_vma)
        if self.file is not None and hasattr(self.file, "get"):
            self.file.get()
        self.end = addr
        return tail


def page_align(value: int) -> int:
    return (value + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)


class MmStruct:
    """mm_struct: the VMAs, the page tables and the layout bounds of one address space."""

    __slots__ = ("phys", "view", "kernel_pgd_entry", "pgtable", "cpu", "vmas", "_starts", "users",
                 "mmap_base", "task_size", "rlimit_as", "free_area_cache", "cached_hole_size",
                 "start_code", "end_code", "start_data", "end_data", "start_brk", "brk", "def_flags",
                 "start_stack", "arg_start", "arg_end", "env_start", "env_end", "exe_path", "exe_file",
                 "auxv", "vdso", "timens", "coredump_filter", "oom_skip")

    def __init__(self, phys, kernel_pgd_entry: int, cpu=None):
        self.phys = phys
        self.view = phys.view
        self.kernel_pgd_entry = kernel_pgd_entry
        self.pgtable = PageTable(phys, kernel_pgd_entry)
        self.cpu = cpu                  # the CPU whose TLB must hear about PTE changes
        self.vmas: list[VmArea] = []
        self._starts: list[int] = []
        self.users = 1                  # mm_users: tasks sharing this mm (CLONE_VM)
        self.mmap_base = MMAP_BASE
        self.task_size = TASK_SIZE      # IA32_PAGE_OFFSET for an i386 program (set_personality_ia32)
        # RLIMIT_AS of the tasks using this mm, in bytes, for the fault path's stack growth
        # (kept here by prlimit, exec and fork: faults do not know their task).
        self.rlimit_as = RLIM_INFINITY
        # The top-down search's cache (Linux 2.6's free_area_cache and cached_hole_size):
        # every hole between the cache and mmap_base is at most cached_hole_size long, so
        # a longer request may start below the cache. Without it, each mmap walked every
        # VMA above its hole: 65,000 mappings took quadratic time.
        self.free_area_cache = MMAP_BASE
        self.cached_hole_size = 0
        self.start_code = self.end_code = self.start_data = self.end_data = 0
        self.start_brk = self.brk = 0
        self.def_flags = 0              # vm_flags every new mapping gets (mlockall MCL_FUTURE)
        self.start_stack = 0
        self.arg_start = self.arg_end = self.env_start = self.env_end = 0
        self.exe_path = ""
        self.exe_file = None
        self.auxv = b""
        self.vdso = 0                   # mm->context.vdso: the [vdso] image's address
        self.timens = False             # [vvar] shows a time namespace's page (vdso/vma.py)
        self.coredump_filter = 0x33     # mm->flags' MMF_DUMP_* bits (fs/coredump.py)
        self.oom_skip = False           # MMF_OOM_SKIP: the OOM killer reaped it, pick another

    def hiwater_rss(self) -> int:
        """get_mm_hiwater_rss: the most pages this address space has had present."""
        return max(self.pgtable.hiwater, self.pgtable.present)

    # ----- VMA bookkeeping ----------------------------------------------------------------

    def find_vma(self, addr: int):
        """The first VMA with end > addr (it may start above addr), or None."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and addr < self.vmas[i].end:
            return self.vmas[i]
        if i + 1 < len(self.vmas):
            return self.vmas[i + 1]
        return None

    def vma_containing(self, addr: int):
        vma = self.find_vma(addr)
        return vma if vma is not None and vma.start <= addr else None

    def insert_vma(self, vma: VmArea) -> None:
        i = bisect.bisect_left(self._starts, vma.start)
        self.vmas.insert(i, vma)
        self._starts.insert(i, vma.start)

    def remove_vma(self, vma: VmArea) -> None:
        i = self.vmas.index(vma)
        del self.vmas[i]
        del self._starts[i]

    def overlapping(self, start: int, end: int) -> list:
        """VMAs that intersect [start, end), in address order."""
        vmas = self.vmas
        i = max(bisect.bisect_right(self._starts, start) - 1, 0)
        n = len(vmas)
        found = []
        while i < n:                 # indexed, not a slice: no copy of the rest of the list
            vma = vmas[i]
            if vma.start >= end:
                break
            if vma.end > start:
                found.append(vma)
            i += 1
        return found

    def split_range(self, start: int, end: int) -> list:
        """Split VMAs so that [start, end) is covered by whole VMAs; return those."""
        for vma in self.overlapping(start, end):
            if vma.start < start:
                self._replace_with_split(vma, start)
        for vma in self.overlapping(start, end):
            if vma.end > end:
                self._replace_with_split(vma, end)
        return self.overlapping(start, end)

    def _replace_with_split(self, vma: VmArea, addr: int) -> None:
        if vma.flags & VmFlags.VM_HUGETLB:
            from glasskernel.mm.hugetlb import hugetlb_vm_op_split
            hugetlb_vm_op_split(vma, addr)          # huge page boundaries only (EINVAL)
        elif vma.flags & VmFlags.VM_DONTEXPAND:
            raise KernelError(Errno.EINVAL)     # special_mapping_split: [vvar]/[vdso] stay whole
        tail = vma.split_at(addr)
        self.insert_vma(tail)

    def is_free(self, start: int, end: int) -> bool:
        return not self.overlapping(start, end)

    def get_unmapped_area(self, length: int, hint: int = 0) -> int:
        """Pick an address for a new mapping: the hint if free, else the highest hole below
        mmap_base that fits (arch_get_unmapped_area_topdown); 0 if there is none."""
        if hint:
            hint = page_align(hint)
            if MMAP_MIN_ADDR <= hint and hint + length <= self.task_size and self.is_free(hint, hint + length):
                return hint
        if length <= self.cached_hole_size or self.free_area_cache > self.mmap_base:
            self.free_area_cache, self.cached_hole_size = self.mmap_base, 0
        top = self.free_area_cache
        vmas = self.vmas
        i = bisect.bisect_left(self._starts, top) - 1    # the VMAs below top, downwards
        while i >= 0:
            vma = vmas[i]
            if vma.end <= top - length:
                break
            if vma.end < top:
                self.cached_hole_size = max(self.cached_hole_size, top - vma.end)
            top = min(top, vma.start)
            i -= 1
        if top - length < MMAP_MIN_ADDR:
            return 0
        self.free_area_cache = top - length
        return top - length

    def unmapped_area_freed(self, start: int, end: int) -> None:
        """[start, end) became free: if above the search cache, start over next time."""
        if end > self.free_area_cache:
            self.free_area_cache, self.cached_hole_size = self.mmap_base, 0

    # ----- kernel access to user memory (see mm/uaccess.py) -------------------------------

    # read(addr, n) and write(addr, data) are user_read and user_write themselves (the
    # mm is their first argument): every copy to or from user memory comes this way.
    read = user_read
    write = user_write

    def read_cstring(self, addr: int, limit: int) -> bytes:
        return user_read_cstring(self, addr, limit)

    # ----- TLB ----------------------------------------------------------------------------

    def invalidate_code(self, va: int) -> None:
        """The page at va got new bytes from the kernel: forget its translated code."""
        if self.cpu is not None and self.cpu.current_cr3 == self.pgtable.pgd:
            page = va & ~(PAGE_SIZE - 1)
            self.cpu.invalidate_code(page, page + PAGE_SIZE)

    def flush_tlb(self) -> None:
        """flush_tlb_mm: a present PTE changed; the CPU running this mm must forget it."""
        if self.cpu is not None and self.cpu.current_cr3 == self.pgtable.pgd:
            self.cpu.flush_tlb()

    def flush_tlb_write_fault(self) -> None:
        """The CPU's own write fault gave a page write permission (copy-on-write): the
        flush may wait for the end of the run (CpuPair.flush_tlb_deferred)."""
        cpu = self.cpu
        if cpu is not None and cpu.current_cr3 == self.pgtable.pgd:
            cpu.flush_tlb_deferred()
