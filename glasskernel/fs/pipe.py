"""Pipes (fs/pipe.c): a ring of page-sized buffers between a read end and a write end.

As in Linux, the pipe is 16 slots of one page each by default (64 KiB, F_SETPIPE_SZ
changes the count), not a byte ring: a write smaller than a page is merged into the last
slot when it fits there, otherwise it takes a fresh slot. That is what makes writes of up
to PIPE_BUF bytes atomic, and why a pipe filled with 1000-byte writes holds 64000 bytes.

A reader finding the pipe empty sleeps on the pipe's wait queue until a writer adds data
or the last writer goes (end of file); a writer finding every slot used sleeps until a
reader frees one. Writing with no reader left raises SIGPIPE and fails with EPIPE.

Pipe memory is the guest's: each slot in use is a page charged against the guest's RAM
(``PhysicalMemory.charge_kernel``; a write that cannot get one fails with ENOMEM), and
an emptied pipe keeps one page charged, as Linux keeps one page (tmp_page) for the next
write, so a ping-pong charges nothing after its first write. Each user's pipes count
their slots against
fs.pipe-user-pages-soft/hard (``account_pipe_buffers``): past the soft limit an
unprivileged user's new pipes get PIPE_MIN_DEF_BUFFERS slots, past the hard limit pipe()
fails with ENFILE, and F_SETPIPE_SZ may not grow a pipe past either (EPERM).
"""
import os
import time

from glasskernel.fs import inode_numbers
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
PIPE_DEF_BUFFERS = 16
PIPE_MIN_DEF_BUFFERS = 2
PIPE_DEF_SIZE = PIPE_DEF_BUFFERS * PAGE_SIZE
PIPE_MAX_SIZE = 1 << 20                  # /proc/sys/fs/pipe-max-size
INR_OPEN_CUR = 1024
# Kernel memory of one pipe besides its slots (pipe_inode_info, its inode, dentry and two
# files): what the Python objects of a pipe and its two descriptors measure (~1.8 KB).
PIPE_INODE_BYTES = 2048
SIGPIPE = 13
PIPEFS_DEV = 0xD                         # st_dev of pipefs as a small anonymous device
_S_IFIFO = 0o010000
_O_NONBLOCK = int(O_NONBLOCK)           # a plain int: IntFlag arithmetic costs on every read


class PipeSysctl:
    """fs.pipe-max-size, fs.pipe-user-pages-soft and -hard (0: no limit)."""

    __slots__ = ("pipe_max_size", "pipe_user_pages_soft", "pipe_user_pages_hard")

    def __init__(self):
        self.pipe_max_size = PIPE_MAX_SIZE
        self.pipe_user_pages_soft = PIPE_DEF_BUFFERS * INR_OPEN_CUR
        self.pipe_user_pages_hard = 0


pipe_sysctl = PipeSysctl()


def account_pipe_buffers(kernel, user: int, old: int, new: int) -> int:
    """The user's pipe slots after trading old for new (user_struct->pipe_bufs)."""
    counts = kernel.pipe_user_bufs
    total = counts.get(user, 0) + new - old
    counts[user] = total
    return total


def too_many_pipe_buffers_soft(user_bufs: int) -> bool:
    soft = pipe_sysctl.pipe_user_pages_soft
    return bool(soft) and user_bufs > soft


def too_many_pipe_buffers_hard(user_bufs: int) -> bool:
    hard = pipe_sysctl.pipe_user_pages_hard
    return bool(hard) and user_bufs > hard


def capable_sys_resource(task) -> bool:
    from glasskernel.kernel.capability import capable
    from glasskernel.uapi.capability import CAP_SYS_RESOURCE
    return task is None or capable(task, CAP_SYS_RESOURCE)


def pipe_is_unprivileged_user(task) -> bool:
    """Neither CAP_SYS_RESOURCE nor CAP_SYS_ADMIN."""
    from glasskernel.kernel.capability import capable
    from glasskernel.uapi.capability import CAP_SYS_ADMIN, CAP_SYS_RESOURCE
    return task is not None and not capable(task, CAP_SYS_RESOURCE) and not capable(task, CAP_SYS_ADMIN)


