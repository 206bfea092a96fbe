"""Physical memory and the page-frame allocator (mm/page_alloc.c).

Guest "physical" memory is one host buffer. The CPU backend maps it once into the emulator at
physical address 0; the kernel reaches it directly through a memoryview, which is how it reads
and writes user pages after walking the page tables itself. Frames carry a reference count so
that copy-on-write can share a frame between address spaces (page_count / put_page).

The buffer's size is the guest's RAM (``--mem``). Kernel memory the guest makes us hold
outside the buffer (pipe buffers) is charged against the same frames (``charge_kernel``),
so frames still resident on the host + charged kernel pages never pass the total: the
host process stays within the guest's RAM plus a fixed overhead. When no frame is left,
the allocator reclaims the page cache, then asks the OOM killer (mm/oom_kill.py) to free
memory; if that cannot help the caller, OutOfMemory (ENOMEM) unwinds the allocation.
"""
import math
import mmap

from glasskernel.arch.x86.page_types import PAGE_MASK, PAGE_SHIFT, PAGE_SIZE  # noqa: F401 - mm's names
from glasskernel.uapi.errno import Errno, KernelError

ZERO_PAGE = bytes(PAGE_SIZE)


class OutOfMemory(KernelError):
    """No frame for this allocation: the OOM killer chose the allocating task (it has a
    SIGKILL pending) or found nothing to kill. A syscall that meets it fails with ENOMEM;
    a user fault gives up (VM_FAULT_OOM) and the task dies of its SIGKILL."""

    def __init__(self, message: str = "out of memory"):
        super().__init__(Errno.ENOMEM)
        self.message = message


