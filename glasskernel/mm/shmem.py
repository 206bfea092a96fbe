"""Shared anonymous memory (mm/shmem.c): what MAP_SHARED|MAP_ANONYMOUS maps.

Private anonymous pages belong to one address space and are copied on write after fork.
Shared anonymous pages must stay the same frames for every process that maps them, even
pages first touched after the fork, so the mapping is backed by an object that owns its
frames by page offset, the way tmpfs backs it with an unlinked file.
"""
from glasskernel.mm.page_alloc import PAGE_SIZE


class ShmemFile:
    """An unnamed tmpfs file: its pages by offset; freed when the last mapping goes."""

    path = "/dev/zero (deleted)"          # what /proc/<pid>/maps shows for shared anon
    flags = 2                             # O_RDWR
    readable = writable = can_mmap = True
    anonymous_shared = True               # no name (i_nlink 0): coredump_filter's bit 1

    def __init__(self, phys):
        self.phys = phys
        self.pages: dict = {}
        self._refs = 1

    def get(self) -> "ShmemFile":
        self._refs += 1
        return self

    def put(self) -> None:
        self._refs -= 1
        if self._refs == 0:
            for frame in self.pages.values():
                self.phys.put_page(frame)
            self.pages.clear()

    def find_or_create_page(self, offset: int) -> int:
        """The frame for this page of the object, a fresh zero page the first time."""
        index = offset // PAGE_SIZE
        frame = self.pages.get(index)
        if frame is None:
            frame = self.phys.alloc_page()
            self.pages[index] = frame
        return frame

    def pread(self, count: int, offset: int) -> bytes:
        return bytes(count)
