"""Page tables (arch/x86/mm/pgtable.py): the range operations fork, exit and mprotect use
agree with what was mapped page by page."""
import random

from glasskernel.arch.x86.mm.pgtable import PageTable, pte_flags, pte_write
from glasskernel.mm.page_alloc import PAGE_SIZE, PhysicalMemory

# Regions in different leaf, directory and top-level tables, and one at the user top.
BASES = [0x400000, 0x5FF000, 0x7F0000000, 0x5555_5555_4000, 0x7FFF_FF00_0000]


def mapped_table(seed: int = 7):
    """A PageTable with random pages mapped around BASES; returns (table, {va: pte})."""
    rng = random.Random(seed)
    phys = PhysicalMemory(64 << 20)
    table = PageTable(phys)
    expect = {}
    for base in BASES:
        for _ in range(40):
            va = base + rng.randrange(0, 600) * PAGE_SIZE
            pte = phys.alloc_page() | pte_flags(rng.random() < 0.5, rng.random() < 0.3)
            table.set_pte(va, pte)
            expect[va] = pte
    for va in rng.sample(sorted(expect), 30):           # and some unmapped again
        table.clear_pte(va)
        del expect[va]
    return table, expect


def test_present_ptes_matches_page_by_page_mappings():
    table, expect = mapped_table()
    assert table.present_ptes(0, 1 << 47) == sorted(expect.items())
    for start, end in [(0x400000, 0x401000), (0x5FF000 + 5 * PAGE_SIZE, 0x7F0000000 + 77 * PAGE_SIZE),
                       (0x5555_5555_4000, 0x5555_5555_4000), (0x7FFF_FF00_0000, 1 << 47)]:
        assert table.present_ptes(start, end) == sorted(
            (va, pte) for va, pte in expect.items() if start <= va < end)


def test_take_ptes_removes_exactly_the_range():
    table, expect = mapped_table(11)
    start, end = 0x5FF000 + 3 * PAGE_SIZE, 0x7F0000000 + 300 * PAGE_SIZE
    taken = table.take_ptes(start, end)
    assert taken == [pte for va, pte in sorted(expect.items()) if start <= va < end]
    left = {va: pte for va, pte in expect.items() if not start <= va < end}
    assert table.present_ptes(0, 1 << 47) == sorted(left.items())


def test_share_ptes_copies_and_write_protects():
    table, expect = mapped_table(3)
    child = PageTable(table.phys)
    start, end = 0x400000, 0x7F0000000 + 600 * PAGE_SIZE
    shared = table.share_ptes(child, start, end, wrprotect=True)
    inside = sorted((va, pte) for va, pte in expect.items() if start <= va < end)
    assert shared == [pte & ~2 for _, pte in inside]                # write-protected
    assert not any(pte_write(pte) for pte in shared)
    mapped = [(va, pte & ~2) for va, pte in inside]
    assert child.present_ptes(0, 1 << 47) == mapped
    assert table.present_ptes(start, end) == mapped                 # the parent's too
    outside = sorted((va, pte) for va, pte in expect.items() if not start <= va < end)
    assert [p for p in table.present_ptes(0, 1 << 47) if not start <= p[0] < end] == outside


def test_every_pte_change_empties_the_uaccess_tlb():
    """The kernel's user-access TLB (mm/memory.py fills it) must not outlive any PTE
    change: each mutator empties both halves, in the source and the fork target."""
    table, expect = mapped_table(5)
    va = sorted(expect)[0]
    other = PageTable(table.phys)
    changes = [lambda: table.set_pte(va, expect[va]), lambda: table.clear_pte(va),
               lambda: table.set_ptes(va, [expect[va]]), lambda: table.take_ptes(va, va + 1),
               lambda: table.share_ptes(other, va, va + PAGE_SIZE, wrprotect=True),
               lambda: other.share_ptes(table, 0, 0, wrprotect=False), table.free_tables]
    for change in changes:
        table.uaccess_read[1] = table.uaccess_write[1] = 0x1000
        change()
        assert table.uaccess_read == {} and table.uaccess_write == {}


def test_present_count_and_high_water_mark_follow_every_change():
    """``present`` (get_mm_rss) stays equal to the present leaf entries through every kind
    of change, and ``hiwater`` keeps the most there were when pages went."""
    table, expect = mapped_table(5)
    count = lambda t: len(t.present_ptes(0, 1 << 47))       # noqa: E731
    assert table.present == len(expect) == count(table)
    peak = table.present
    base = BASES[0]
    table.set_ptes(base, [0x1000 | 1] * 16)                  # a run, over some mapped ones
    assert table.present == count(table)
    peak = max(peak, table.present)
    packed = bytes(8 * 16)                                    # a run of empty entries
    table.set_packed_ptes(base, packed)
    assert table.present == count(table)
    child = PageTable(table.phys)
    shared = table.share_ptes(child, 0, 1 << 47, wrprotect=True)
    assert child.present == len(shared) == count(child)
    taken = table.take_ptes(BASES[1], BASES[3] + (1 << 21))
    assert taken and table.present == count(table)
    assert table.hiwater >= peak
    table.take_ptes(0, 1 << 47)
    assert table.present == 0 and table.hiwater >= peak
