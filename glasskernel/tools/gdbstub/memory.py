"""Guest memory as a debugger reaches it (access_process_vm with FOLL_FORCE).

Reads go through the kernel's own user-access path (pages are faulted in as a ptrace
peek would) and stop at the first address that cannot be read. Writes may land in
read-only code, as ptrace's pokes do: a private page shared with the page cache or
another process is copied first, so only this address space sees the new bytes.
Software breakpoints are int3 bytes written this way; ``BreakpointTable`` remembers the
bytes they replaced, and reads show those instead.
"""
from glasskernel.arch.x86.mm.pgtable import PTE_PFN_MASK, pte_present
from glasskernel.mm.memory import VmFault, handle_mm_fault, user_read, vma_shares_pages
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.vm_flags import VmFlags

VM_WRITE = VmFlags.VM_WRITE
from glasskernel.uapi.errno import KernelError

USER_END = 0x0000_8000_0000_0000
INT3 = 0xCC


def read_memory(mm, addr: int, length: int) -> bytes:
    """The readable prefix of [addr, addr + length) (b"" when its first byte is not)."""
    parts = []
    while length > 0 and 0 <= addr < USER_END:
        chunk = min(length, PAGE_SIZE - (addr & (PAGE_SIZE - 1)))
        try:
            parts.append(user_read(mm, addr, chunk))
        except (KernelError, VmFault):
            break
        addr += chunk
        length -= chunk
    return b"".join(parts)


def force_write(mm, addr: int, data: bytes) -> bool:
    """Write data at addr even into read-only private mappings; False if a page of the
    range is not mapped at all (nothing after it is written)."""
    done = 0
    while done < len(data):
        va = addr + done
        chunk = min(len(data) - done, PAGE_SIZE - (va & (PAGE_SIZE - 1)))
        if not 0 <= va < USER_END or not _write_page(mm, va, data[done:done + chunk]):
            return False
        done += chunk
    return True


def _write_page(mm, va: int, data: bytes) -> bool:
    """Write data (within one page) at va; False if va is not mapped."""
    page_va = va & ~(PAGE_SIZE - 1)
    vma = mm.vma_containing(va)
    if vma is None:
        return False
    pte = mm.pgtable.get_pte(page_va)
    if not pte_present(pte):
        try:
            handle_mm_fault(mm, va, False)
        except (KernelError, VmFault):
            return False
        pte = mm.pgtable.get_pte(page_va)
    frame = pte & PTE_PFN_MASK
    if not vma_shares_pages(vma) and mm.phys.page_count(frame) > 1:
        # Copy-on-write for the debugger: the page cache and other processes keep theirs.
        new = mm.phys.alloc_page(zero=False)
        mm.view[new:new + PAGE_SIZE] = mm.view[frame:frame + PAGE_SIZE]
        mm.pgtable.set_pte(page_va, new | (pte & ~PTE_PFN_MASK))
        mm.phys.put_page(frame)
        mm.flush_tlb()
        frame = new
    pa = frame | (va & (PAGE_SIZE - 1))
    mm.view[pa:pa + len(data)] = data
    return True


def physical_ranges(mm, addr: int, length: int, write: bool) -> set:
    """The physical [lo, hi) pieces of a user range, its pages faulted in (for writing,
    when the mapping allows it: a private copy). Unmapped pages are left out."""
    ranges = set()
    end = addr + length
    while addr < end:
        page_end = min(end, (addr | (PAGE_SIZE - 1)) + 1)
        vma = mm.vma_containing(addr)
        if vma is not None:
            try:
                pte = handle_mm_fault(mm, addr, write and bool(vma.flags & VM_WRITE))
            except (KernelError, VmFault):
                pte = 0
            if pte_present(pte):
                pa = (pte & PTE_PFN_MASK) | (addr & (PAGE_SIZE - 1))
                ranges.add((pa, pa + page_end - addr))
        addr = page_end
    return ranges


class BreakpointTable:
    """Software breakpoints per address space: address -> the byte the int3 replaced."""

    def __init__(self):
        self.by_mm = {}                 # mm -> {addr: original byte}
        self.code_changed = False       # translated code must be dropped before resuming

    def of(self, mm) -> dict:
        """The breakpoints of mm (address -> hidden byte)."""
        return self.by_mm.get(mm, {})

    def insert(self, mm, addr: int) -> bool:
        """Z0: an int3 at addr in mm; False if the byte cannot be read or written."""
        table = self.by_mm.setdefault(mm, {})
        if addr in table:
            return True
        original = read_memory(mm, addr, 1)
        if len(original) != 1 or not force_write(mm, addr, bytes((INT3,))):
            return False
        table[addr] = original[0]
        self.code_changed = True
        return True

    def remove(self, mm, addr: int) -> bool:
        """z0: the hidden byte back at addr (True for an address gdb never set)."""
        table = self.by_mm.get(mm, {})
        original = table.pop(addr, None)
        if original is None:
            return True                 # not ours (gdb may remove twice): nothing to do
        self.code_changed = True
        return force_write(mm, addr, bytes((original,)))

    def shadow(self, mm, addr: int, data: bytes) -> bytes:
        """data read at addr, with our int3 bytes replaced by what they hide."""
        table = self.by_mm.get(mm)
        if not table or not data:
            return data
        out = None
        for bp, original in table.items():
            if addr <= bp < addr + len(data):
                out = out or bytearray(data)
                out[bp - addr] = original
        return bytes(out) if out is not None else data

    def write(self, mm, addr: int, data: bytes) -> bool:
        """gdb's M/X: new bytes under a breakpoint become its saved byte; the int3 stays."""
        table = self.by_mm.get(mm, {})
        data = bytearray(data)
        for bp in table:
            if addr <= bp < addr + len(data):
                table[bp] = data[bp - addr]
                data[bp - addr] = INT3
        self.code_changed = True
        return force_write(mm, addr, bytes(data))

    def copy_mm(self, old, new) -> None:
        """fork copied the int3 bytes with the memory: the child has the same breakpoints."""
        if self.by_mm.get(old):
            self.by_mm[new] = dict(self.by_mm[old])

    def forget(self, mm) -> None:
        """Drop the table of an address space that is gone (exec)."""
        self.by_mm.pop(mm, None)