def _current(kernel):
    current = kernel.current
    return current if current is not None and current.cred is not None else None


inode_numbers.register("pipefs", 100000)


class PipeInodeInfo:
    """struct pipe_inode_info: the buffer, the two ends' counts and the wait queues."""

    fasync_readers = ()              # (file, fd) of read ends with O_ASYNC (fasync_readers)

    def __init__(self, kernel):
        self.kernel = kernel
        self.phys = kernel.phys
        self.bufs = []                   # pipe_buffer slots: [bytes left, end offset in page]
        self.nbytes = 0
        self.charged = 0                 # slot pages charged to the guest's RAM
        self.alloc_pipe_info()
        self.readers = 0
        self.writers = 0
        self.r_counter = 0               # opens ever made for reading / writing: a waiting
        self.w_counter = 0               # FIFO opener sees a partner came (and maybe went)
        self.rd_wait = WaitQueue("pipe_read")
        self.wr_wait = WaitQueue("pipe_write")
        self.ino = inode_numbers.next_ino("pipefs")
        self.ctime = divmod(time.time_ns(), 10**9)

    def unused(self) -> bool:
        return not self.readers and not self.writers

    def alloc_pipe_info(self) -> None:
        """The slot count of a new pipe, within pipe-max-size and the user's limits;
        ENFILE past the hard limit (the caller's pipe() fails with it)."""
        task = _current(self.kernel)
        self.user = task.cred.uid if task is not None else 0
        unprivileged = pipe_is_unprivileged_user(task)
        slots = PIPE_DEF_BUFFERS
        if slots * PAGE_SIZE > pipe_sysctl.pipe_max_size and unprivileged:
            slots = pipe_sysctl.pipe_max_size // PAGE_SIZE
        user_bufs = account_pipe_buffers(self.kernel, self.user, 0, slots)
        if too_many_pipe_buffers_soft(user_bufs) and unprivileged:
            user_bufs = account_pipe_buffers(self.kernel, self.user, slots, PIPE_MIN_DEF_BUFFERS)
            slots = PIPE_MIN_DEF_BUFFERS
        if too_many_pipe_buffers_hard(user_bufs) and unprivileged or \
                self.phys is not None and not self.phys.charge_kernel(PIPE_INODE_BYTES):
            account_pipe_buffers(self.kernel, self.user, slots, 0)
            raise KernelError(Errno.ENFILE)
        self.nr_accounted = slots
        self.size = slots * PAGE_SIZE

    def free_pipe_info(self) -> None:
        """Both ends are gone: the slots' pages and the user's count go back."""
        if self.phys is not None and self.nr_accounted:
            self.phys.uncharge_kernel(self.charged * PAGE_SIZE + PIPE_INODE_BYTES)
        self.charged = 0
        self.bufs = []
        self.nbytes = 0
        account_pipe_buffers(self.kernel, self.user, self.nr_accounted, 0)
        self.nr_accounted = 0

    def charge_slot(self) -> None:
        """A slot beyond the pages charged takes a page of the guest's RAM (alloc_page
        in pipe_write); ENOMEM when there is none."""
        phys = self.phys
        if phys is not None and not phys.charge_kernel(PAGE_SIZE):
            raise KernelError(Errno.ENOMEM)
        self.charged += 1

    def emptied(self) -> None:
        """The last slot was read: keep one page charged (tmp_page), give back the rest."""
        extra = self.charged - 1
        if extra > 0:
            self.charged = 1
            if self.phys is not None:
                self.phys.uncharge_kernel(extra * PAGE_SIZE)

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
            if len(bufs) >= self.charged:
                self.charge_slot()
            bufs.append([bytearray(data), n])
        else:
            return False
        self.nbytes += n
        return True

    def append(self, data: bytes, packet: bool = False) -> None:
        """Merge into the last slot's page, or fill a new slot (at most one page; the
        caller made sure a slot is free). A packet (an O_DIRECT writer's) gets a slot of
        its own that nothing merges into: its end is the page's end, and a third field
        marks it for pipe_read."""
        if packet:
            if len(self.bufs) >= self.charged:
                self.charge_slot()
            self.bufs.append([bytearray(data), PAGE_SIZE, True])
            self.nbytes += len(data)
            return
        if len(data) >= PAGE_SIZE or not self.add_small(data):
            if len(self.bufs) >= self.charged:
                self.charge_slot()
            self.bufs.append([bytearray(data), len(data)])
            self.nbytes += len(data)

    def give_back(self, data: bytes) -> None:
        """Put bytes just taken back at the front (a read that could not copy them out
        leaves them in the pipe, as pipe_read does)."""
        chunks = [data[i:i + PAGE_SIZE] for i in range(0, len(data), PAGE_SIZE)]
        self.bufs[:0] = [[bytearray(chunk), len(chunk)] for chunk in chunks]
        extra = len(self.bufs) - self.charged
        if extra > 0:                   # the pages the read just gave back: no new memory
            self.charged += extra
            if self.phys is not None:
                self.phys.kernel_bytes += extra * PAGE_SIZE
                self.phys.kernel_pages += extra
        self.nbytes += len(data)

    def take(self, count: int) -> bytes:
        """Copy out up to count bytes across slots, freeing the slots emptied."""
        bufs = self.bufs
        if len(bufs) == 1 and count >= len(bufs[0][0]):    # all there is, in one slot
            data = bufs.pop()[0]
            self.nbytes -= len(data)
            if self.charged > 1:
                self.emptied()
            return bytes(data)
        out = bytearray()
        dropped = 0
        while bufs and len(out) < count:
            data = bufs[0][0]
            n = min(count - len(out), len(data))
            out += data[:n]
            del data[:n]
            if len(bufs[0]) == 3:               # a packet: one per read, its rest is lost
                dropped = len(data)
                bufs.pop(0)
                break
            if not data:
                bufs.pop(0)
        self.nbytes -= len(out) + dropped
        if not bufs and self.charged > 1:
            self.emptied()
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

    def fasync(self, fd: int, on: bool) -> None:
        """pipe_fasync: O_ASYNC on the read end: a write signals its owner (SIGIO)."""
        if not self.readable:
            return
        pipe = self.pipe
        entries = [e for e in pipe.fasync_readers if e[0] is not self]
        pipe.fasync_readers = entries + [(self, fd)] if on else entries

    @traced(name="pipe_write", args=lambda self, data: {"pipe": self.pipe.ino, "count": len(data)})
    def write(self, data: bytes) -> int:
        """pipe_write: atomic up to PIPE_BUF, otherwise as much as fits, repeatedly.
        (The caller checked FMODE_WRITE, as vfs_write does.)"""
        pipe = self.pipe
        if not pipe.readers:
            from glasskernel.kernel.signal import send_signal
            send_signal(pipe.kernel.current, SIGPIPE)
            raise KernelError(Errno.EPIPE)
        if not data:
            return 0
        total = len(data)
        packet = bool(self.flags & O_DIRECT)     # is_packetized: one slot per page written
        if total < PAGE_SIZE and not packet and pipe.add_small(data):   # most writes
            pipe_wake_readers(pipe)
            return total
        task = pipe.kernel.current
        if pipe.kernel.in_fast_syscall and not self.flags & _O_NONBLOCK \
                and len(pipe.bufs) + (-(-total // PAGE_SIZE) if packet else
                                      pipe.slots_needed(total)) > pipe.max_usage:
            # It will have to sleep part-way: go to the slow path before copying any of it,
            # or the rerun there would write the first part a second time.
            raise SlowPathRequired()
        written = 0
        chars = total & (PAGE_SIZE - 1)
        if not packet and pipe.merge_room(chars):
            pipe.append(data[:chars])
            written = chars
            pipe_wake_readers(pipe)
        while written < total:
            if not pipe.readers:
                from glasskernel.kernel.signal import send_signal
                send_signal(task, SIGPIPE)
                if written:
                    return written
                raise KernelError(Errno.EPIPE)
            if not pipe.full():
                try:
                    pipe.append(data[written:written + PAGE_SIZE], packet)
                except KernelError:
                    if written:
                        return written         # no page for more: what was written
                    raise
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
        if pipe.fasync_readers:
            self.fasync(-1, False)              # __fput: off the O_ASYNC list
        if self.flags & O_WRONLY:
            pipe.writers -= 1
        else:
            pipe.readers -= 1
        pipe.rd_wait.wake_up(pipe.kernel)
        pipe.wr_wait.wake_up(pipe.kernel)
        if not pipe.readers and not pipe.writers:
            pipe.free_pipe_info()

    def unread(self, data: bytes) -> None:
        """The read's copy to the user faulted: the bytes stay in the pipe."""
        self.pipe.give_back(data)

    compat_ioctl = False                      # pipefifo_fops has none: FIONREAD only

    def ioctl(self, cmd: int, arg: int, task) -> int:
        if cmd == 0x541B:                     # FIONREAD
            put_user_i32(task, arg, self.pipe.nbytes)
            return 0
        raise KernelError(Errno.ENOTTY)


def pipe_wake_readers(pipe) -> None:
    """Wake readers sleeping on the pipe; a trace draws an arrow to the woken reader."""
    if pipe.fasync_readers:
        from glasskernel.fs.fcntl_owner import POLL_IN, kill_fasync
        kill_fasync(pipe.kernel, pipe.fasync_readers, POLL_IN)
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
    writer = PipeFile(pipe, O_WRONLY | status | (flags & O_DIRECT))   # packets: the writer's
    pipe.readers = pipe.writers = 1
    pipe.r_counter = pipe.w_counter = 1
    return reader, writer


def do_pipe2(task, fildes: int, flags: int) -> int:
    flags &= 0xFFFFFFFF
    if flags & ~int(O_CLOEXEC | O_NONBLOCK | O_DIRECT):
        raise KernelError(Errno.EINVAL)
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


def round_pipe_size(size: int) -> int:
    """A power of two of at least a page; 0 past 2 GiB."""
    if size > 1 << 31:
        return 0
    return PAGE_SIZE if size < PAGE_SIZE else 1 << (size - 1).bit_length()


def pipe_fcntl(file, cmd: int, arg: int) -> int:
    """F_GETPIPE_SZ / F_SETPIPE_SZ (pipe_set_size): growing past pipe-max-size or the
    user's limits is EPERM unless privileged; no fewer slots than are in use (EBUSY)."""
    if not isinstance(file, PipeFile):
        raise KernelError(Errno.EBADF)
    pipe = file.pipe
    if cmd == 1032:                            # F_GETPIPE_SZ (1031 is F_SETPIPE_SZ)
        return pipe.size
    size = round_pipe_size(arg)               # an unsigned long argument
    slots = size // PAGE_SIZE
    if not slots:
        raise KernelError(Errno.EINVAL)
    task = _current(pipe.kernel)
    unprivileged = pipe_is_unprivileged_user(task)
    growing = slots > pipe.max_usage
    if growing and size > pipe_sysctl.pipe_max_size and not capable_sys_resource(task):
        raise KernelError(Errno.EPERM)          # only CAP_SYS_RESOURCE passes pipe-max-size
    user_bufs = account_pipe_buffers(pipe.kernel, pipe.user, pipe.nr_accounted, slots)
    if growing and unprivileged and (too_many_pipe_buffers_hard(user_bufs)
                                     or too_many_pipe_buffers_soft(user_bufs)):
        account_pipe_buffers(pipe.kernel, pipe.user, slots, pipe.nr_accounted)
        raise KernelError(Errno.EPERM)
    if slots < len(pipe.bufs):
        account_pipe_buffers(pipe.kernel, pipe.user, slots, pipe.nr_accounted)
        raise KernelError(Errno.EBUSY)
    pipe.nr_accounted = slots
    pipe.size = size
    extra = pipe.charged - max(slots, 1)
    if extra > 0:                              # pages charged beyond the new ring
        pipe.charged -= extra
        if pipe.phys is not None:
            pipe.phys.uncharge_kernel(extra * PAGE_SIZE)
    pipe.wr_wait.wake_up(pipe.kernel)
    return size
