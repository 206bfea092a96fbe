"""Page faults and user-memory access (mm/memory.c).

``handle_mm_fault`` brings one page in: a fresh zero page for anonymous memory
(``do_anonymous_page``), the file's bytes for a file-backed one (``do_read_fault``), or a
private copy of a shared frame on write (``do_wp_page``, copy-on-write). The CPU's #PF
entry, which decides which of these a fault is, is arch/x86/mm/fault.py.

``user_read``/``user_write`` are the kernel's own accesses (copy_from_user/copy_to_user):
they walk the page tables, fault pages in the same way, and turn failure into EFAULT.
"""
from glasskernel.arch.x86.mm.pgtable import (_PAGE_NX, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER,
                                             PTE_PFN_MASK, pack_ptes, pte_flags, pte_pfn_addr,
                                             pte_present, pte_write)
from glasskernel.mm.filemap import (FAULT_AROUND_PAGES, SharedPageFault, file_cache_key,
                                    find_address_space)
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.mm.page_alloc import PAGE_MASK, PAGE_SHIFT, PAGE_SIZE
from glasskernel.uapi.errno import Errno, KernelError

SEGV_MAPERR = 1
SEGV_ACCERR = 2
SIGBUS, SIGSEGV = 7, 11
BUS_ADRERR = 2              # a file mapping's page past the end of the file
STACK_GUARD_GAP = 256 * PAGE_SIZE
_DEFAULT_STACK_LIMIT = 8 << 20
_USER_PAGE = _PAGE_PRESENT | _PAGE_USER
_RLIM_INFINITY = 0xFFFFFFFFFFFFFFFF
UACCESS_TLB_PAGES = 512     # the kernel's user-access TLB starts over past this many pages


class VmFault(Exception):
    """An access the fault handler cannot satisfy: SIGSEGV (or SIGBUS) with this si_code."""

    def __init__(self, si_code: int, addr: int, signo: int = SIGSEGV):
        super().__init__(f"fault at {addr:#x} (signal {signo}, si_code {si_code})")
        self.si_code = si_code
        self.addr = addr
        self.signo = signo


def vma_pte_flags(vma, writable: bool) -> int:
    """pte_flags(writable, VM_EXEC set) for a user page, computed in place (every fault)."""
    flags = _USER_PAGE if vma.flags & VmFlags.VM_EXEC else _USER_PAGE | _PAGE_NX
    return flags | _PAGE_RW if writable else flags


def expand_stack(mm, vma, addr: int, stack_limit: int) -> None:
    """Grow a VM_GROWSDOWN area down to cover addr (mm/mmap.c: expand_downwards).

    Refused past RLIMIT_STACK, and when it would come within the guard gap of the
    mapping below (so a stack never runs silently into the heap).
    """
    new_start = addr & PAGE_MASK
    if vma.end - new_start > stack_limit:
        raise VmFault(SEGV_MAPERR, addr)
    if mm.rlimit_as != _RLIM_INFINITY:          # acct_stack_growth's may_expand_vm
        total = sum(v.end - v.start for v in mm.vmas)
        if total + vma.start - new_start > mm.rlimit_as:
            raise VmFault(SEGV_MAPERR, addr)
    index = mm.vmas.index(vma)
    prev = mm.vmas[index - 1] if index > 0 else None
    if prev is not None and not prev.flags & VmFlags.VM_GROWSDOWN and new_start - prev.end < STACK_GUARD_GAP:
        raise VmFault(SEGV_MAPERR, addr)
    mm.remove_vma(vma)
    vma.start = new_start
    mm.insert_vma(vma)


def find_vma_for_fault(mm, addr: int, stack_limit: int = _DEFAULT_STACK_LIMIT):
    """The VMA covering addr, growing the stack when addr is just below it."""
    vma = mm.find_vma(addr)
    if vma is None:
        raise VmFault(SEGV_MAPERR, addr)
    if vma.start > addr:
        if not vma.flags & VmFlags.VM_GROWSDOWN:
            raise VmFault(SEGV_MAPERR, addr)
        expand_stack(mm, vma, addr, stack_limit)
    return vma


def new_code_page(mm, vma, page_va: int) -> None:
    """A frame just filled by the kernel becomes executable: drop stale translations."""
    if vma.flags & VmFlags.VM_EXEC:
        mm.invalidate_code(page_va)


