"""The huge page pool and hugetlb mappings (mm/hugetlb.c, fs/hugetlbfs/inode.c).

Each huge page size has an ``HState``: a pool of pages the administrator sizes through
vm.nr_hugepages (or sysfs), with Linux's counters (total, free, reserved, surplus). Growing
the pool takes the pages from the guest's RAM at once, so MemFree drops; a pool larger than
free memory stops where the allocation fails, with fewer pages than asked.

Why ordinary frames: a huge page here is 512 (or 262144) 4 KiB frames of guest RAM mapped
by 4 KiB PTEs. The emulator's MMU never sees a PSE entry and needs none: the size is
visible to a program only through alignment, lengths and the accounting, which all follow
the huge page size. The frames belong to the pool (one reference each) as long as the
huge page does, so nothing else can take them.

MAP_HUGETLB and SHM_HUGETLB mappings are backed by a ``HugetlbFile`` (an unlinked
hugetlbfs inode): its pages by huge page index and the indices it has reserved. A
mapping reserves its pages at mmap or shmget (ENOMEM if the pool lacks them, not with
MAP_NORESERVE); a fault takes the page from the pool, using up a reservation; the pages
go back when the file goes (shared) or the range is unmapped (private). A private
mapping's file belongs to one address space: fork gives the child a file of its own
holding the same pages copy-on-write, as Linux's private hugetlb pages are.
"""
from glasskernel.mm.page_alloc import PAGE_SHIFT, PAGE_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError

MAP_HUGE_SHIFT, MAP_HUGE_MASK = 26, 0x3F
HPAGE_SHIFT = 21                       # the default size: 2 MiB (x86-64 PMD)
GIGANTIC_SHIFT = 30                    # 1 GiB (PUD), as with X86_FEATURE_GBPAGES


class HugePage:
    """One huge page: its frames, and how many HugetlbFiles hold it (page refcount)."""

    __slots__ = ("frames", "refs", "used")

    def __init__(self, frames: list):
        self.frames = frames
        self.refs = 0
        self.used = False              # handed out before: needs clearing at the next fault


