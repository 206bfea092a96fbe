"""Pipes (fs/pipe.c): a ring of page-sized buffers between a read end and a write end.

As in Linux, the pipe is 16 slots of one page each by default (64 KiB, F_SETPIPE_SZ
changes the count), not a byte ring: a write smaller than a page is merged into the last
slot when it fits there, otherwise it takes a fresh slot. That is what makes writes of up
to PIPE_BUF bytes atomic, and why a pipe filled with 1000-byte writes holds 64000 bytes.

A reader finding the pipe empty sleeps on the pipe's wait queue until a writer adds data
or the last writer goes (end of file); a writer finding every slot used sleeps until a
reader frees one. Writing with no reader left raises SIGPIPE and fails with EPIPE.
"""
import itertools
import os
import time

from glasskernel.fs.dcache import Dentry
from glasskernel.fs.file_table import File
from glasskernel.fs.kstat import StatResult
from glasskernel.fs.select import poll_wait
from glasskernel.kernel.sched.wait import SlowPathRequired, WaitQueue, wait_event
from glasskernel.kernel.trace import tracepoint
from glasskernel.kernel.trace.tracepoint import trace_event, traced
from glasskernel.mm.uaccess import put_user_i32
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_CLOEXEC, O_DIRECT, O_NONBLOCK, O_RDONLY, O_WRONLY
from glasskernel.uapi.poll import POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM

PIPE_BUF = 4096
PAGE_SIZE = 4096
PIPE_DEF_SIZE = 65536
PIPE_MAX_SIZE = 1 << 20                  # /proc/sys/fs/pipe-max-size
SIGPIPE = 13
PIPEFS_DEV = 0xD                         # st_dev of pipefs as a small anonymous device
_S_IFIFO = 0o010000
_O_NONBLOCK = int(O_NONBLOCK)           # a plain int: IntFlag arithmetic costs on every read


