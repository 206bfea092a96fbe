"""mmap, munmap and brk (mm/mmap.c, mm/util.c).

``do_mmap`` creates a VMA and nothing else: pages arrive on first touch through the fault
path. ``do_munmap`` splits VMAs at the edges of the range, drops the ones inside and zaps
their pages. The heap is an ordinary anonymous VMA that ``brk`` grows and shrinks.

Growth is refused with ENOMEM where Linux refuses it: past RLIMIT_AS or RLIMIT_DATA
(``may_expand_vm``), past vm.max_map_count mappings, and, under the default heuristic
overcommit, for one private writable mapping larger than the guest's RAM
(``__vm_enough_memory``; there is no swap).
"""
from glasskernel.mm.memory import (BUS_ADRERR, SIGBUS, VmFault, do_cow_fault, vma_pte_flags,
                                   zap_page_range)
from glasskernel.mm.mlock import mlock_future_check, populate
from glasskernel.mm.mm_types import MMAP_MIN_ADDR, VmArea, page_align
from glasskernel.mm.page_alloc import PAGE_SHIFT, PAGE_SIZE
from glasskernel.uapi.resource import RLIM_INFINITY, RLIMIT_AS, RLIMIT_DATA
from glasskernel.mm.vm_flags import VM_MAY_ALL, VmFlags
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.drivers.char.mem import ZeroFile
from glasskernel.mm.filemap import FileMapping, address_space_registry, get_address_space
from glasskernel.uapi.fcntl import O_PATH
from glasskernel.fs.hugetlbfs.inode import hugetlb_get_unmapped_area

PROT_READ, PROT_WRITE, PROT_EXEC = 0x1, 0x2, 0x4
PROT_GROWSDOWN, PROT_GROWSUP = 0x01000000, 0x02000000
MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE = 0x01, 0x02, 0x03
MAP_TYPE = 0x0F
MAP_FIXED = 0x10
MAP_ANONYMOUS = 0x20
MAP_GROWSDOWN = 0x0100
MAP_NORESERVE = 0x4000
MAP_FIXED_NOREPLACE = 0x100000
MAP_SYNC = 0x80000
MAP_LOCKED, MAP_POPULATE, MAP_NONBLOCK = 0x2000, 0x8000, 0x10000
MAP_HUGETLB = 0x40000
# LEGACY_MAP_MASK: the flags every mmap accepts; MAP_SHARED drops the others, and
# MAP_SHARED_VALIDATE refuses them (EOPNOTSUPP) unless the file's mmap_supported_flags has
# them (none of ours: MAP_SYNC needs DAX). SHARED, PRIVATE, FIXED, ANONYMOUS, 32BIT,
# GROWSDOWN, DENYWRITE, EXECUTABLE, LOCKED, NORESERVE, POPULATE, NONBLOCK, STACK, HUGETLB,
# UNINITIALIZED, and the MAP_HUGE_2MB/1GB size encodings.
LEGACY_MAP_MASK = (0x03 | MAP_FIXED | MAP_ANONYMOUS | 0x40 | MAP_GROWSDOWN | 0x0800 | 0x1000
                   | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x4000000
                   | (21 << 26) | (30 << 26))


DEFAULT_MAX_MAP_COUNT = 65530                # USHRT_MAX - MAPCOUNT_ELF_CORE_MARGIN
OVERCOMMIT_GUESS, OVERCOMMIT_ALWAYS, OVERCOMMIT_NEVER = 0, 1, 2


class VmSysctl:
    """The vm.* sysctls this file obeys (/proc/sys/vm, fs/proc/proc_sysctl.py)."""

    __slots__ = ("max_map_count", "overcommit_memory")

    def __init__(self):
        self.max_map_count = DEFAULT_MAX_MAP_COUNT
        self.overcommit_memory = OVERCOMMIT_GUESS


vm_sysctl = VmSysctl()


def _rlimit_cur(task, resource) -> int:
    limits = task.rlimits if task is not None else None
    return limits.get(resource, (RLIM_INFINITY,))[0] if limits else RLIM_INFINITY