class HState:
    """struct hstate: one huge page size and its pool."""

    __slots__ = ("phys", "order", "free_list", "nr_huge_pages", "free_huge_pages",
                 "resv_huge_pages", "surplus_huge_pages", "nr_overcommit_huge_pages")

    def __init__(self, phys, shift: int):
        self.phys = phys
        self.order = shift - PAGE_SHIFT
        self.free_list: list[HugePage] = []
        self.nr_huge_pages = self.free_huge_pages = 0
        self.resv_huge_pages = self.surplus_huge_pages = 0
        self.nr_overcommit_huge_pages = 0

    @property
    def size(self) -> int:
        return PAGE_SIZE << self.order

    @property
    def name(self) -> str:
        """The sysfs directory: hugepages-2048kB."""
        return f"hugepages-{self.size >> 10}kB"

    def is_gigantic(self) -> bool:
        """Larger than the buddy allocator's MAX_ORDER: no surplus pages."""
        return self.order >= 11

    def persistent_huge_pages(self) -> int:
        return self.nr_huge_pages - self.surplus_huge_pages

    # ----- pages to and from the guest's RAM ------------------------------------------------

    def alloc_fresh_huge_page(self):
        """A new huge page from free RAM, or None: like __GFP_RETRY_MAYFAIL, reclaim the
        page cache but never call the OOM killer, and leave the min watermark alone."""
        phys = self.phys
        need = 1 << self.order
        if phys.free_pages() - need < phys.min_free_pages:
            phys.page_cache.shrink()
            if phys.free_pages() - need < phys.min_free_pages:
                return None
        return HugePage([phys.alloc_page() for _ in range(need)])

    def update_and_free_page(self, page: HugePage) -> None:
        """The page's frames go back to the guest's RAM."""
        self.nr_huge_pages -= 1
        self.phys.put_pages(page.frames)

    def enqueue(self, page: HugePage) -> None:
        self.free_list.append(page)
        self.free_huge_pages += 1

    def free_pool_huge_page(self, acct_surplus: bool) -> bool:
        """Shrink the pool by one free page (a surplus one when acct_surplus)."""
        if not self.free_list:
            return False
        self.free_huge_pages -= 1
        if acct_surplus:
            self.surplus_huge_pages -= 1
        self.update_and_free_page(self.free_list.pop())
        return True

    def alloc_surplus_huge_page(self):
        """A page beyond the persistent pool, within nr_overcommit_hugepages."""
        if self.is_gigantic() or self.surplus_huge_pages >= self.nr_overcommit_huge_pages:
            return None
        page = self.alloc_fresh_huge_page()
        if page is not None:
            self.nr_huge_pages += 1
            self.surplus_huge_pages += 1
        return page

    def free_huge_page(self, page: HugePage) -> None:
        """The last user let go: back to the pool, or to RAM if the pool has surplus."""
        if self.surplus_huge_pages:
            self.surplus_huge_pages -= 1
            self.update_and_free_page(page)
        else:
            self.enqueue(page)

    def put_page(self, page: HugePage) -> None:
        page.refs -= 1
        if page.refs == 0:
            self.free_huge_page(page)

    def alloc_huge_page(self, reserved: bool, clear: bool = True):
        """A page for a fault (alloc_huge_page): a reserved one, or one nobody has
        reserved, or a surplus page; None when there is none (the fault is SIGBUS)."""
        if reserved or self.free_huge_pages - self.resv_huge_pages > 0:
            page = self.free_list.pop()
            self.free_huge_pages -= 1
            if reserved:
                self.resv_huge_pages -= 1
        else:
            page = self.alloc_surplus_huge_page()
            if page is None:
                return None
        if page.used and clear:         # clear_huge_page
            view = self.phys.view
            zero = bytes(PAGE_SIZE)
            for pa in page.frames:
                view[pa:pa + PAGE_SIZE] = zero
        page.used = True
        page.refs = 1
        return page

    # ----- reservations (hugetlb_acct_memory) ------------------------------------------------

    def acct_memory(self, delta: int) -> None:
        """Reserve delta more pages (gather_surplus_pages), ENOMEM if the pool cannot
        have them; a negative delta gives reservations back."""
        if delta < 0:
            self.return_unused_surplus_pages(-delta)
            return
        needed = self.resv_huge_pages + delta - self.free_huge_pages
        gathered = []
        while needed > 0:
            page = self.alloc_surplus_huge_page()
            if page is None:
                for page in gathered:       # put them back: surplus pages leave the pool
                    self.surplus_huge_pages -= 1
                    self.update_and_free_page(page)
                raise KernelError(Errno.ENOMEM)
            gathered.append(page)
            needed -= 1
        self.resv_huge_pages += delta
        for page in gathered:
            self.enqueue(page)

    def return_unused_surplus_pages(self, unused: int) -> None:
        """Reservations given back; surplus pages nobody needs now leave the pool."""
        self.resv_huge_pages -= unused
        if self.is_gigantic():
            return
        for _ in range(min(unused, self.surplus_huge_pages)):
            if not self.free_pool_huge_page(True):
                break

    # ----- the administrator's pool size ---------------------------------------------------

    def set_max_huge_pages(self, count: int) -> None:
        """nr_hugepages = count: surplus pages become persistent first, then new pages
        come from RAM until it runs short; shrinking frees only free pages beyond the
        reservations, and pages still in use become surplus."""
        while self.surplus_huge_pages and count > self.persistent_huge_pages():
            self.surplus_huge_pages -= 1          # adjust_pool_surplus(-1)
        while count > self.persistent_huge_pages():
            page = self.alloc_fresh_huge_page()
            if page is None:
                break
            self.nr_huge_pages += 1
            self.enqueue(page)
        min_count = self.resv_huge_pages + self.nr_huge_pages - self.free_huge_pages
        min_count = max(count, min_count)
        while min_count < self.persistent_huge_pages():
            if not self.free_pool_huge_page(False):
                break
        while count < self.persistent_huge_pages():
            if self.surplus_huge_pages >= self.nr_huge_pages:
                break
            self.surplus_huge_pages += 1          # adjust_pool_surplus(+1)


