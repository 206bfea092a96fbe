"""Fault-around (mm/memory.py: filemap_map_pages) on a bare address space, no CPU.

A read fault in a private file mapping maps the faulting page and every page of its
aligned window that the page cache already holds; never a page outside the window or
the VMA, and each mapped page takes one frame reference. A fault on a page not cached
first reads the READ_AROUND_PAGES around it into the cache (do_sync_mmap_readahead).
"""
from glasskernel.arch.x86.mm.pgtable import pte_pfn_addr, pte_present, pte_write
from glasskernel.mm.filemap import FAULT_AROUND_PAGES, READ_AROUND_PAGES
from glasskernel.arch.x86.mm.fault import do_user_addr_fault
from glasskernel.mm.memory import zap_page_range
from glasskernel.mm.mm_types import MmStruct, VmArea
from glasskernel.mm.page_alloc import PAGE_SIZE, PhysicalMemory
from glasskernel.mm.vm_flags import VmFlags

WINDOW = FAULT_AROUND_PAGES * PAGE_SIZE
R = READ_AROUND_PAGES


class FakeFile:
    """A seekable host-like file of n pages; page i is filled with byte i."""

    seekable = True
    host_fd = -1

    def __init__(self, pages: int):
        self.data = b"".join(bytes([i % 256]) * PAGE_SIZE for i in range(pages))
        self._page_cache_key = ("fake", pages)

    def pread(self, n: int, offset: int) -> bytes:
        return self.data[offset:offset + n]


def _mm_with_file(start: int, pages: int):
    phys = PhysicalMemory(64 << 20)
    mm = MmStruct(phys, 0)
    file = FakeFile(pages)
    vma = VmArea(start, start + pages * PAGE_SIZE, VmFlags.VM_READ | VmFlags.VM_EXEC, file)
    mm.insert_vma(vma)
    return mm, vma


def _present_pages(mm, start: int, end: int) -> set:
    return {va for va in range(start, end, PAGE_SIZE) if pte_present(mm.pgtable.get_pte(va))}


def _touch(mm, va: int) -> None:
    """What the CPU does: fault only on a page that is not mapped."""
    if not pte_present(mm.pgtable.get_pte(va)):
        do_user_addr_fault(mm, va)