def is_data_mapping(flags) -> bool:
    """Private, writable and not a stack: what RLIMIT_DATA counts."""
    return flags & (VmFlags.VM_WRITE | VmFlags.VM_SHARED | VmFlags.VM_GROWSDOWN) == VmFlags.VM_WRITE


def may_expand_vm(task, mm, flags, npages: int) -> bool:
    """Would npages more of mapping fit under RLIMIT_AS (and RLIMIT_DATA for data)?"""
    as_limit = _rlimit_cur(task, RLIMIT_AS)
    if as_limit != RLIM_INFINITY:
        total_vm = sum(vma.end - vma.start for vma in mm.vmas) >> PAGE_SHIFT
        if total_vm + npages > as_limit >> PAGE_SHIFT:
            return False
    data_limit = _rlimit_cur(task, RLIMIT_DATA)
    if data_limit != RLIM_INFINITY and is_data_mapping(flags):
        data_vm = sum(v.end - v.start for v in mm.vmas if is_data_mapping(v.flags)) >> PAGE_SHIFT
        if data_vm + npages > data_limit >> PAGE_SHIFT:
            return False
    return True


def vm_enough_memory(mm, pages: int) -> bool:
    """__vm_enough_memory under the heuristic mode: only one request larger than all of
    RAM (and swap, which the guest has none of) is refused."""
    if vm_sysctl.overcommit_memory == OVERCOMMIT_ALWAYS:
        return True
    return pages <= mm.phys.total_pages


def accountable_mapping(file, vm_flags) -> bool:
    """Private writable mappings commit memory (shared ones are their file's, and huge
    pages have their own reservations)."""
    if getattr(file, "hstate", None) is not None:
        return False
    return vm_flags & (VmFlags.VM_SHARED | VmFlags.VM_WRITE) == VmFlags.VM_WRITE


def check_munmap_split(mm, start: int, end: int) -> None:
    """munmap punching a hole inside one VMA would add a mapping: ENOMEM at the limit."""
    if len(mm.vmas) < vm_sysctl.max_map_count:
        return
    for vma in mm.overlapping(start, end):
        if vma.start < start and end < vma.end:
            raise KernelError(Errno.ENOMEM)


def check_split_count(mm, changed: list, start: int, end: int) -> None:
    """split_vma's limit for the splits that changing the VMAs ``changed`` within
    [start, end) needs at the range's two edges (mprotect)."""
    splits = sum(1 for vma in changed if vma.start < start) + \
        sum(1 for vma in changed if vma.end > end)
    if splits and len(mm.vmas) + splits > vm_sysctl.max_map_count:
        raise KernelError(Errno.ENOMEM)


def calc_vm_prot_bits(prot: int) -> VmFlags:
    flags = 0
    if prot & PROT_READ:
        flags |= VmFlags.VM_READ
    if prot & PROT_WRITE:
        flags |= VmFlags.VM_WRITE
    if prot & PROT_EXEC:
        flags |= VmFlags.VM_EXEC
    return flags


def do_munmap(mm, start: int, length: int) -> None:
    """Remove [start, start+length) from the address space."""
    end = start + page_align(length)
    removed = mm.split_range(start, end)
    if removed:
        mm.unmapped_area_freed(start, end)
    for vma in removed:
        mm.remove_vma(vma)
        zap_page_range(mm, vma.start, vma.end)
        if vma.flags & VmFlags.VM_HUGETLB:
            vma.file.unmap_vma(mm, vma)         # a private range's huge pages go back
        if vma.file is not None and hasattr(vma.file, "put"):
            vma.file.put()


