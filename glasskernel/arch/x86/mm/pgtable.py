"""x86-64 four-level page tables kept in guest physical memory (arch/x86/include/asm/pgtable*.h).

The emulated CPU walks these tables itself (CR3 → PML4 → PDPT → PD → PT), so the kernel's
view and the CPU's view of an address space are the same bytes. Intermediate entries grant
everything (present, writable, user); the leaf PTE carries the real permissions, as Linux does.
"""
import functools
import struct
from array import array
from itertools import compress

from glasskernel.arch.x86.page_types import PAGE_SHIFT, PAGE_SIZE

_PTE_STRUCT = struct.Struct("<Q")
_unpack = _PTE_STRUCT.unpack_from
_pack = _PTE_STRUCT.pack_into

_PAGE_PRESENT = 1 << 0
_PAGE_RW = 1 << 1
_PAGE_USER = 1 << 2
_PAGE_ACCESSED = 1 << 5
_PAGE_DIRTY = 1 << 6
_PAGE_NX = 1 << 63
PTE_PFN_MASK = 0x000F_FFFF_FFFF_F000
_TABLE_FLAGS = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER
_NOT_RW = ~_PAGE_RW
KERNEL_PGD_INDEX = 511          # the top 512 GiB: kernel text lives there, shared by every mm


def pte_flags(writable: bool, executable: bool, user: bool = True) -> int:
    """Leaf PTE bits for a page: present, plus RW/USER, NX unless executable."""
    flags = _PAGE_PRESENT
    if writable:
        flags |= _PAGE_RW
    if user:
        flags |= _PAGE_USER
    if not executable:
        flags |= _PAGE_NX
    return flags


def pte_present(pte: int) -> bool:
    return bool(pte & _PAGE_PRESENT)


def pte_write(pte: int) -> bool:
    return bool(pte & _PAGE_RW)


def pte_user(pte: int) -> bool:
    return bool(pte & _PAGE_USER)


def pte_exec(pte: int) -> bool:
    return not pte & _PAGE_NX


def pte_pfn_addr(pte: int) -> int:
    return pte & PTE_PFN_MASK


def pte_wrprotect(pte: int) -> int:
    return pte & ~_PAGE_RW


@functools.lru_cache(maxsize=None)
def _entries_struct(count: int) -> struct.Struct:
    """Unpacks count consecutive 64-bit table entries."""
    return struct.Struct(f"<{count}Q")


_ZERO_TABLE = bytes(PAGE_SIZE)      # a table's worth of empty entries, to compare with


def pack_ptes(ptes: list) -> bytes:
    """Consecutive PTEs as the table holds them (for PageTable.set_packed_ptes)."""
    return _entries_struct(len(ptes)).pack(*ptes)


def _count_zero(raw) -> int:
    """How many 8-byte entries of raw (a whole number of them) are 0, counted in C."""
    return array("Q", bytes(raw)).count(0)


def _present(first: int, entries) -> list:
    """[(va, pte)] of the present entries of a leaf table's run starting at va first;
    compress() skips the empty slots in C: most of a table is usually empty."""
    return [(first + (i << PAGE_SHIFT), entries[i])
            for i in compress(range(len(entries)), entries) if entries[i] & _PAGE_PRESENT]