def test_a_cold_fault_reads_around_its_page():
    # Page 3R of a 4R-page file: the R pages centred on it are read in one go and mapped.
    mm, vma = _mm_with_file(0x400000, 4 * R)
    fault = 0x400000 + 3 * R * PAGE_SIZE
    do_user_addr_fault(mm, fault + 0x123)
    around = range(fault - R // 2 * PAGE_SIZE, fault + R // 2 * PAGE_SIZE, PAGE_SIZE)
    assert _present_pages(mm, vma.start, vma.end) == set(around)
    for va in around:
        pte = mm.pgtable.get_pte(va)
        assert not pte_write(pte)
        index = (va - 0x400000) // PAGE_SIZE
        assert bytes(mm.view[pte_pfn_addr(pte):pte_pfn_addr(pte) + 4]) == bytes([index]) * 4
        assert mm.phys.page_count(pte_pfn_addr(pte)) == 2               # cache + mm


def test_read_around_stops_at_the_end_of_the_file_and_the_vma():
    # A 5-page file mapped by a 3-page VMA from its page 1: the read covers the file's
    # pages (not past its end); the VMA maps its own three.
    phys = PhysicalMemory(64 << 20)
    file = FakeFile(5)
    mm = MmStruct(phys, 0)
    mm.insert_vma(VmArea(0x400000, 0x403000, VmFlags.VM_READ, file, PAGE_SIZE))
    do_user_addr_fault(mm, 0x401000)
    assert _present_pages(mm, 0x3F0000, 0x410000) == {0x400000, 0x401000, 0x402000}
    assert mm.read(0x400000, 1) == b"\1" and mm.read(0x402000, 1) == b"\3"
    assert sorted(phys.page_cache.files[file._page_cache_key]) == [0, 1, 2, 3, 4]


def test_a_warm_fault_maps_the_cached_pages_of_its_window():
    # A VMA that starts mid-window and runs past the window's end: the second mm finds
    # every page cached, and one fault maps exactly the VMA's part of the window.
    start = 0x400000 + WINDOW - 3 * PAGE_SIZE
    pages = 10
    first, vma = _mm_with_file(start, pages)
    for va in range(vma.start, vma.end, PAGE_SIZE):
        _touch(first, va)
    second = MmStruct(first.phys, 0)
    second.insert_vma(VmArea(vma.start, vma.end, vma.flags, vma.file))
    do_user_addr_fault(second, start)
    window_end = 0x400000 + WINDOW
    assert _present_pages(second, start, start + pages * PAGE_SIZE) == set(
        range(start, window_end, PAGE_SIZE))
    for va in range(start, window_end, PAGE_SIZE):
        frame = pte_pfn_addr(second.pgtable.get_pte(va))
        assert frame == pte_pfn_addr(first.pgtable.get_pte(va))     # the same cached frame
        assert first.phys.page_count(frame) == 3                    # cache + both mms
    # The rest of the VMA lies in the next window (and the next leaf table): untouched
    # until it faults itself.
    assert second.pgtable.get_pte(window_end) == 0
    do_user_addr_fault(second, window_end + 5)
    assert _present_pages(second, window_end, start + pages * PAGE_SIZE) == set(
        range(window_end, start + pages * PAGE_SIZE, PAGE_SIZE))


def test_a_window_follows_pages_cached_after_it_was_mapped():
    # Fault-around's PTE runs are kept per file (PageCache.window_ptes): pages read in
    # later, and pages the cache gives up, must show in the next mm's window.
    mm, vma = _mm_with_file(0x400000, 4 * R)
    first_read = {0x400000 + i * PAGE_SIZE for i in range(R)}   # around page 1, from 0
    do_user_addr_fault(mm, 0x401000)
    second = MmStruct(mm.phys, 0)
    second.insert_vma(VmArea(vma.start, vma.end, vma.flags, vma.file))
    do_user_addr_fault(second, 0x400000)
    assert _present_pages(second, vma.start, vma.end) == first_read
    late = 0x400000 + 3 * R * PAGE_SIZE
    do_user_addr_fault(mm, late)                       # read in: now cached too
    late_read = set(range(late - R // 2 * PAGE_SIZE, late + R // 2 * PAGE_SIZE, PAGE_SIZE))
    third = MmStruct(mm.phys, 0)
    third.insert_vma(VmArea(vma.start, vma.end, vma.flags, vma.file))
    do_user_addr_fault(third, 0x400000)
    assert _present_pages(third, vma.start, vma.end) == first_read | late_read
    # Unmapped everywhere, the cache drops its pages: a new window maps only what the
    # new fault reads again.
    for each in (mm, second, third):
        zap_page_range(each, vma.start, vma.end)
    mm.phys.page_cache.shrink()
    fourth = MmStruct(mm.phys, 0)
    fourth.insert_vma(VmArea(vma.start, vma.end, vma.flags, vma.file))
    do_user_addr_fault(fourth, late)
    assert _present_pages(fourth, vma.start, vma.end) == late_read
    pte = fourth.pgtable.get_pte(late)
    assert bytes(fourth.view[pte_pfn_addr(pte):pte_pfn_addr(pte) + 4]) == bytes([3 * R]) * 4


def test_fault_around_keeps_a_private_copy_in_its_window():
    # A written page of a private writable mapping is the process's own copy: a later
    # fault-around over its window maps the other cached pages around it, not over it.
    phys = PhysicalMemory(64 << 20)
    file = FakeFile(8)
    flags = VmFlags.VM_READ | VmFlags.VM_WRITE
    warm = MmStruct(phys, 0)
    warm.insert_vma(VmArea(0x400000, 0x408000, flags, file))
    for va in range(0x400000, 0x408000, PAGE_SIZE):
        _touch(warm, va)                                # every page cached
    mm = MmStruct(phys, 0)
    mm.insert_vma(VmArea(0x400000, 0x408000, flags, file))
    mm.write(0x401000, b"mine")                         # a read fault, then copy-on-write
    zap_page_range(mm, 0x400000, 0x401000)              # leave a hole in the window
    do_user_addr_fault(mm, 0x400000)                    # fault-around over a used window
    assert mm.read(0x401000, 4) == b"mine"
    assert mm.read(0x400000, 4) == b"\0" * 4 and mm.read(0x407000, 4) == b"\7" * 4