def mmap_region(mm, addr: int, length: int, vm_flags: VmFlags, file=None, pgoff: int = 0,
                name: str = "", task=None, account: bool = False) -> int:
    """Install a VMA at a chosen address, replacing whatever was mapped there; ENOMEM
    past RLIMIT_AS (counting what it replaces) or for more than RAM to commit."""
    npages = length >> PAGE_SHIFT
    if task is not None and not may_expand_vm(task, mm, vm_flags, npages):
        replaced = sum(min(v.end, addr + length) - max(v.start, addr)
                       for v in mm.overlapping(addr, addr + length)) >> PAGE_SHIFT
        if not may_expand_vm(task, mm, vm_flags, npages - replaced):
            raise KernelError(Errno.ENOMEM)
    check_munmap_split(mm, addr, addr + length)
    if account and not vm_enough_memory(mm, npages):
        raise KernelError(Errno.ENOMEM)
    do_munmap(mm, addr, length)
    reserve = getattr(file, "mmap_reserve", None)
    if reserve is not None:
        reserve(addr, addr + length, pgoff, vm_flags)     # hugetlbfs_file_mmap (ENOMEM)
    if file is not None and hasattr(file, "get"):
        file.get()
    if account and accountable_mapping(file, vm_flags):
        vm_flags |= VmFlags.VM_ACCOUNT      # shmem's pages are charged in its object
    vm_flags |= mm.def_flags
    if vm_flags & VmFlags.VM_HUGETLB:           # huge pages are never counted as locked
        vm_flags &= ~(VmFlags.VM_LOCKED | VmFlags.VM_LOCKONFAULT)
    mm.insert_vma(VmArea(addr, addr + length, vm_flags, file, pgoff, name))
    vma_merge(mm, addr, addr + length)
    return addr


def can_vma_merge(prev, vma) -> bool:
    """Whether vma, which starts where prev ends, may join it (is_mergeable_vma and
    can_vma_merge_after): equal flags (VM_ACCOUNT included), the same file at
    contiguous offsets or no file, and the same name."""
    if prev.end != vma.start or prev.flags != vma.flags or prev.name != vma.name:
        return False
    if vma.flags & VmFlags.VM_DONTEXPAND:
        return False                    # VM_SPECIAL areas (hugetlb, [vdso]) never merge
    if prev.file is not vma.file:
        return False
    return vma.file is None or prev.pgoff + (prev.end - prev.start) == vma.pgoff


def vma_merge(mm, start: int, end: int) -> None:
    """Join the VMAs of [start, end) with each other and with their neighbours where
    Linux's vma_merge would, so /proc/PID/maps shows one line per compatible run."""
    vmas = mm.overlapping(max(start - 1, 0), end + 1)
    prev = None
    for vma in vmas:
        if prev is not None and can_vma_merge(prev, vma):
            mm.remove_vma(vma)
            prev.end = vma.end
            prev.anon_vma = prev.anon_vma or vma.anon_vma
            if vma.file is not None and hasattr(vma.file, "put"):
                vma.file.put()          # the joined VMA keeps prev's reference
            continue
        prev = vma


def do_mmap(mm, addr: int, length: int, prot: int, flags: int, file=None, pgoff: int = 0,
            name: str = "", task=None, shmem: bool = False) -> int:
    """Validate, place and create a mapping; return its address (mm/mmap.c: do_mmap)."""
    if length == 0:
        raise KernelError(Errno.EINVAL)
    length = page_align(length)
    if length == 0 or length > mm.task_size:          # (TASK_SIZE: the mm's, 4 GiB for i386)
        raise KernelError(Errno.ENOMEM)
    if len(mm.vmas) > vm_sysctl.max_map_count:
        raise KernelError(Errno.ENOMEM)
    hstate = getattr(file, "hstate", None)
    if hstate is not None:              # the file's get_unmapped_area: huge page aligned
        addr = hugetlb_get_unmapped_area(mm, hstate, addr, length,
                                         bool(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)))
    if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
        if addr & (PAGE_SIZE - 1):
            raise KernelError(Errno.EINVAL)
        if addr + length > mm.task_size or addr < MMAP_MIN_ADDR:
            raise KernelError(Errno.EPERM if addr < MMAP_MIN_ADDR else Errno.ENOMEM)
        if flags & MAP_FIXED_NOREPLACE and not flags & MAP_FIXED and not mm.is_free(addr, addr + length):
            raise KernelError(Errno.EEXIST)
    elif hstate is None:
        addr = mm.get_unmapped_area(length, addr)
        if not addr:
            raise KernelError(Errno.ENOMEM)
    vm_flags = calc_vm_prot_bits(prot) | VM_MAY_ALL
    if flags & MAP_LOCKED:
        vm_flags |= VmFlags.VM_LOCKED
    if task is not None and (vm_flags | mm.def_flags) & VmFlags.VM_LOCKED:
        mlock_future_check(task, mm, length)
    if flags & MAP_GROWSDOWN:
        vm_flags |= VmFlags.VM_GROWSDOWN
    if file is not None:
        if not file_mmap_ok(file, pgoff, length):
            raise KernelError(Errno.EOVERFLOW)
        vm_flags = _file_vm_flags(file, prot, flags, vm_flags)
    elif flags & MAP_TYPE == MAP_SHARED:
        if vm_flags & VmFlags.VM_GROWSDOWN:
            raise KernelError(Errno.EINVAL)
        vm_flags |= VmFlags.VM_SHARED | VmFlags.VM_MAYSHARE
    elif flags & MAP_TYPE != MAP_PRIVATE:
        raise KernelError(Errno.EINVAL)
    # MAP_NORESERVE: no commit check unless overcommit is strict. A shared anonymous
    # mapping commits its shmem object's pages (shmem_acct_size).
    noreserve = flags & MAP_NORESERVE and vm_sysctl.overcommit_memory != OVERCOMMIT_NEVER
    if hstate is not None:
        # hugetlbfs_file_mmap; MAP_NORESERVE skips the pool's reservation whatever
        # the overcommit mode (hugetlb's own accounting is strict).
        vm_flags |= VmFlags.VM_HUGETLB | VmFlags.VM_DONTEXPAND
        noreserve = flags & MAP_NORESERVE
    if noreserve:
        vm_flags |= VmFlags.VM_NORESERVE
    account = (shmem or accountable_mapping(file, vm_flags)) and not noreserve
    return mmap_region(mm, addr, length, vm_flags, file, pgoff, name, task, account)


