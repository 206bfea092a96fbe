"""The memory character devices (drivers/char/mem.c, and drivers/char/random.c).

/dev/null reads as end of file and swallows writes; /dev/zero reads as zeros; /dev/full
reads as zeros and fails writes with ENOSPC; /dev/random and /dev/urandom read the host's
random source. Seeking any of them leaves the offset at 0, as their llseek ops do.
"""
import os

from glasskernel.fs.file_table import File
from glasskernel.uapi.errno import Errno, KernelError

# Large reads are served in one piece up to this size; callers loop for more (short read).
MAX_CHUNK = 1 << 24


class MemDevFile(File):
    """Common behaviour: no real offset."""

    def lseek(self, offset: int, whence: int) -> int:
        self.pos = 0
        return 0

    def size(self) -> int:
        return 0


class NullFile(MemDevFile):
    """/dev/null (read_null, write_null)."""

    def read_at(self, count: int, pos: int) -> bytes:
        return b""

    def write_at(self, data: bytes, pos: int) -> int:
        return len(data)


class ZeroFile(MemDevFile):
    """/dev/zero (read_iter_zero); writes are discarded like /dev/null's. It can be
    mapped: privately as zeros, shared as shared anonymous memory (mmap_zero)."""

    can_mmap = True

    def read_at(self, count: int, pos: int) -> bytes:
        return bytes(min(count, MAX_CHUNK))

    def write_at(self, data: bytes, pos: int) -> int:
        return len(data)


class FullFile(ZeroFile):
    """/dev/full (write_full): every write fails with ENOSPC."""

    can_mmap = False

    def write_at(self, data: bytes, pos: int) -> int:
        raise KernelError(Errno.ENOSPC)


class RandomFile(MemDevFile):
    """/dev/random and /dev/urandom: bytes from the host's CSPRNG (the seeded generator in a
    deterministic run); writes are accepted."""

    kernel = None

    def read_at(self, count: int, pos: int) -> bytes:
        count = min(count, MAX_CHUNK)
        if self.kernel is None:
            return os.urandom(count)
        from glasskernel.drivers.char.random import get_random_bytes
        return get_random_bytes(self.kernel, count)

    def write_at(self, data: bytes, pos: int) -> int:
        return len(data)


# minor number -> driver, as in mem.c's devlist (random.c provides 8 and 9)
MEM_DEVICES = {
    3: ("null", NullFile),
    5: ("zero", ZeroFile),
    7: ("full", FullFile),
    8: ("random", RandomFile),
    9: ("urandom", RandomFile),
}
MEM_MAJOR = 1


def memory_open(minor: int):
    """memory_open: the opener for the device with this minor number."""
    cls = MEM_DEVICES[minor][1]

    def open_device(dentry, flags, task=None):
        file = cls(dentry, flags)
        file.kernel = task.kernel if task is not None else None
        return file
    return open_device