class PipeInodeInfo:
    """struct pipe_inode_info: the buffer, the two ends' counts and the wait queues."""

    _inos = itertools.count(100000)

    def __init__(self, kernel):
        self.kernel = kernel
        self.bufs = []                   # pipe_buffer slots: [bytes left, end offset in page]
        self.nbytes = 0
        self.size = PIPE_DEF_SIZE
        self.readers = 0
        self.writers = 0
        self.r_counter = 0               # opens ever made for reading / writing: a waiting
        self.w_counter = 0               # FIFO opener sees a partner came (and maybe went)
        self.rd_wait = WaitQueue("pipe_read")
        self.wr_wait = WaitQueue("pipe_write")
        self.ino = next(self._inos)
        self.ctime = divmod(time.time_ns(), 10**9)

    def unused(self) -> bool:
        return not self.readers and not self.writers

    @property
    def max_usage(self) -> int:
        return self.size // PAGE_SIZE

    def full(self) -> bool:
        return len(self.bufs) >= self.max_usage

    def merge_room(self, chars: int) -> bool:
        """Can chars bytes go into the last slot's page (pipe_write's merge)?"""
        return bool(chars) and bool(self.bufs) and self.bufs[-1][1] + chars <= PAGE_SIZE

    def slots_needed(self, total: int) -> int:
        chars = total & (PAGE_SIZE - 1)
        rest = total - chars if self.merge_room(chars) else total
        return -(-rest // PAGE_SIZE)

    def add_small(self, data) -> bool:
        """Add a write smaller than a page: merged into the last slot's page when it fits
        there, else into a free slot. False, with nothing added, when the pipe is full.
        (merge_room and full spelled out: every small write comes here, and the two calls
        were ~2% of a pipe round trip's instructions.)"""
        bufs = self.bufs
        n = len(data)
        if bufs and bufs[-1][1] + n <= PAGE_SIZE:
            slot = bufs[-1]
            slot[0] += data
            slot[1] += n
        elif len(bufs) < self.size // PAGE_SIZE:
            bufs.append([bytearray(data), n])
        else:
            return False
        self.nbytes += n
        return True

    def append(self, data: bytes) -> None:
        """Merge into the last slot's page, or fill a new slot (at most one page; the
        caller made sure a slot is free)."""
        if len(data) >= PAGE_SIZE or not self.add_small(data):
            self.bufs.append([bytearray(data), len(data)])
            self.nbytes += len(data)

    def give_back(self, data: bytes) -> None:
        """Put bytes just taken back at the front (a read that could not copy them out
        leaves them in the pipe, as pipe_read does)."""
        chunks = [data[i:i + PAGE_SIZE] for i in range(0, len(data), PAGE_SIZE)]
        self.bufs[:0] = [[bytearray(chunk), len(chunk)] for chunk in chunks]
        self.nbytes += len(data)

    def take(self, count: int) -> bytes:
        """Copy out up to count bytes across slots, freeing the slots emptied."""
        bufs = self.bufs
        if len(bufs) == 1 and count >= len(bufs[0][0]):    # all there is, in one slot
            data = bufs.pop()[0]
            self.nbytes -= len(data)
            return bytes(data)
        out = bytearray()
        while bufs and len(out) < count:
            data = bufs[0][0]
            n = min(count - len(out), len(data))
            out += data[:n]
            del data[:n]
            if not data:
                bufs.pop(0)
        self.nbytes -= len(out)
        return bytes(out)


class PipeDentry(Dentry):
    """The pipefs inode's name: what /proc/<pid>/fd/N shows ("pipe:[ino]")."""

    def __init__(self, pipe: PipeInodeInfo):
        super().__init__(f"pipe:[{pipe.ino}]", None, f"pipe:[{pipe.ino}]")
        self.pipe = pipe

    def open(self, task, flags: int):
        """Opened again through /proc/<pid>/fd/N (/dev/fd/N): a new file on the same pipe
        with the access mode asked for, as fifo_open gives (bash's process substitution)."""
        from glasskernel.fs.fifo import fifo_open_pipe
        return fifo_open_pipe(task, self, self.pipe, flags)

    def stat(self):
        t = self.pipe.ctime
        return StatResult(PIPEFS_DEV, self.pipe.ino, _S_IFIFO | 0o600, 1, os.getuid(), os.getgid(),
                          0, 0, 4096, 0, t, t, t)


class PipeFile(File):
    """One end of a pipe (an O_RDONLY or O_WRONLY open file description)."""

    seekable = False

    def __init__(self, pipe: PipeInodeInfo, flags: int):
        super().__init__(PipeDentry(pipe), flags)
        self.pipe = pipe

    @traced(name="pipe_read", args=lambda self, count: {"pipe": self.pipe.ino, "count": count},
            ret=lambda data: {"ret": len(data)} if data is not None else {"wait": "park"})
    def read(self, count: int) -> bytes | None:
        """pipe_read: what is there now, or sleep until something (or EOF) arrives.
        (The caller checked FMODE_READ, as vfs_read does.) In the syscall hook, a read
        that must wait returns None instead, with the queue in kernel.park_wq: its
        syscall returns ERESTART_PARK (park.py)."""
        pipe = self.pipe
        if count == 0:
            return b""
        if not pipe.bufs and pipe.writers:
            if self.flags & _O_NONBLOCK:
                raise KernelError(Errno.EAGAIN)
            kernel = pipe.kernel
            if kernel.in_fast_syscall:
                # In the syscall hook. Nothing has changed yet, and this read, run again,
                # finds the data or the end of file by itself: the task may park on the
                # queue (park.py) rather than rerun on the slow path.
                kernel.park_wq = pipe.rd_wait
                return None
            task = kernel.current
            wait_event(task, pipe.rd_wait, lambda: bool(pipe.bufs) or not pipe.writers)
            pipe_woken(pipe, task)
        data = pipe.take(count)
        wq = pipe.wr_wait
        if data and (wq.waiters or wq.entries):     # waitqueue_active
            wq.wake_up(pipe.kernel)
        return data

    @traced(name="pipe_write", args=lambda self, data: {"pipe": self.pipe.ino, "count": len(data)})
    def write(self, data: bytes) -> int:
        """pipe_write: atomic up to PIPE_BUF, otherwise as much as fits, repeatedly.
        (The caller checked FMODE_WRITE, as vfs_write does.)"""
        pipe = self.pipe
        if not pipe.readers:
            pipe.kernel.send_signal(pipe.kernel.current, SIGPIPE)
            raise KernelError(Errno.EPIPE)
        if not data:
            return 0
        total = len(data)
        if total < PAGE_SIZE and pipe.add_small(data):       # it fits at once: most writes
            pipe_wake_readers(pipe)
            return total
        task = pipe.kernel.current
        if pipe.kernel.in_fast_syscall and not self.flags & _O_NONBLOCK \
                and len(pipe.bufs) + pipe.slots_needed(total) > pipe.max_usage:
            # It will have to sleep part-way: go to the slow path before copying any of it,
            # or the rerun there would write the first part a second time.
            raise SlowPathRequired()
        written = 0
        chars = total & (PAGE_SIZE - 1)
        if pipe.merge_room(chars):
            pipe.append(data[:chars])
            written = chars
            pipe_wake_readers(pipe)
        while written < total:
            if not pipe.readers:
                pipe.kernel.send_signal(task, SIGPIPE)
                if written:
                    return written
                raise KernelError(Errno.EPIPE)
            if not pipe.full():
                pipe.append(data[written:written + PAGE_SIZE])
                written = min(total, written + PAGE_SIZE)
                pipe_wake_readers(pipe)
                continue
            if self.flags & _O_NONBLOCK:
                if written:
                    return written
                raise KernelError(Errno.EAGAIN)
            try:
                wait_event(task, pipe.wr_wait, lambda: not pipe.full() or not pipe.readers)
            except KernelError:
                if written:
                    return written             # a signal after some progress: a short write
                raise
        return written

    def stat(self):
        return self.dentry.stat()

    def poll(self, pt) -> int:
        """pipe_poll: register on the queues of the ends this file holds, then look.

        The read end is readable when data is there and hangs up (POLLHUP) when no
        writer is left; the write end is writable when a slot is free (so a PIPE_BUF
        write would not block) and errors (POLLERR) when no reader is left.
        """
        pipe = self.pipe
        readable, writable = self.readable, self.writable
        if readable:
            poll_wait(self, pipe.rd_wait, pt)
        if writable:
            poll_wait(self, pipe.wr_wait, pt)
        mask = 0
        if readable:
            if pipe.bufs:
                mask |= POLLIN | POLLRDNORM
            if not pipe.writers:
                mask |= POLLHUP
        if writable:
            if not pipe.full():
                mask |= POLLOUT | POLLWRNORM
            if not pipe.readers:
                mask |= POLLERR
        return mask

    def size(self) -> int:
        return self.pipe.nbytes

    def release(self) -> None:
        """The last reference to this end went: maybe the other side now sees EOF/EPIPE."""
        pipe = self.pipe
        if self.flags & O_WRONLY:
            pipe.writers -= 1
        else:
            pipe.readers -= 1
        pipe.rd_wait.wake_up(pipe.kernel)
        pipe.wr_wait.wake_up(pipe.kernel)

    def unread(self, data: bytes) -> None:
        """The read's copy to the user faulted: the bytes stay in the pipe."""
        self.pipe.give_back(data)

    def ioctl(self, cmd: int, arg: int, task) -> int:
        if cmd == 0x541B:                     # FIONREAD
            put_user_i32(task, arg, self.pipe.nbytes)
            return 0
        raise KernelError(Errno.ENOTTY)


def pipe_wake_readers(pipe) -> None:
    """Wake readers sleeping on the pipe; a trace draws an arrow to the woken reader."""
    wq = pipe.rd_wait
    if wq.waiters:
        if tracepoint._active is not None:
            pipe.wake_flow = tracepoint._active.new_flow()
            trace_event("pipe_wake", flow=("s", pipe.wake_flow), pipe=pipe.ino,
                        pid=wq.waiters[0].pid)
    elif not wq.entries:
        return                                  # nobody to wake (waitqueue_active)
    wq.wake_up(pipe.kernel)


def pipe_woken(pipe, task) -> None:
    """The reader resumes after a writer's wake-up (the arrow's end)."""
    flow = getattr(pipe, "wake_flow", None)
    if flow is not None and tracepoint._active is not None:
        trace_event("pipe_woken", task=task, flow=("f", flow), pipe=pipe.ino)
        pipe.wake_flow = None


def create_pipe_files(kernel, flags: int):
    """Both ends of a new pipe."""
    pipe = PipeInodeInfo(kernel)
    status = flags & O_NONBLOCK
    reader = PipeFile(pipe, O_RDONLY | status)
    writer = PipeFile(pipe, O_WRONLY | status)
    pipe.readers = pipe.writers = 1
    pipe.r_counter = pipe.w_counter = 1
    return reader, writer


def do_pipe2(task, fildes: int, flags: int) -> int:
    flags &= 0xFFFFFFFF
    if flags & ~int(O_CLOEXEC | O_NONBLOCK | O_DIRECT):
        raise KernelError(Errno.EINVAL)
    if flags & O_DIRECT:
        raise KernelError(Errno.EINVAL)        # packet-mode pipes are not supported
    reader, writer = create_pipe_files(task.kernel, flags)
    cloexec = bool(flags & O_CLOEXEC)
    files = task.files
    rfd = files.install_new(reader, cloexec, task=task)
    try:
        wfd = files.install_new(writer, cloexec, task=task)
    except KernelError:
        files.close_fd(rfd)
        raise
    try:
        put_user_i32(task, fildes, rfd)
        put_user_i32(task, fildes + 4, wfd)
    except KernelError:
        files.close_fd(rfd)
        files.close_fd(wfd)
        raise
    return 0


def sys_pipe2(task, fildes, flags) -> int:
    return do_pipe2(task, fildes, flags)


def sys_pipe(task, fildes) -> int:
    return do_pipe2(task, fildes, 0)


def pipe_fcntl(file, cmd: int, arg: int) -> int:
    """F_GETPIPE_SZ / F_SETPIPE_SZ: a power of two of pages, no fewer slots than are in use."""
    if not isinstance(file, PipeFile):
        raise KernelError(Errno.EBADF)
    pipe = file.pipe
    if cmd == 1032:                            # F_GETPIPE_SZ (1031 is F_SETPIPE_SZ)
        return pipe.size
    size = max(arg & 0xFFFFFFFF, PAGE_SIZE)
    size = 1 << (size - 1).bit_length()
    if size > PIPE_MAX_SIZE:
        raise KernelError(Errno.EPERM)
    if size // PAGE_SIZE < len(pipe.bufs):
        raise KernelError(Errno.EBUSY)
    pipe.size = size
    pipe.wr_wait.wake_up(pipe.kernel)
    return size