class Hugetlb:
    """The hstates of this machine (hstates[], default_hstate), kept on its RAM."""

    __slots__ = ("hstates", "shm_group")

    def __init__(self, phys):
        self.hstates = [HState(phys, HPAGE_SHIFT), HState(phys, GIGANTIC_SHIFT)]
        self.shm_group = 0             # vm.hugetlb_shm_group

    @property
    def default(self) -> HState:
        return self.hstates[0]


def hugetlb_of(phys) -> Hugetlb:
    """The machine's hugetlb state, made on first use."""
    state = phys.hugetlb
    if state is None:
        state = phys.hugetlb = Hugetlb(phys)
    return state


def hstate_sizelog(phys, page_size_log: int):
    """The hstate of size 1 << page_size_log (0: the default), None if there is none."""
    state = hugetlb_of(phys)
    if not page_size_log:
        return state.default
    for h in state.hstates:
        if h.order + PAGE_SHIFT == page_size_log:
            return h
    return None


def hugetlb_vm_op_split(vma, addr: int) -> None:
    """A hugetlb area splits only at a huge page boundary (EINVAL)."""
    if addr & (vma.file.hstate.size - 1):
        raise KernelError(Errno.EINVAL)


# ----- faults (hugetlb_fault, hugetlb_no_page, hugetlb_wp) ----------------------------------

def _sigbus(page_va: int):
    from glasskernel.mm.memory import BUS_ADRERR, SIGBUS, VmFault
    return VmFault(BUS_ADRERR, page_va, SIGBUS)


def hugetlb_no_page(file, index: int, page_va: int) -> HugePage:
    """The file's page at huge index ``index``, taken from the pool the first time (with
    the reservation made for it, if any); SIGBUS when the pool has none to give."""
    page = file.pages.get(index)
    if page is None:
        reserved = index in file.reserved
        page = file.hstate.alloc_huge_page(reserved)
        if page is None:
            raise _sigbus(page_va)
        file.reserved.discard(index)
        file.pages[index] = page
    return page


def hugetlb_fault(file, mm, vma, page_va: int, write: bool) -> None:
    """Map the 4 KiB piece of the huge page under page_va. A private mapping's page
    shared with another process since fork is mapped read-only; a write copies it."""
    from glasskernel.arch.x86.mm.pgtable import pte_pfn_addr, pte_present
    from glasskernel.mm.memory import new_code_page, vma_pte_flags
    h = file.hstate
    index, sub = divmod(vma.file_offset(page_va), h.size)
    page = hugetlb_no_page(file, index, page_va)
    private = not vma.flags & VmFlags.VM_SHARED
    if private:
        vma.anon_vma = True             # fork copies its PTEs, write-protected
        if write and page.refs > 1:
            page = hugetlb_wp(file, mm, vma, page_va, index)
    frame = page.frames[sub >> PAGE_SHIFT]
    writable = bool(vma.flags & VmFlags.VM_WRITE) and (not private or page.refs == 1)
    old = mm.pgtable.get_pte(page_va)
    if pte_present(old) and pte_pfn_addr(old) == frame:
        mm.pgtable.set_pte(page_va, frame | vma_pte_flags(vma, writable))   # write access now
        mm.flush_tlb()
        return
    mm.phys.get_page(frame)
    mm.pgtable.set_pte(page_va, frame | vma_pte_flags(vma, writable))
    new_code_page(mm, vma, page_va)


def hugetlb_wp(file, mm, vma, page_va: int, index: int) -> HugePage:
    """Copy-on-write of a private huge page still shared with another process: a new
    page from the pool (unreserved: SIGBUS if there is none), this process's PTEs of the
    old one dropped."""
    from glasskernel.arch.x86.mm.pgtable import PTE_PFN_MASK
    h = file.hstate
    old = file.pages[index]
    new = h.alloc_huge_page(False, clear=False)
    if new is None:
        raise _sigbus(page_va)
    view = mm.phys.view
    for src, dst in zip(old.frames, new.frames):
        view[dst:dst + PAGE_SIZE] = view[src:src + PAGE_SIZE]
    file.pages[index] = new
    h.put_page(old)
    base = page_va - vma.file_offset(page_va) % h.size
    taken = mm.pgtable.take_ptes(max(base, vma.start), min(base + h.size, vma.end))
    mm.phys.put_pages(taken, PTE_PFN_MASK)
    mm.flush_tlb()
    return new