def file_mmap_ok(file, pgoff: int, length: int) -> bool:
    """Whether the mapping's file range fits the largest offset the file can have
    (MAX_LFS_FILESIZE for files, any unsigned long for a device like /dev/zero)."""
    maxsize = (1 << 64) - 1 if isinstance(file, ZeroFile) else (1 << 63) - 1
    if length > maxsize:
        return False
    return (pgoff >> PAGE_SHIFT) <= (maxsize - length) >> PAGE_SHIFT


def _file_vm_flags(file, prot: int, flags: int, vm_flags: int) -> int:
    """do_mmap's checks of a file mapping, in Linux's order: unknown flags of
    MAP_SHARED_VALIDATE (EOPNOTSUPP), PROT_WRITE on a shared mapping of a file not open
    for writing (EACCES, and no VM_MAYWRITE for mprotect either), a file not open for
    reading (EACCES), a file without an mmap (ENODEV), MAP_GROWSDOWN (EINVAL)."""
    kind = flags & MAP_TYPE
    if kind == MAP_SHARED:
        flags &= LEGACY_MAP_MASK        # MAP_SHARED ignores what it does not know
    if kind in (MAP_SHARED, MAP_SHARED_VALIDATE):
        if flags & ~LEGACY_MAP_MASK:
            raise KernelError(Errno.EOPNOTSUPP)
        if prot & PROT_WRITE and not file.writable:
            raise KernelError(Errno.EACCES)
        vm_flags |= VmFlags.VM_SHARED | VmFlags.VM_MAYSHARE
        if not file.writable:
            vm_flags &= ~VmFlags.VM_MAYWRITE
    elif kind != MAP_PRIVATE:
        raise KernelError(Errno.EINVAL)
    if not file.readable:
        raise KernelError(Errno.EACCES)
    if getattr(getattr(getattr(file, "dentry", None), "mnt", None), "flags", 0) & 0x04:
        # MNT_NOEXEC (a tmpfs mounted noexec; shared anonymous memory has no dentry)
        if vm_flags & VmFlags.VM_EXEC:
            raise KernelError(Errno.EPERM)      # path_noexec: no executable mapping
        vm_flags &= ~VmFlags.VM_MAYEXEC
    if not getattr(file, "can_mmap", False):
        raise KernelError(Errno.ENODEV)
    if vm_flags & VmFlags.VM_GROWSDOWN:
        raise KernelError(Errno.EINVAL)
    deny = getattr(file, "deny_mmap", None)
    if deny is not None:
        deny(vm_flags)                          # a sealed memfd (EPERM)
    return vm_flags