class PageTable:
    """One address space's PML4 and the tables below it (pgd_t *pgd in mm_struct)."""

    def __init__(self, phys, kernel_pgd_entry: int = 0):
        self.phys = phys
        self.view = phys.view
        self.pgd = phys.alloc_page()
        self.table_pages = [self.pgd]
        # va >> 21 → the leaf table of that 2 MiB region. Upper-level entries are only
        # ever added (tables are freed all at once, with the address space), so a leaf
        # table found once stays valid: the walk's three upper levels are done once.
        # Tables are created only by pte_slot, which records each leaf here, so this
        # also lists every leaf table of the address space (present_ptes uses that).
        self._leaf = {}
        # The kernel's TLB for its own copies to and from user memory (copy_from_user and
        # copy_to_user, mm/memory.py): virtual page number → physical page, for user
        # pages whose PTE allows a read (uaccess_read) or a write to data (uaccess_write).
        # mm/memory.py fills them on a walk; every PTE change below empties them, as
        # flush_tlb empties the CPU's. The dicts are never rebound (only emptied).
        self.uaccess_read = {}
        self.uaccess_write = {}
        # get_mm_rss and mm->hiwater_rss: leaf entries present now, and the most there
        # were when pages last went (update_hiwater_rss at every zap), for ru_maxrss.
        self.present = 0
        self.hiwater = 0
        if kernel_pgd_entry:
            # pgd_alloc: every address space maps the kernel half the same way.
            _pack(self.view, self.pgd + KERNEL_PGD_INDEX * 8, kernel_pgd_entry)

    def _next_table(self, table: int, index: int, create: bool) -> int:
        slot = table + index * 8
        entry = _unpack(self.view, slot)[0]
        if entry & _PAGE_PRESENT:
            return entry & PTE_PFN_MASK
        if not create:
            return 0
        new = self.phys.alloc_page()
        self.table_pages.append(new)
        _pack(self.view, slot, new | _TABLE_FLAGS)
        return new

    def pte_slot(self, va: int, create: bool = False) -> int:
        """Physical address of the leaf PTE for va, or 0 if a level is missing."""
        leaf = self._leaf.get(va >> 21)
        if leaf is None:
            leaf = self.pgd
            for shift in (39, 30, 21):
                leaf = self._next_table(leaf, (va >> shift) & 511, create)
                if not leaf:
                    return 0
            self._leaf[va >> 21] = leaf
        return leaf + ((va >> PAGE_SHIFT) & 511) * 8

    # get_pte and set_pte run at every fault and user access: they try the known leaf
    # tables first and walk (pte_slot) only on a miss.

    def get_pte(self, va: int) -> int:
        leaf = self._leaf.get(va >> 21)
        if leaf is not None:
            return _unpack(self.view, leaf + ((va >> PAGE_SHIFT) & 511) * 8)[0]
        slot = self.pte_slot(va)
        return _unpack(self.view, slot)[0] if slot else 0

    def flush_uaccess(self) -> None:
        """Empty the kernel's user-access TLB: a PTE is about to change."""
        self.uaccess_read.clear()
        self.uaccess_write.clear()

    def set_pte(self, va: int, pte: int) -> None:
        if self.uaccess_read:               # (uaccess_write is never filled alone)
            self.flush_uaccess()
        leaf = self._leaf.get(va >> 21)
        slot = (leaf + ((va >> PAGE_SHIFT) & 511) * 8 if leaf is not None
                else self.pte_slot(va, create=True))
        if not _unpack(self.view, slot)[0]:
            self.present += 1                   # a leaf entry is 0 or present
        _pack(self.view, slot, pte)

    def clear_pte(self, va: int) -> int:
        """Remove the mapping of va; return the old PTE (0 if there was none)."""
        slot = self.pte_slot(va)
        if not slot:
            return 0
        self.flush_uaccess()
        old = _unpack(self.view, slot)[0]
        if old:
            self.hiwater = max(self.hiwater, self.present)
            self.present -= 1
        _pack(self.view, slot, 0)
        return old

    def ptes(self, va: int, count: int) -> tuple:
        """The count PTEs from va on, which must lie in one leaf table (0 where absent)."""
        slot = self.pte_slot(va)
        if not slot:
            return (0,) * count
        return _entries_struct(count).unpack_from(self.view, slot)

    def set_ptes(self, va: int, ptes) -> None:
        """Write consecutive PTEs from va on, in one leaf table, with one pack."""
        ptes = list(ptes)
        self.flush_uaccess()
        slot = self.pte_slot(va, create=True)
        self._recount(slot, len(ptes), len(ptes) - ptes.count(0))
        _entries_struct(len(ptes)).pack_into(self.view, slot, *ptes)

    def ptes_clear(self, va: int, count: int) -> bool:
        """Are the count PTEs from va on (in one leaf table) all 0? Compared in C."""
        slot = self.pte_slot(va)
        return not slot or _ZERO_TABLE.startswith(self.view[slot:slot + count * 8])

    def set_packed_ptes(self, va: int, packed: bytes) -> None:
        """set_ptes for entries already packed (pack_ptes): one copy into the table."""
        self.flush_uaccess()
        slot = self.pte_slot(va, create=True)
        count = len(packed) // 8
        self._recount(slot, count, count - _count_zero(packed))
        self.view[slot:slot + len(packed)] = packed

    def _recount(self, slot: int, count: int, new_present: int) -> None:
        """count entries at slot are replaced by a run with new_present present ones."""
        old_present = count - _count_zero(self.view[slot:slot + count * 8])
        if new_present < old_present:
            self.hiwater = max(self.hiwater, self.present)
        self.present += new_present - old_present

    def take_ptes(self, start: int, end: int) -> list:
        """The present PTEs of [start, end), removed: each leaf table's range is zeroed
        with one write (zap_page_range). A leaf entry is 0 or present, so the present
        ones are picked in C (compress)."""
        taken = []
        self.flush_uaccess()
        for _first, count, slot in self._leaf_ranges(start, end):
            entries = _entries_struct(count).unpack_from(self.view, slot)
            if any(entries):
                taken += compress(entries, entries)
                self.view[slot:slot + count * 8] = bytes(count * 8)
        if taken:
            self.hiwater = max(self.hiwater, self.present)
            self.present -= len(taken)
        return taken

    def share_ptes(self, dst, start: int, end: int, wrprotect: bool) -> list:
        """copy_page_range's PTE work, a leaf table at a time: dst, which maps nothing in
        [start, end), gets every PTE there; with wrprotect both sides lose write permission
        first (COW). Returns the PTEs now shared, in address order (a leaf entry is 0 or
        present, there is no swap: the present ones are picked in C)."""
        shared = []
        self.flush_uaccess()
        dst.flush_uaccess()
        for first, count, slot in self._leaf_ranges(start, end):
            packer = _entries_struct(count)
            entries = packer.unpack_from(self.view, slot)
            if not any(entries):
                continue
            if wrprotect:
                entries = [e & _NOT_RW for e in entries]
                packer.pack_into(self.view, slot, *entries)
            packer.pack_into(dst.view, dst.pte_slot(first, create=True), *entries)
            shared += compress(entries, entries)
        dst.present += len(shared)              # dst mapped nothing there before
        dst.hiwater = max(dst.hiwater, dst.present)
        return shared

    def present_ptes(self, start: int, end: int) -> list:
        """[(va, pte)] for every present leaf in [start, end), in address order."""
        found = []
        for first, count, slot in self._leaf_ranges(start, end):
            found += _present(first, _entries_struct(count).unpack_from(self.view, slot))
        return found

    def _leaf_ranges(self, start: int, end: int):
        """(first va, page count, slot of its PTE) for each existing leaf table's part of
        [start, end), in address order. Only tables that exist are read (``_leaf`` lists
        them all), so the tree is not walked and empty regions cost nothing."""
        if start >= end:
            return
        low, high = start >> 21, (end - 1) >> 21
        if low == high:                         # within one leaf table: most VMAs
            leaf = self._leaf.get(low)
            if leaf is not None:
                yield start, (end - start) >> PAGE_SHIFT, leaf + ((start >> PAGE_SHIFT) & 511) * 8
            return
        for region in sorted(r for r in self._leaf if low <= r <= high):
            first = max(start, region << 21)
            count = (min(end, (region + 1) << 21) - first) >> PAGE_SHIFT
            yield first, count, self._leaf[region] + ((first >> PAGE_SHIFT) & 511) * 8

    def free_tables(self) -> None:
        """Give back the table pages themselves (the leaves must be released before)."""
        for page in self.table_pages:
            self.phys.put_page(page)
        self.table_pages = []
        self._leaf = {}
        self.hiwater = max(self.hiwater, self.present)
        self.present = 0
        self.flush_uaccess()