# ----- reservations of a file (hugetlb_reserve_pages, hugetlb_unreserve_pages) -----------

def hugetlb_reserve_pages(file, first: int, end: int, noreserve: bool) -> None:
    """Reserve huge indices [first, end) of the file that have neither a page nor a
    reservation yet; ENOMEM if the pool cannot promise them. Nothing for NORESERVE."""
    if noreserve or end <= first:
        return
    have = sum(1 for i in file.reserved if first <= i < end) + \
        sum(1 for i in file.pages if first <= i < end and i not in file.reserved)
    file.hstate.acct_memory(end - first - have)
    file.reserved.update(i for i in range(first, end) if i not in file.pages)


def hugetlb_release_range(file, first: int, end: int, keep=()) -> None:
    """Give back the pages and the unused reservations of huge indices [first, end),
    but for those inside a range of ``keep``: a private mapping's range unmapped, or a
    whole file freed."""
    h = file.hstate

    def released(i):
        return first <= i < end and not any(lo <= i < hi for lo, hi in keep)
    for index in [i for i in file.pages if released(i)]:
        h.put_page(file.pages.pop(index))
    unused = [i for i in file.reserved if released(i)]
    file.reserved.difference_update(unused)
    if unused:
        h.acct_memory(-len(unused))


# ----- the administrator's files: /proc/sys/vm and /sys/kernel/mm/hugepages -----------------

ULONG_MAX = (1 << 64) - 1


def parse_ulong(text: str) -> int:
    """proc_doulongvec_minmax and kstrtoul for one value: EINVAL unless a number."""
    from glasskernel.fs.proc.proc_sysctl import parse_int
    return parse_int(text, 0, ULONG_MAX)


def nr_hugepages_store(h: HState, text: str) -> None:
    """__nr_hugepages_store_common: resize the pool (root only: the file's mode)."""
    h.set_max_huge_pages(parse_ulong(text))


def nr_overcommit_store(h: HState, text: str) -> None:
    """hugetlb_overcommit_handler: EINVAL for gigantic pages, which have no surplus."""
    count = parse_ulong(text)
    if h.is_gigantic():
        raise KernelError(Errno.EINVAL)
    h.nr_overcommit_huge_pages = count


def hugetlb_vm_sysctls(CtlTable) -> list:
    """vm.nr_hugepages, vm.nr_overcommit_hugepages and vm.hugetlb_shm_group, on the
    default huge page size."""
    from glasskernel.fs.proc.proc_sysctl import INT_MAX, parse_int

    def default(kernel) -> HState:
        return hugetlb_of(kernel.phys).default

    def set_shm_group(kernel, text):
        hugetlb_of(kernel.phys).shm_group = parse_int(text, -INT_MAX - 1, INT_MAX)
    return [
        CtlTable("hugetlb_shm_group", 0o644, lambda k: str(hugetlb_of(k.phys).shm_group),
                 set_shm_group),
        CtlTable("nr_hugepages", 0o644, lambda k: str(default(k).persistent_huge_pages()),
                 lambda k, text: nr_hugepages_store(default(k), text)),
        CtlTable("nr_overcommit_hugepages", 0o644,
                 lambda k: str(default(k).nr_overcommit_huge_pages),
                 lambda k, text: nr_overcommit_store(default(k), text)),
    ]


def hugetlb_report_meminfo(phys) -> list:
    """(name, line) of /proc/meminfo's HugePages_* lines (the default size), Hugepagesize
    and Hugetlb (all sizes)."""
    state = hugetlb_of(phys)
    h = state.default
    total_kb = sum(x.nr_huge_pages * (x.size >> 10) for x in state.hstates)
    counts = [(b"HugePages_Total:", h.nr_huge_pages), (b"HugePages_Free:", h.free_huge_pages),
              (b"HugePages_Rsvd:", h.resv_huge_pages), (b"HugePages_Surp:", h.surplus_huge_pages)]
    return [(name, name.ljust(19) + b"%5d\n" % value) for name, value in counts] + [
        (b"Hugepagesize:", b"Hugepagesize:   %8d kB\n" % (h.size >> 10)),
        (b"Hugetlb:", b"Hugetlb:        %8d kB\n" % total_kb)]
