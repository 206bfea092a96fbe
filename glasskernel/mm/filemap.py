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
from glasskernel.uapi.errno import KernelError

MAX_PAGES = 32768                  # 128 MiB of cached file pages at most
# fault_around_bytes, in pages. Linux's default is 64 KiB; its debugfs knob accepts up to
# one page table's worth (PTRS_PER_PTE pages, 2 MiB), which is what we set: a fault costs
# ~15 µs here against ~1 µs in Linux, while mapping one more cached page costs well under
# 1 µs, so the largest window pays. A warm busybox exec takes ~6 read faults, not ~36.
FAULT_AROUND_PAGES = 512
# The read-around of a fault on a page not cached (do_sync_mmap_readahead): Linux reads
# ra_pages (VM_READAHEAD_PAGES, 128 KiB) centred on the faulting page in one I/O, and
# fault-around then maps them. Without it a cold exec took one fault per page it touched
# (python3.11 -c pass: ~1,000), each rebuilding its fault-around window.
READ_AROUND_PAGES = 32


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

    def read_around(self, file, key, index: int) -> list:
        """Read the uncached pages of the read-around window of page ``index`` into the
        cache with one host read; [(page index, frame)] of the pages read. Pages past the
        end of the file are left to ``read_page``; a read error reads nothing here."""
        start = max(0, index - READ_AROUND_PAGES // 2)
        cached = self.files.get(key, self._empty)
        missing = [i for i in range(start, start + READ_AROUND_PAGES) if i not in cached]
        if not missing:
            return []
        first = missing[0]
        try:
            data = file.pread((missing[-1] + 1 - first) * PAGE_SIZE, first * PAGE_SIZE)
        except KernelError:
            return []
        missing = [i for i in missing if (i - first) * PAGE_SIZE < len(data)]
        if self.count + len(missing) > MAX_PAGES:
            self.shrink()
        pages = self.files.setdefault(key, {})
        view, alloc = self.phys.view, self.phys.alloc_page
        read = []
        for i in missing:
            chunk = data[(i - first) * PAGE_SIZE:(i - first + 1) * PAGE_SIZE]
            frame = alloc(zero=len(chunk) < PAGE_SIZE)
            view[frame:frame + len(chunk)] = chunk
            pages[i] = frame                 # the cache's own reference
            read.append((i, frame))
        self.count += len(read)
        self._windows.pop(key, None)
        return read

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


# ----- shared file mappings ---------------------------------------------------------------

class SharedPageFault(Exception):
    """A shared file page past the end of the file: the fault is SIGBUS (VM_FAULT_SIGBUS)."""


class AddressSpace:
    """The pages of one regular file that MAP_SHARED mappings map (struct address_space,
    the part a MAP_SHARED mapping needs): one frame per page index, the same for every
    process and every mapping of the file, kept coherent with read(2)/write(2) on any
    descriptor of it (HostFile asks ``find_address_space`` on each transfer).

    The host file is the backing store: pages are read from it on first touch and written
    back to it (through a writable File's host descriptor, never by path) on msync, fsync
    and when the last mapping goes. A page is mapped read-only until a write faults on it
    (page_mkwrite), which marks it dirty; only dirty pages are written back, so a mapping
    that only reads a sparse file never fills its holes. Dirty pages stay dirty (without
    a reverse map we cannot write-protect every PTE again at writeback, as page_mkclean
    does), so later writebacks write them again: the kernel keeps them equal to or newer
    than the file, which makes that only extra I/O.
    """

    __slots__ = ("registry", "key", "phys", "pages", "dirty", "writer", "mapcount")

    def __init__(self, registry: dict, key, phys):
        self.registry = registry
        self.key = key
        self.phys = phys
        self.pages = {}             # page index -> frame (the space's own reference)
        self.dirty = set()          # pages a mapping was allowed to write (page_mkwrite)
        self.writer = None          # a writable File of the inode, for writeback
        self.mapcount = 0           # VMAs mapping it (i_mmap)

    def find_or_create_page(self, file, index: int) -> int:
        """The frame of page index, read from the file the first time; SIGBUS past EOF
        (filemap_fault). No reference is taken for the caller."""
        frame = self.pages.get(index)
        if frame is not None:
            return frame
        size = file.size()
        if index * PAGE_SIZE >= size:
            raise SharedPageFault(index)
        frame = self.phys.alloc_page()
        data = file.readpage(index * PAGE_SIZE)
        if data:
            self.phys.view[frame:frame + len(data)] = data
        self.pages[index] = frame
        return frame

    def read_patch(self, data: bytes, pos: int) -> bytes:
        """data, just read from the host at pos, with the bytes of cached pages in place
        of the host's (filemap_read: the page cache is the truth while it holds a page)."""
        if not data or not self.pages:
            return data
        end = pos + len(data)
        out = None
        view = self.phys.view
        for index in range(pos // PAGE_SIZE, (end - 1) // PAGE_SIZE + 1):
            frame = self.pages.get(index)
            if frame is None:
                continue
            if out is None:
                out = bytearray(data)
            lo, hi = max(pos, index * PAGE_SIZE), min(end, (index + 1) * PAGE_SIZE)
            base = frame - index * PAGE_SIZE
            out[lo - pos:hi - pos] = view[base + lo:base + hi]
        return data if out is None else bytes(out)

    def write_through(self, data, pos: int) -> None:
        """write(2) wrote data at pos on the host: cached pages take the same bytes."""
        end = pos + len(data)
        view = self.phys.view
        for index in range(pos // PAGE_SIZE, (end - 1) // PAGE_SIZE + 1 if end > pos else 0):
            frame = self.pages.get(index)
            if frame is None:
                continue
            lo, hi = max(pos, index * PAGE_SIZE), min(end, (index + 1) * PAGE_SIZE)
            base = frame - index * PAGE_SIZE
            view[base + lo:base + hi] = data[lo - pos:hi - pos]

    def zero_beyond(self, size: int) -> None:
        """The file is now size bytes, or grows from there: bytes of cached pages past
        size read as zeros (truncate_pagecache; also what a mapping stored past EOF)."""
        view = self.phys.view
        for index, frame in self.pages.items():
            start = max(size - index * PAGE_SIZE, 0)
            if start < PAGE_SIZE:
                view[frame + start:frame + PAGE_SIZE] = bytes(PAGE_SIZE - start)

    def writeback(self, first: int = 0, last: int = -1) -> None:
        """Write pages first..last (-1: to the end) to the file, up to its size
        (do_writepages); nothing to do without a writable descriptor."""
        writer = self.writer
        if writer is None:
            return
        size = writer.size()
        view = self.phys.view
        for index in sorted(self.dirty):
            if index < first or (last >= 0 and index > last) or index * PAGE_SIZE >= size:
                continue
            frame = self.pages[index]
            count = min(PAGE_SIZE, size - index * PAGE_SIZE)
            # write_at, not a raw pwrite: the layer's quota accounting sees the blocks.
            writer.write_at(view[frame:frame + count].tobytes(), index * PAGE_SIZE)

    def map_file(self, file) -> None:
        """A new VMA maps the file through this space (a writable one may write back)."""
        self.mapcount += 1
        if self.writer is None and file.writable:
            self.writer = file.get()

    def release_if_unused(self) -> None:
        """Forget a space no mapping took (the mmap that made it failed)."""
        if self.mapcount == 0:
            self.mapcount = 1
            self.unmap()

    def unmap(self) -> None:
        """A VMA went away; the last one writes everything back and frees the pages."""
        self.mapcount -= 1
        if self.mapcount:
            return
        try:
            self.writeback()
        except KernelError:
            pass        # nobody to tell at munmap or exit (Linux keeps it for fsync)
        finally:
            if self.registry.get(self.key) is self:
                del self.registry[self.key]
            for frame in self.pages.values():
                self.phys.put_page(frame)
            self.pages.clear()
            self.dirty.clear()
            if self.writer is not None:
                self.writer.put()
                self.writer = None


def _inode_key(file):
    """(st_dev, st_ino) of an open file (its inode never changes, so it is kept) or of a
    dentry (asked each time: a copy-up or a rename puts another inode there)."""
    key = getattr(file, "_inode_key", None)
    if key is None:
        st = file.stat()                # KernelError if it is gone (callers decide)
        key = (st.st_dev, st.st_ino)
        if hasattr(file, "dentry"):
            file._inode_key = key
    return key


def address_space_registry(file):
    """The dict of live AddressSpaces of the file's file system (None: not cacheable).
    file may be an open File or a dentry."""
    dentry = getattr(file, "dentry", file)
    return getattr(getattr(dentry, "vfs", None), "address_spaces", None)


def find_address_space(file):
    """The inode's AddressSpace while shared mappings of it exist, else None."""
    registry = address_space_registry(file)
    if not registry:
        return None
    try:
        return registry.get(_inode_key(file))
    except KernelError:
        return None                     # an inode we cannot name has no shared pages


def get_address_space(file, phys) -> AddressSpace:
    """The inode's AddressSpace, created for a first shared mapping."""
    registry = address_space_registry(file)
    if registry is None:
        raise TypeError("file has no page cache")
    key = _inode_key(file)
    space = registry.get(key)
    if space is None:
        space = registry[key] = AddressSpace(registry, key, phys)
    return space


class FileMapping:
    """vm_file of a MAP_SHARED area of a regular file: the open file, plus its inode's
    shared pages. A VMA reference (get/put) is one on the file and one mapping of the
    space (vm_ops open/close); everything else (path, stat, flags) is the file's."""

    __slots__ = ("file", "space")

    def __init__(self, file, space: AddressSpace):
        self.file = file
        self.space = space

    def __getattr__(self, name):
        return getattr(self.file, name)

    def get(self) -> "FileMapping":
        self.file.get()
        self.space.map_file(self.file)
        return self

    def put(self) -> None:
        try:
            self.space.unmap()
        finally:
            self.file.put()

    def find_or_create_page(self, offset: int) -> int:
        return self.space.find_or_create_page(self.file, offset // PAGE_SIZE)

    def page_mkwrite(self, offset: int) -> None:
        """A write fault made the page writable: it must be written back."""
        self.space.dirty.add(offset // PAGE_SIZE)

    def fsync_range(self, start: int, end: int) -> None:
        """vfs_fsync_range for msync(MS_SYNC): bytes [start, end] reach the file."""
        self.space.writeback(start // PAGE_SIZE, end // PAGE_SIZE)


SIGXFSZ = 25


def generic_write_check_limits(task, file, pos, count: int) -> int:
    """RLIMIT_FSIZE for a write of count bytes at pos into a regular file: the count
    that may be written (cut at the limit), or EFBIG with SIGXFSZ at or past it. pos
    None: at the file position, the end for O_APPEND (O_APPEND writes always go there)."""
    if not count or not getattr(file, "is_regular", False):
        return count
    if task.rlimits:
        count = _rlimit_fsize_check(task, file, pos, count)
    if not file.flags & 0o100000:                 # no O_LARGEFILE: a 32-bit open's file
        if pos is None or file.flags & 0o2000:
            pos = file.size() if file.flags & 0o2000 else file.pos
        if pos >= MAX_NON_LFS:
            from glasskernel.uapi.errno import Errno, KernelError
            raise KernelError(Errno.EFBIG)
        count = min(count, MAX_NON_LFS - pos)
    return count


MAX_NON_LFS = 0x7FFFFFFF


def _rlimit_fsize_check(task, file, pos, count: int) -> int:
    """RLIMIT_FSIZE's part of generic_write_check_limits."""
    from glasskernel.uapi.resource import RLIM_INFINITY, RLIMIT_FSIZE
    limit = task.rlimits.get(RLIMIT_FSIZE, (RLIM_INFINITY,))[0]
    if limit == RLIM_INFINITY:
        return count
    if pos is None or file.flags & 0o2000:        # O_APPEND
        pos = file.size() if file.flags & 0o2000 else file.pos
    if pos >= limit:
        from glasskernel.kernel.signal import send_signal
        send_signal(task, SIGXFSZ)
        from glasskernel.uapi.errno import Errno, KernelError
        raise KernelError(Errno.EFBIG)
    return min(count, limit - pos)