def do_anonymous_page(mm, vma, page_va: int) -> None:
    vma.anon_vma = True
    pa = mm.phys.alloc_page()
    mm.pgtable.set_pte(page_va, pa | vma_pte_flags(vma, bool(vma.flags & VmFlags.VM_WRITE)))
    new_code_page(mm, vma, page_va)


def do_read_fault(mm, vma, page_va: int, write: bool = False) -> None:
    """A file page: from the page cache when the file can be cached (mapped read-only, or
    copied at once for a write: do_cow_fault), else a new frame filled from the file.
    Past EOF the page reads as zeros. While the file has shared mappings, their pages
    are the file's pages for private mappings too (one page cache)."""
    space = find_address_space(vma.file)
    if space is not None:
        frame = _shared_page(vma, page_va, space.find_or_create_page, vma.file,
                             vma.file_offset(page_va) // PAGE_SIZE)
        mm.phys.get_page(frame)
        if write:
            do_cow_fault(mm, vma, page_va, frame)
        else:
            mm.pgtable.set_pte(page_va, frame | vma_pte_flags(vma, False))
            new_code_page(mm, vma, page_va)
        return
    key = file_cache_key(vma.file)
    if key is None:
        vma.anon_vma = True                   # a private frame, not a page-cache page
        pa = mm.phys.alloc_page()
        data = vma.file.pread(PAGE_SIZE, vma.file_offset(page_va))
        if data:
            mm.view[pa:pa + len(data)] = data
        mm.pgtable.set_pte(page_va, pa | vma_pte_flags(vma, bool(vma.flags & VmFlags.VM_WRITE)))
        new_code_page(mm, vma, page_va)
        return
    index = vma.file_offset(page_va) // PAGE_SIZE
    # do_fault_around first: when the cache holds the page, mapping the window maps it;
    # else read around it (do_sync_mmap_readahead) and map the window again.
    if not write and (filemap_map_pages(mm, vma, page_va, key, index)
                      or _read_around_and_map(mm, vma, page_va, key, index)):
        return
    frame, fresh = mm.phys.page_cache.read_page(vma.file, key, index)
    if write:
        do_cow_fault(mm, vma, page_va, frame)
        return
    mm.pgtable.set_pte(page_va, frame | vma_pte_flags(vma, False))
    if fresh:
        new_code_page(mm, vma, page_va)


def _read_around_and_map(mm, vma, page_va: int, key, index: int) -> bool:
    """A read fault on a page not cached: read its read-around window into the cache,
    then fault-around maps it; the new frames' stale translations go (executable
    mappings). True if the faulting page is mapped."""
    read = mm.phys.page_cache.read_around(vma.file, key, index)
    if not read or not filemap_map_pages(mm, vma, page_va, key, index):
        return False
    if vma.flags & VmFlags.VM_EXEC:
        window = FAULT_AROUND_PAGES * PAGE_SIZE
        low = max(vma.start, page_va & ~(window - 1))
        high = min(vma.end, low + window)
        base = vma.start - vma.pgoff               # where file offset 0 would be mapped
        for i, frame in read:
            va = base + i * PAGE_SIZE
            if low <= va < high and mm.pgtable.get_pte(va) & PTE_PFN_MASK == frame:
                mm.invalidate_code(va)
    return True


def do_cow_fault(mm, vma, page_va: int, frame: int) -> None:
    """Write to a private file page not yet mapped: the writer gets its own copy."""
    vma.anon_vma = True
    new = mm.phys.alloc_page(zero=False)
    mm.view[new:new + PAGE_SIZE] = mm.view[frame:frame + PAGE_SIZE]
    mm.phys.put_page(frame)
    mm.pgtable.set_pte(page_va, new | vma_pte_flags(vma, True))
    new_code_page(mm, vma, page_va)


def filemap_map_pages(mm, vma, page_va: int, key, index: int) -> bool:
    """Fault-around: map the cached pages of the fault's aligned window
    (``FAULT_AROUND_PAGES``), read-only. True if the faulting page (file page ``index``)
    was among them."""
    window = FAULT_AROUND_PAGES * PAGE_SIZE
    aligned = page_va & ~(window - 1)
    start = max(vma.start, aligned)
    end = min(vma.end, aligned + window)        # never past the window: one leaf table
    first_index = vma.file_offset(start) // PAGE_SIZE
    count = (end - start) // PAGE_SIZE
    template, mapped, packed = mm.phys.page_cache.window_ptes(
        key, first_index, count, vma_pte_flags(vma, False), pack_ptes)
    if not mapped:
        return False
    # The window is aligned and at most 2 MiB, so it lies in one leaf table: its PTEs
    # are read and written at once. A fresh window, what exec's faults meet, takes the
    # packed run as it is; otherwise present entries (a leaf entry is 0 or present) stay.
    pgtable = mm.pgtable
    if pgtable.ptes_clear(start, count):
        pgtable.set_packed_ptes(start, packed)
    else:
        ptes = pgtable.ptes(start, count)
        pgtable.set_ptes(start, [pte or fresh for pte, fresh in zip(ptes, template)])
        mapped = [fresh & PTE_PFN_MASK for pte, fresh in zip(ptes, template) if fresh and not pte]
    mm.phys.get_pages(mapped)
    return template[index - first_index] != 0


def _shared_page(vma, page_va: int, find, *args) -> int:
    """find(*args), a page-cache page; SIGBUS (BUS_ADRERR) past the end of the file."""
    try:
        return find(*args)
    except SharedPageFault:
        raise VmFault(BUS_ADRERR, page_va, SIGBUS) from None


def vma_shares_pages(vma) -> bool:
    """A shared mapping whose pages are the object's own (shmem, a file's AddressSpace):
    written in place. A shared mapping of a file without one (a host descriptor outside
    the overlay) gets copies, like a private one."""
    return bool(vma.flags & VmFlags.VM_SHARED) and hasattr(vma.file, "find_or_create_page")


def do_shared_fault(mm, vma, page_va: int, write: bool = False) -> None:
    """A page of a shared mapping: every mapper gets the same frame, writable in place.
    A file that tracks written pages (page_mkwrite) gets it read-only until a write."""
    frame = _shared_page(vma, page_va, vma.file.find_or_create_page, vma.file_offset(page_va))
    mm.phys.get_page(frame)
    writable = bool(vma.flags & VmFlags.VM_WRITE)
    mkwrite = getattr(vma.file, "page_mkwrite", None)
    if mkwrite is not None and writable:
        writable = write
        if write:
            mkwrite(vma.file_offset(page_va))
    mm.pgtable.set_pte(page_va, frame | vma_pte_flags(vma, writable))
    new_code_page(mm, vma, page_va)


def do_wp_page(mm, vma, page_va: int, pte: int, from_cpu: bool = False) -> None:
    """Write to a write-protected private page: reuse it if we are its only user, else copy.

    from_cpu: the CPU's own write faulted, and retries when we return. A shared mapping's
    page is written in place (wp_page_shared); a huge page has its own (hugetlb_wp)."""
    if vma.flags & VmFlags.VM_HUGETLB:
        vma.file.fault(mm, vma, page_va, True)
        return
    old = pte_pfn_addr(pte)
    if vma_shares_pages(vma):
        mkwrite = getattr(vma.file, "page_mkwrite", None)
        if mkwrite is not None:
            mkwrite(vma.file_offset(page_va))       # wp_page_shared: the page is dirty now
        mm.pgtable.set_pte(page_va, old | vma_pte_flags(vma, True))
    elif mm.phys.page_count(old) == 1:
        vma.anon_vma = True
        mm.pgtable.set_pte(page_va, old | vma_pte_flags(vma, True))
    else:
        vma.anon_vma = True
        new = mm.phys.alloc_page(zero=False)
        mm.view[new:new + PAGE_SIZE] = mm.view[old:old + PAGE_SIZE]
        mm.pgtable.set_pte(page_va, new | vma_pte_flags(vma, True))
        mm.phys.put_page(old)
    if from_cpu and not vma.flags & VmFlags.VM_EXEC:
        mm.flush_tlb_write_fault()
    else:
        # The kernel writes the page itself (a user copy), or the page holds code (the
        # CPU's jump cache knows translations by address only): flush now.
        mm.flush_tlb()
    new_code_page(mm, vma, page_va)


def handle_mm_fault(mm, addr: int, write: bool, stack_limit: int = _DEFAULT_STACK_LIMIT) -> int:
    """Make the page at addr present (and writable if write); return its PTE."""
    page_va = addr & PAGE_MASK
    __handle_mm_fault(mm, addr, write, stack_limit, mm.pgtable.get_pte(page_va))
    return mm.pgtable.get_pte(page_va)


def __handle_mm_fault(mm, addr: int, write: bool, stack_limit: int, pte: int) -> None:
    """handle_mm_fault's work, given the PTE the caller already read (handle_pte_fault)."""
    vma = find_vma_for_fault(mm, addr, stack_limit)
    if write and not vma.flags & VmFlags.VM_WRITE:
        raise VmFault(SEGV_ACCERR, addr)
    if not vma.flags & (VmFlags.VM_READ | VmFlags.VM_WRITE | VmFlags.VM_EXEC):
        raise VmFault(SEGV_ACCERR, addr)
    page_va = addr & PAGE_MASK
    if not pte_present(pte):
        if vma.file is None:
            do_anonymous_page(mm, vma, page_va)
            return
        if vma.flags & VmFlags.VM_DONTEXPAND:        # a special mapping: [vdso], [vvar]
            vma.file.fault(mm, vma, page_va, write)
            return
        try:
            if vma_shares_pages(vma):
                do_shared_fault(mm, vma, page_va, write)
            else:
                do_read_fault(mm, vma, page_va, write)
        except (KernelError, OSError, OverflowError):
            # The file could not be read there (a host I/O error): VM_FAULT_SIGBUS.
            raise VmFault(BUS_ADRERR, addr, SIGBUS) from None
    elif write and not pte_write(pte):
        do_wp_page(mm, vma, page_va, pte)


def _user_pte(mm, va: int, write: bool) -> int:
    """The PTE for kernel access to user va, faulting the page in if needed (EFAULT if
    it cannot be). The page goes into the kernel's user-access TLB."""
    if va >= 0x0000_8000_0000_0000:
        raise KernelError(Errno.EFAULT)
    pte = mm.pgtable.get_pte(va)
    # pte_present, pte_user and (for a write) pte_write, tested at once: every copy
    # from or to user memory that misses the TLB comes through here.
    if pte & _USER_PAGE != _USER_PAGE or (write and not pte & _PAGE_RW):
        try:
            __handle_mm_fault(mm, va, write, _DEFAULT_STACK_LIMIT, pte)
        except VmFault:
            raise KernelError(Errno.EFAULT) from None
        pte = mm.pgtable.get_pte(va)
    if pte & _USER_PAGE == _USER_PAGE:
        _uaccess_tlb_fill(mm.pgtable, va, pte)
    return pte


def _uaccess_tlb_fill(pgtable, va: int, pte: int) -> None:
    """Remember a walked user page in the kernel's user-access TLB (PageTable.uaccess_*):
    readable always, writable when the PTE allows writes and the page holds no code (a
    write there must drop translated code, which only the walk does)."""
    reads = pgtable.uaccess_read
    if len(reads) >= UACCESS_TLB_PAGES:
        pgtable.flush_uaccess()
    vpn = va >> PAGE_SHIFT
    page = pte & PTE_PFN_MASK
    reads[vpn] = page
    if pte & _PAGE_RW and pte & _PAGE_NX:
        pgtable.uaccess_write[vpn] = page


def _user_page(mm, va: int, write: bool) -> int:
    """Physical address for kernel access to user va, faulting the page in if needed."""
    return (_user_pte(mm, va, write) & PTE_PFN_MASK) | (va & (PAGE_SIZE - 1))


def user_read(mm, addr: int, n: int) -> bytes:
    """copy_from_user over the page tables (a page in the kernel's TLB needs no walk)."""
    page = mm.pgtable.uaccess_read.get(addr >> PAGE_SHIFT)
    if page is not None and (addr & (PAGE_SIZE - 1)) + n <= PAGE_SIZE:
        pa = page | (addr & (PAGE_SIZE - 1))
        return mm.view[pa:pa + n].tobytes()
    if addr + n > 0x0000_8000_0000_0000 or addr < 0:
        raise KernelError(Errno.EFAULT)
    view = mm.view
    if (addr & (PAGE_SIZE - 1)) + n <= PAGE_SIZE:       # within one page: most copies
        pa = _user_page(mm, addr, False)
        return view[pa:pa + n].tobytes()
    parts = []
    while n > 0:
        pa = _user_page(mm, addr, False)
        chunk = min(n, PAGE_SIZE - (addr & (PAGE_SIZE - 1)))
        parts.append(view[pa:pa + chunk])
        addr += chunk
        n -= chunk
    return b"".join(parts)


def user_write(mm, addr: int, data) -> None:
    """copy_to_user over the page tables (copy-on-write pages are broken first; a page
    in the kernel's TLB needs no walk)."""
    n = len(data)
    page = mm.pgtable.uaccess_write.get(addr >> PAGE_SHIFT)
    if page is not None and (addr & (PAGE_SIZE - 1)) + n <= PAGE_SIZE:
        pa = page | (addr & (PAGE_SIZE - 1))
        mm.view[pa:pa + n] = data
        return
    if addr + n > 0x0000_8000_0000_0000 or addr < 0:
        raise KernelError(Errno.EFAULT)
    if (addr & (PAGE_SIZE - 1)) + n <= PAGE_SIZE:       # within one page: most copies
        _write_page(mm, addr, data)
        return
    done = 0
    while done < n:
        va = addr + done
        chunk = min(n - done, PAGE_SIZE - (va & (PAGE_SIZE - 1)))
        _write_page(mm, va, data[done:done + chunk])
        done += chunk


def _write_page(mm, va: int, data) -> None:
    """Copy data (within one page) to user va."""
    pte = _user_pte(mm, va, True)
    pa = (pte & PTE_PFN_MASK) | (va & (PAGE_SIZE - 1))
    mm.view[pa:pa + len(data)] = data
    if not pte & _PAGE_NX:                  # pte_exec: new bytes in code
        mm.invalidate_code(va)


def user_read_cstring(mm, addr: int, limit: int) -> bytes:
    """strncpy_from_user: bytes up to the NUL, ENAMETOOLONG if none within limit."""
    view = mm.view
    ram = mm.phys.buf                 # searched in place: no copy of the rest of the page
    parts = []
    total = 0
    while total < limit:
        pa = _user_page(mm, addr, False)
        chunk = min(limit - total, PAGE_SIZE - (addr & (PAGE_SIZE - 1)))
        nul = ram.find(b"\0", pa, pa + chunk)
        if nul >= 0:
            parts.append(view[pa:nul])
            return b"".join(parts)
        parts.append(view[pa:pa + chunk])
        total += chunk
        addr += chunk
    raise KernelError(Errno.ENAMETOOLONG)


def zap_page_range(mm, start: int, end: int) -> None:
    """Unmap every present page in [start, end) and drop the frame references."""
    taken = mm.pgtable.take_ptes(start, end)
    mm.phys.put_pages(taken, PTE_PFN_MASK)
    if taken:
        mm.flush_tlb()


def change_protection(mm, vma, start: int, end: int) -> None:
    """Rewrite the PTEs of [start, end) to match vma's new flags (mprotect)."""
    writable = bool(vma.flags & VmFlags.VM_WRITE)
    changed = False
    for va, pte in list(mm.pgtable.present_ptes(start, end)):
        shared_frame = mm.phys.page_count(pte_pfn_addr(pte)) > 1 and not vma_shares_pages(vma)
        # Pages of a file that tracks writes become writable at their next write fault.
        can_write = writable and not shared_frame and not hasattr(vma.file, "page_mkwrite")
        if not vma.flags & (VmFlags.VM_READ | VmFlags.VM_WRITE | VmFlags.VM_EXEC):
            new = pte_pfn_addr(pte) | pte_flags(False, False, user=False)   # PROT_NONE
        else:
            new = pte_pfn_addr(pte) | vma_pte_flags(vma, can_write)
        if new != pte:
            mm.pgtable.set_pte(va, new)
            changed = True
    if changed:
        mm.flush_tlb()


__all__ = ["VmFault", "handle_mm_fault", "user_read", "user_write",
           "user_read_cstring", "zap_page_range", "change_protection", "SEGV_MAPERR", "SEGV_ACCERR"]