def sys_mmap(task, addr, length, prot, flags, fd, off) -> int:
    """mmap(2), then the pages a locked mapping or MAP_POPULATE wants now (vm_mmap_pgoff's
    mm_populate; failures there do not fail the mmap)."""
    addr = ksys_mmap_pgoff(task, addr, length, prot, flags, fd, off)
    flags &= 0xFFFFFFFF
    if not flags & (MAP_LOCKED | MAP_POPULATE) and not task.mm.def_flags:
        return addr                             # the common case: nothing to fault in now
    vma = task.mm.vma_containing(addr)
    locked = vma is not None and (vma.flags & VmFlags.VM_LOCKED or flags & MAP_LOCKED
                                  or task.mm.def_flags & VmFlags.VM_LOCKED)
    if locked or flags & (MAP_POPULATE | MAP_NONBLOCK) == MAP_POPULATE:
        try:
            populate(task.mm, addr, addr + page_align(length), locked_only=False)
        except (KernelError, VmFault):
            pass
    return addr


def sys_mmap_pgoff(task, addr, length, prot, flags, fd, pgoff) -> int:
    """mmap2(2), i386's mmap: the file offset in pages, so a 32-bit caller reaches 16 TiB."""
    return sys_mmap(task, addr, length, prot, flags, fd, (pgoff & 0xFFFF_FFFF) * PAGE_SIZE)


def ksys_mmap_pgoff(task, addr, length, prot, flags, fd, off) -> int:
    """mmap(2)'s mapping: anonymous, private and shared ones."""
    flags &= 0xFFFFFFFF
    prot &= 0xFFFFFFFF
    if off & (PAGE_SIZE - 1):
        raise KernelError(Errno.EINVAL)
    mm = task.mm
    if flags & MAP_ANONYMOUS:
        if flags & MAP_HUGETLB:
            return _mmap_hugetlb_anonymous(task, addr, length, prot, flags)
        if flags & MAP_TYPE == MAP_SHARED and not flags & MAP_GROWSDOWN and length:
            return _mmap_shared_anonymous(mm, addr, length, prot, flags, task)
        return do_mmap(mm, addr, length, prot, flags, None, 0, task=task)
    file = task.files.fdget(int_arg(fd))        # EBADF comes before any flag check
    if file.flags & O_PATH:
        raise KernelError(Errno.EBADF)          # fget refuses O_PATH descriptors
    hstate = getattr(file, "hstate", None)
    if hstate is not None:                      # is_file_hugepages: whole huge pages
        return _mmap_hugetlb_file(task, addr, length, prot, flags, file, off, hstate)
    if flags & MAP_HUGETLB:
        raise KernelError(Errno.EINVAL)         # not a hugetlbfs file
    shared = flags & MAP_TYPE in (MAP_SHARED, MAP_SHARED_VALIDATE)
    if shared and isinstance(file, ZeroFile) and length:
        _file_vm_flags(file, prot, flags, 0)        # the device's own checks first
        addr = _mmap_shared_anonymous(mm, addr, length, prot, flags, task)   # shmem_zero_setup
        if not file.writable:               # /dev/zero opened read-only: never writable
            for vma in mm.overlapping(addr, addr + page_align(length)):
                vma.flags &= ~VmFlags.VM_MAYWRITE
        return addr
    if shared and hasattr(file, "shared_vm_file"):
        return do_mmap(mm, addr, length, prot, flags, file.shared_vm_file(), off, task=task)
    if shared and getattr(file, "readpage", None) and address_space_registry(file) is not None:
        # A regular file: its pages live in the inode's AddressSpace, shared by every
        # mapping and kept coherent with read/write (mm/filemap.py).
        mapping = FileMapping(file, get_address_space(file, mm.phys))
        try:
            return do_mmap(mm, addr, length, prot, flags, mapping, off, task=task)
        finally:
            mapping.space.release_if_unused()
    return do_mmap(mm, addr, length, prot, flags, file, off, task=task)