class PhysicalMemory:
    """A contiguous host buffer standing for RAM, handed out a page frame at a time."""

    def __init__(self, size: int):
        self.size = size & PAGE_MASK
        self.buf = mmap.mmap(-1, self.size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.view = memoryview(self.buf)
        self._free: list[int] = []      # free frames whose host pages are resident
        self._released: list[int] = []  # free frames given back to the host (read as zero)
        self._next = PAGE_SIZE          # frame 0 stays unused so a zero PTE is never valid
        self.total_pages = (self.size >> PAGE_SHIFT) - 1      # totalram_pages()
        self.kernel_bytes = 0           # charged kernel memory (pipe buffers), in bytes
        self.kernel_pages = 0           # the same in pages, rounded up
        # vm.min_free_kbytes (init_per_zone_wmark_min: sqrt(16 * RAM in KiB), within
        # 128 KiB..256 MiB): charged kernel memory leaves these pages to page faults, so
        # a pipe hog gets ENOMEM before the processes around it meet the OOM killer.
        ram_kb = self.size >> 10
        self.min_free_pages = min(max(math.isqrt(ram_kb * 16), 128), 262144) >> (PAGE_SHIFT - 10)
        # out_of_memory(), installed by the kernel: True when it freed memory the caller
        # may now take (another process's was reaped), False when the caller must fail.
        self.oom_handler = None
        # Reference counts by frame number, grown as fresh frames are handed out. A list,
        # not an array: fault-around and zap count hundreds of frames at a time, and a
        # list element is read and written without boxing (twice as fast).
        self._refcount = [0]
        self.hugetlb = None             # the huge page pools (mm/hugetlb.py), made on first use
        from glasskernel.mm.filemap import PageCache
        self.page_cache = PageCache(self)

    def alloc_page(self, zero: bool = True) -> int:
        """Take a frame (physical address), zeroed unless the caller fills it entirely."""
        if self._free:
            pa = self._free.pop()
            if zero:
                self.view[pa:pa + PAGE_SIZE] = ZERO_PAGE
        else:
            pa = self._alloc_slow(zero)
        self._refcount[pa >> PAGE_SHIFT] = 1
        return pa

    def _alloc_slow(self, zero: bool) -> int:
        """No resident free frame: a released or fresh one (both read as zero) if the
        budget allows, else reclaim, then the OOM killer (__alloc_pages_slowpath)."""
        reclaimed = False
        while True:
            if self._free:                      # reclaim or the OOM killer freed some
                pa = self._free.pop()
                if zero:
                    self.view[pa:pa + PAGE_SIZE] = ZERO_PAGE
                return pa
            if self.resident_pages() + self.kernel_pages < self.total_pages:
                if self._released:
                    return self._released.pop()
                pa = self._next
                self._next += PAGE_SIZE  # fresh frames from the anonymous mapping are zero
                self._refcount.append(0)
                return pa
            if not reclaimed:
                reclaimed = True
                self.page_cache.shrink()
                continue
            if self.oom_handler is None or not self.oom_handler():
                raise OutOfMemory("guest physical memory exhausted")

    def resident_pages(self) -> int:
        """Frames whose host pages may be resident: in use or on the resident free list."""
        return (self._next >> PAGE_SHIFT) - 1 - len(self._released)

    def free_pages(self) -> int:
        """Frames an allocation could still take (nr_free_pages, less charged kernel memory)."""
        return self.total_pages - self.frames_in_use() - self.kernel_pages

    def charge_kernel(self, nbytes: int) -> bool:
        """Count nbytes more of kernel memory against the guest's RAM (a pipe buffer);
        False, with nothing charged, when it does not fit even after reclaiming the page
        cache: the syscall fails with ENOMEM. (The OOM killer is not asked: the memory of
        the process it would kill comes back only when that process has run to its exit,
        which cannot happen inside this syscall.) Resident free frames are given back to
        the host to make room."""
        pages = (self.kernel_bytes + nbytes + PAGE_SIZE - 1) >> PAGE_SHIFT
        if pages > self.kernel_pages:
            limit = self.total_pages - self.min_free_pages
            if self.frames_in_use() + pages > limit:
                self.page_cache.shrink()
                if self.frames_in_use() + pages > limit:
                    return False
            self._release_for(pages)
            self.kernel_pages = pages
        self.kernel_bytes += nbytes
        return True

    def uncharge_kernel(self, nbytes: int) -> None:
        """Kernel memory charged with charge_kernel was freed."""
        self.kernel_bytes -= nbytes
        self.kernel_pages = (self.kernel_bytes + PAGE_SIZE - 1) >> PAGE_SHIFT

    def _release_for(self, kernel_pages: int) -> None:
        """Give resident free frames back to the host (MADV_DONTNEED) until resident
        frames and kernel pages fit in the total again."""
        excess = self.resident_pages() + kernel_pages - self.total_pages
        if excess <= 0:
            return
        frames = sorted(self._free[-excess:])
        del self._free[-excess:]
        for pa in frames:
            self.buf.madvise(mmap.MADV_DONTNEED, pa, PAGE_SIZE)
        self._released.extend(frames)

    def get_page(self, pa: int) -> None:
        """Take another reference to a frame (a second mapping shares it)."""
        self._refcount[pa >> PAGE_SHIFT] += 1

    def get_pages(self, frames) -> None:
        """get_page for each of several frames."""
        refcount = self._refcount
        for pa in frames:
            refcount[pa >> PAGE_SHIFT] += 1

    def put_page(self, pa: int) -> None:
        """Drop a reference; the last one returns the frame to the free list."""
        idx = pa >> PAGE_SHIFT
        count = self._refcount[idx] - 1
        self._refcount[idx] = count
        if count == 0:
            self._free.append(pa)

    def put_pages(self, frames, mask: int = -1) -> None:
        """put_page for each of several frames. With a mask, each entry is a frame with
        other bits (a page-table entry) that the mask clears: zap hands its PTEs as they
        are, without a second list of bare frames."""
        refcount, free = self._refcount, self._free
        for entry in frames:
            pa = entry & mask
            idx = pa >> PAGE_SHIFT
            count = refcount[idx] - 1
            refcount[idx] = count
            if count == 0:
                free.append(pa)

    def page_count(self, pa: int) -> int:
        return self._refcount[pa >> PAGE_SHIFT]

    def frames_in_use(self) -> int:
        return (self._next >> PAGE_SHIFT) - 1 - len(self._free) - len(self._released)

    def address(self) -> int:
        """Host address of the buffer, for the emulator's mem_map_ptr."""
        import ctypes
        holder = (ctypes.c_char * self.size).from_buffer(self.buf)
        self._holder = holder           # keep the export alive as long as we are
        return ctypes.addressof(holder)
