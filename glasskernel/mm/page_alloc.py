"""Physical memory and the page-frame allocator (mm/page_alloc.c).

Guest "physical" memory is one host buffer. The CPU backend maps it once into the emulator at
physical address 0; the kernel reaches it directly through a memoryview, which is how it reads
and writes user pages after walking the page tables itself. Frames carry a reference count so
that copy-on-write can share a frame between address spaces (page_count / put_page).
"""
import mmap

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = ~(PAGE_SIZE - 1)
ZERO_PAGE = bytes(PAGE_SIZE)


class OutOfMemory(Exception):
    """No free frame left: the guest is killed as the OOM killer would."""


class PhysicalMemory:
    """A contiguous host buffer standing for RAM, handed out a page frame at a time."""

    def __init__(self, size: int):
        self.size = size & PAGE_MASK
        self.buf = mmap.mmap(-1, self.size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.view = memoryview(self.buf)
        self._free: list[int] = []
        self._next = PAGE_SIZE          # frame 0 stays unused so a zero PTE is never valid
        # Reference counts by frame number, grown as fresh frames are handed out. A list,
        # not an array: fault-around and zap count hundreds of frames at a time, and a
        # list element is read and written without boxing (twice as fast).
        self._refcount = [0]
        from glasskernel.mm.filemap import PageCache
        self.page_cache = PageCache(self)

    def alloc_page(self, zero: bool = True) -> int:
        """Take a frame (physical address), zeroed unless the caller fills it entirely."""
        if self._free:
            pa = self._free.pop()
            if zero:
                self.view[pa:pa + PAGE_SIZE] = ZERO_PAGE
        else:
            if self._next >= self.size:
                raise OutOfMemory("guest physical memory exhausted")
            pa = self._next
            self._next += PAGE_SIZE      # fresh frames from the anonymous mapping are zero
            self._refcount.append(0)
        self._refcount[pa >> PAGE_SHIFT] = 1
        return pa

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
        return (self._next >> PAGE_SHIFT) - 1 - len(self._free)

    def address(self) -> int:
        """Host address of the buffer, for the emulator's mem_map_ptr."""
        import ctypes
        holder = (ctypes.c_char * self.size).from_buffer(self.buf)
        self._holder = holder           # keep the export alive as long as we are
        return ctypes.addressof(holder)
