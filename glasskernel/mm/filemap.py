"""The page cache (mm/filemap.c): one physical frame per page of a file, shared by mappers.

Every process that maps a program's code or read-only data maps the same frames: after
the first exec of busybox, the next one finds its pages already in the cache. That saves
reading and copying the file, and it is what lets the CPU reuse its translated code,
which the emulator keeps per physical page: a frame whose bytes did not change needs no
retranslation.

A private mapping maps the cached frame read-only; the first write to it copies the page
(copy-on-write, since the cache holds a reference). A read fault also maps the neighbouring
pages that are already cached (``filemap_map_pages``, Linux's fault-around), so a warm
exec takes one fault per 2 MiB window instead of one per page.

Pages are keyed by the file's identity (device, inode, size and modification time), so a
rewritten file gets new pages; the cache holds at most ``MAX_PAGES`` frames and evicts
pages nobody maps when it is full.
"""
from glasskernel.mm.page_alloc import PAGE_SIZE

MAX_PAGES = 32768                  # 128 MiB of cached file pages at most
# fault_around_bytes, in pages. Linux's default is 64 KiB; its debugfs knob accepts up to
# one page table's worth (PTRS_PER_PTE pages, 2 MiB), which is what we set: a fault costs
# ~15 µs here against ~1 µs in Linux, while mapping one more cached page costs well under
# 1 µs, so the largest window pays. A warm busybox exec takes ~6 read faults, not ~36.
FAULT_AROUND_PAGES = 512


def file_cache_key(file):
    """(dev, ino, size, mtime) of a regular host file, or None if it cannot be cached."""
    key = getattr(file, "_page_cache_key", False)
    if key is not False:
        return key
    key = None
    if getattr(file, "host_fd", None) is not None and getattr(file, "seekable", False):
        try:
            st = file.stat()
            key = (st.st_dev, st.st_ino, st.st_size, st.mtime)
        except Exception:
            key = None
    try:
        file._page_cache_key = key
    except AttributeError:
        pass
    return key


class PageCache:
    """address_space pages of every cached file: file key → {page index → frame}."""

    def __init__(self, phys):
        self.phys = phys
        self.files = {}                  # one address_space per file key
        self.count = 0                   # frames held, all files together
        self._empty = {}
        # Fault-around's PTE runs per file key, {(first index, count, flags): (ptes,
        # frames, packed)}: every exec of a program maps the same windows of its text, so
        # a run is built once; dropped whenever the file's cached pages change.
        self._windows = {}

    def find_page(self, key, index: int):
        """The cached frame of a page, or None (no reference taken)."""
        return self.files.get(key, self._empty).get(index)

    def window_ptes(self, key, first: int, count: int, flags: int, pack) -> tuple:
        """For fault-around: (ptes, frames, packed) of file pages [first, first + count),
        where ptes[i] maps page first + i with flags if it is cached and is 0 if not,
        frames lists the cached frames in order and packed is pack(ptes), the entries as
        the page table holds them. Shared: callers only read them."""
        runs = self._windows.get(key)
        if runs is None:
            runs = self._windows[key] = {}
        run = runs.get((first, count, flags))
        if run is None:
            cached = self.files.get(key, self._empty)
            frames = list(map(cached.get, range(first, first + count)))
            ptes = [0 if frame is None else frame | flags for frame in frames]
            run = runs[(first, count, flags)] = (ptes, list(filter(None, frames)), pack(ptes))
        return run

    def read_page(self, file, key, index: int):
        """The page's frame, reading it in if needed; (frame, fresh). The caller gets a
        reference; fresh means the frame's bytes are new (old translations are stale)."""
        frame = self.find_page(key, index)
        if frame is not None:
            self.phys.get_page(frame)
            return frame, False
        if self.count >= MAX_PAGES:
            self.shrink()
        frame = self.phys.alloc_page()
        data = file.pread(PAGE_SIZE, index * PAGE_SIZE)
        if data:
            self.phys.view[frame:frame + len(data)] = data
        self.files.setdefault(key, {})[index] = frame     # the cache's own reference
        self._windows.pop(key, None)
        self.count += 1
        self.phys.get_page(frame)            # and the caller's
        return frame, True

    def shrink(self) -> None:
        """Drop pages only the cache still holds (nobody maps them)."""
        for key, pages in list(self.files.items()):
            for index, frame in list(pages.items()):
                if self.phys.page_count(frame) == 1:
                    self._windows.pop(key, None)
                    del pages[index]
                    self.count -= 1
                    self.phys.put_page(frame)
            if not pages:
                del self.files[key]


SIGXFSZ = 25


def generic_write_check_limits(task, file, pos, count: int) -> int:
    """RLIMIT_FSIZE for a write of count bytes at pos into a regular file: the count
    that may be written (cut at the limit), or EFBIG with SIGXFSZ at or past it. pos
    None: at the file position, the end for O_APPEND (O_APPEND writes always go there)."""
    if not count or not getattr(file, "is_regular", False) or not task.rlimits:
        return count
    from glasskernel.uapi.resource import RLIM_INFINITY, RLIMIT_FSIZE
    limit = task.rlimits.get(RLIMIT_FSIZE, (RLIM_INFINITY,))[0]
    if limit == RLIM_INFINITY:
        return count
    if pos is None or file.flags & 0o2000:        # O_APPEND
        pos = file.size() if file.flags & 0o2000 else file.pos
    if pos >= limit:
        task.kernel.send_signal(task, SIGXFSZ)
        from glasskernel.uapi.errno import Errno, KernelError
        raise KernelError(Errno.EFBIG)
    return min(count, limit - pos)