def _mmap_hugetlb_anonymous(task, addr, length, prot, flags) -> int:
    """MAP_ANONYMOUS|MAP_HUGETLB: an unlinked hugetlbfs file of the size MAP_HUGE_*
    names (EINVAL for one without a pool), the length rounded up to its page size; the
    pages are reserved when it is mapped."""
    from glasskernel.fs.hugetlbfs.inode import hugetlb_file_setup
    from glasskernel.mm.hugetlb import MAP_HUGE_MASK, MAP_HUGE_SHIFT, hstate_sizelog
    mm = task.mm
    hstate = hstate_sizelog(mm.phys, (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK)
    if hstate is None:
        raise KernelError(Errno.EINVAL)
    length = (length + hstate.size - 1) & ~(hstate.size - 1) & ((1 << 64) - 1)
    file = hugetlb_file_setup(task, hstate, length, "/anon_hugepage (deleted)", reserve=False,
                              shm=False, private=flags & MAP_TYPE == MAP_PRIVATE)
    try:
        return do_mmap(mm, addr, length, prot, flags, file, 0, task=task)
    finally:
        file.put()                      # the VMA holds its own reference now


def _mmap_hugetlb_file(task, addr, length, prot, flags, file, off, hstate) -> int:
    """A hugetlbfs file (memfd_create(MFD_HUGETLB)): the length rounded up to the huge
    page size, the open file's access checked, then its pages (shared) or a mapping's
    own (private) mapped."""
    length = (length + hstate.size - 1) & ~(hstate.size - 1) & ((1 << 64) - 1)
    _file_vm_flags(file, prot, flags, 0)
    if flags & MAP_TYPE in (MAP_SHARED, MAP_SHARED_VALIDATE):
        return do_mmap(task.mm, addr, length, prot, flags, file.shared_vm_file(), off, task=task)
    vm_file = file.private_vm_file()
    try:
        return do_mmap(task.mm, addr, length, prot, flags, vm_file, off, task=task)
    finally:
        vm_file.put()


def _mmap_shared_anonymous(mm, addr, length, prot, flags, task=None) -> int:
    """MAP_SHARED|MAP_ANONYMOUS: backed by a shmem object so fork keeps it shared."""
    from glasskernel.mm.shmem import ShmemFile
    shm = ShmemFile(mm.phys)
    try:
        return do_mmap(mm, addr, length, prot, flags, shm, 0, task=task, shmem=True)
    finally:
        shm.put()                     # the VMA holds its own reference now


def sys_munmap(task, addr, length) -> int:
    if addr & (PAGE_SIZE - 1) or length == 0 or addr + page_align(length) > task.mm.task_size:
        raise KernelError(Errno.EINVAL)
    check_munmap_split(task.mm, addr, addr + page_align(length))
    do_munmap(task.mm, addr, length)
    return 0


# vm_brk_flags: the heap (and exec's .bss) is private, read-write and charged.
BRK_VM_FLAGS = VmFlags.VM_READ | VmFlags.VM_WRITE | VM_MAY_ALL | VmFlags.VM_ACCOUNT


def do_brk_flags(mm, start: int, end: int) -> None:
    """Extend the heap VMA from start to end (anonymous, read/write)."""
    mm.insert_vma(VmArea(start, end, BRK_VM_FLAGS | mm.def_flags))
    vma_merge(mm, start, end)       # grows the heap's VMA, or the .bss below it


def sys_brk(task, brk) -> int:
    """brk(2): move the program break; on failure return the old one, as Linux does."""
    mm = task.mm
    if brk < mm.start_brk:
        return mm.brk
    new_end = page_align(brk)
    old_end = page_align(mm.brk)
    if new_end == old_end:
        mm.brk = brk
        return mm.brk
    if brk <= mm.brk:
        do_munmap(mm, new_end, old_end - new_end)
        mm.brk = brk
        return mm.brk
    if new_end > mm.task_size or not mm.is_free(old_end, new_end + PAGE_SIZE):
        return mm.brk
    limit = _rlimit_cur(task, RLIMIT_DATA)
    if limit != RLIM_INFINITY and brk - mm.start_brk + (mm.end_data - mm.start_data) > limit:
        return mm.brk                          # check_data_rlimit
    grow = (new_end - old_end) >> PAGE_SHIFT
    heap_flags = VmFlags.VM_READ | VmFlags.VM_WRITE
    if not may_expand_vm(task, mm, heap_flags, grow) or len(mm.vmas) > vm_sysctl.max_map_count \
            or not vm_enough_memory(mm, grow):
        return mm.brk
    do_brk_flags(mm, old_end, new_end)
    mm.brk = brk
    return mm.brk


# ----- special mappings (mm/mmap.c: _install_special_mapping) ------------------------------

class SpecialMapping:
    """vm_special_mapping: a named area whose pages are the kernel's own frames ([vdso],
    [vvar]). It stands where a VMA's file would: forks share it, and the fault path asks
    it for the frame of each page (``fault``). None in ``frames`` is a hole (SIGBUS)."""

    __slots__ = ("name", "frames", "mremap")

    def __init__(self, name: str, frames: list, mremap=None):
        self.name = name                # what /proc/PID/maps shows
        self.frames = frames            # physical frames, one per page; the kernel holds a ref
        self.mremap = mremap            # fn(mm, new_start) after the area moved, or None

    def get(self):
        return self

    def put(self) -> None:
        """Nothing to release: the frames belong to the kernel."""

    def fault(self, mm, vma, page_va: int, write: bool) -> None:
        """special_mapping_fault: map the frame read-only; a write (after mprotect, as a
        debugger's breakpoint does) gets a private copy."""
        index = vma.file_offset(page_va) // PAGE_SIZE
        frame = self.frames[index] if index < len(self.frames) else None
        if frame is None:
            raise VmFault(BUS_ADRERR, page_va, SIGBUS)
        mm.phys.get_page(frame)
        if write:
            do_cow_fault(mm, vma, page_va, frame)
            return
        mm.pgtable.set_pte(page_va, frame | vma_pte_flags(vma, False))
        if vma.flags & VmFlags.VM_EXEC:
            mm.invalidate_code(page_va)


def install_special_mapping(mm, addr: int, length: int, vm_flags: int, sm: SpecialMapping):
    """_install_special_mapping: a VMA backed by sm at addr (which must be free)."""
    vma = VmArea(addr, addr + length, vm_flags | VmFlags.VM_DONTEXPAND, sm, 0, sm.name)
    mm.insert_vma(vma)
    return vma


def sys_remap_file_pages(task, start, size, prot, pgoff, flags) -> int:
    """remap_file_pages(2), deprecated and emulated as Linux 6.1 does: a new MAP_SHARED
    mapping of the same file at ``start``, at page ``pgoff``, with the old protection.
    EINVAL for a prot, an empty or wrapping range, or a range that is not one shared
    mapping of one file (contiguous VMAs of the same file and flags)."""
    if prot:
        raise KernelError(Errno.EINVAL)
    start &= ~(PAGE_SIZE - 1)
    size &= ~(PAGE_SIZE - 1)
    if not size or start + size >= 1 << 64 or pgoff + (size >> PAGE_SHIFT) >= 1 << 64:
        raise KernelError(Errno.EINVAL)
    mm = task.mm
    vma = mm.vma_containing(start)
    if vma is None or not vma.flags & VmFlags.VM_SHARED or vma.file is None:
        raise KernelError(Errno.EINVAL)
    end = vma.end
    for nxt in mm.overlapping(vma.end, start + size):
        if nxt.start != end or nxt.file is not vma.file or nxt.flags != vma.flags:
            raise KernelError(Errno.EINVAL)
        end = nxt.end
    if end < start + size:
        raise KernelError(Errno.EINVAL)
    prot = (PROT_READ if vma.flags & VmFlags.VM_READ else 0) | \
        (PROT_WRITE if vma.flags & VmFlags.VM_WRITE else 0) | \
        (PROT_EXEC if vma.flags & VmFlags.VM_EXEC else 0)
    file = vma.file
    # Keep the file alive while its old VMAs go (get_file); an attach of System V shm
    # counts attaches with get/put instead, and must not hold one (its segment may go).
    pin = not getattr(file, "get_is_attach", False) and hasattr(file, "get")
    if pin:
        file.get()
    try:
        do_mmap(mm, start, size, prot, MAP_SHARED | MAP_FIXED, file, pgoff << PAGE_SHIFT, task=task)
    finally:
        if pin:
            file.put()
    return 0
