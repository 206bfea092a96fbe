"""eventfd (fs/eventfd.c): a 64-bit counter behind an anonymous file.

write(2) adds an 8-byte value to the counter, read(2) takes it (the whole count, or 1
with EFD_SEMAPHORE) and leaves 0 (or count - 1). A read of a zero counter sleeps until a
write; a write that would push the counter past 0xfffffffffffffffe sleeps until a read.
The file is readable (POLLIN) while the counter is not 0 and writable (POLLOUT) while
one more 1 fits; /proc/PID/fdinfo shows the counter ("eventfd-count") and the id.
"""
import struct

from glasskernel.fs.eventpoll import AnonInodeDentry
from glasskernel.fs.file_table import File
from glasskernel.fs.select import poll_wait
from glasskernel.kernel.sched.wait import WaitQueue, wait_event
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_CLOEXEC, O_NONBLOCK, O_RDWR
from glasskernel.uapi.poll import POLLERR, POLLHUP, POLLIN, POLLOUT

EFD_SEMAPHORE = 1
EFD_CLOEXEC = int(O_CLOEXEC)
EFD_NONBLOCK = int(O_NONBLOCK)
EFD_SHARED_FCNTL_FLAGS = EFD_CLOEXEC | EFD_NONBLOCK
EFD_FLAGS_SET = EFD_SHARED_FCNTL_FLAGS | EFD_SEMAPHORE
ULLONG_MAX = (1 << 64) - 1
_U64 = struct.Struct("<Q")


class Ida:
    """A small-integer allocator (lib/idr.c's ida): the lowest free id from 0."""

    __slots__ = ("used",)

    def __init__(self):
        self.used = set()

    def get(self) -> int:
        n = 0
        while n in self.used:
            n += 1
        self.used.add(n)
        return n

    def remove(self, n: int) -> None:
        self.used.discard(n)


def eventfd_ida(kernel) -> Ida:
    """The system's eventfd ids (eventfd_ida), made on first use."""
    ida = kernel.eventfd_ida
    if ida is None:
        ida = kernel.eventfd_ida = Ida()
    return ida


class EventfdFile(File):
    """The eventfd_ctx and its file: the counter, the semaphore flag, one wait queue."""

    seekable = False

    def __init__(self, kernel, count: int, flags: int):
        super().__init__(AnonInodeDentry("[eventfd]"), O_RDWR | (flags & EFD_NONBLOCK))
        self.kernel = kernel
        self.count = count
        self.efd_flags = flags
        self.wqh = WaitQueue("eventfd")
        self.id = eventfd_ida(kernel).get()

    def _wake(self, key: int) -> None:
        if self.wqh:                                    # waitqueue_active
            self.wqh.wake_up(self.kernel, key)

    def read(self, count: int) -> bytes:
        """eventfd_read: EINVAL under 8 bytes; a zero counter is EAGAIN or a sleep."""
        if count < 8:
            raise KernelError(Errno.EINVAL)
        if not self.count:
            if self.flags & EFD_NONBLOCK:
                raise KernelError(Errno.EAGAIN)
            wait_event(self.kernel.current, self.wqh, lambda: self.count != 0)
        ucnt = 1 if self.efd_flags & EFD_SEMAPHORE else self.count      # eventfd_ctx_do_read
        self.count -= ucnt
        self._wake(POLLOUT)
        return _U64.pack(ucnt)

    def write(self, data: bytes) -> int:
        """eventfd_write: 8 bytes at least; ULLONG_MAX itself is EINVAL; a value that
        does not fit under ULLONG_MAX is EAGAIN or a sleep until a read makes room."""
        if len(data) < 8:
            raise KernelError(Errno.EINVAL)
        ucnt = _U64.unpack_from(data)[0]
        if ucnt == ULLONG_MAX:
            raise KernelError(Errno.EINVAL)
        if not ULLONG_MAX - self.count > ucnt:
            if self.flags & EFD_NONBLOCK:
                raise KernelError(Errno.EAGAIN)
            wait_event(self.kernel.current, self.wqh, lambda: ULLONG_MAX - self.count > ucnt)
        self.count += ucnt
        self._wake(POLLIN)
        return 8

    def poll(self, pt) -> int:
        """eventfd_poll: IN while the count is not 0, OUT while a 1 still fits, ERR at
        ULLONG_MAX (reachable only through the kernel's eventfd_signal)."""
        poll_wait(self, self.wqh, pt)
        count, events = self.count, 0
        if count > 0:
            events |= POLLIN
        if count == ULLONG_MAX:
            events |= POLLERR
        if ULLONG_MAX - 1 > count:
            events |= POLLOUT
        return events

    def lseek(self, offset: int, whence: int) -> int:
        """noop_llseek: the position stays where it is."""
        return self.pos

    def show_fdinfo(self) -> str:
        return f"eventfd-count: {self.count:16x}\neventfd-id: {self.id}\n"

    def release(self) -> None:
        """eventfd_release: pollers see the hang-up; the id is free again."""
        self.wqh.wake_up(self.kernel, POLLHUP)
        eventfd_ida(self.kernel).remove(self.id)


def do_eventfd(task, count: int, flags: int) -> int:
    """EINVAL for unknown flags; the counter starts at count (an unsigned int)."""
    flags = flags & 0xFFFFFFFF
    if flags & ~EFD_FLAGS_SET:
        raise KernelError(Errno.EINVAL)
    file = EventfdFile(task.kernel, count & 0xFFFFFFFF, flags)
    return task.files.install_new(file, bool(flags & EFD_CLOEXEC), task=task)


def sys_eventfd2(task, count, flags) -> int:
    return do_eventfd(task, count, flags)


def sys_eventfd(task, count) -> int:
    return do_eventfd(task, count, 0)
