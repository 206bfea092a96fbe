"""Named pipes (fifo_open in fs/pipe.c): a FIFO inode's opens share one pipe.

The inode is a real FIFO node in the overlay (mknod makes one in the upper layer), but the
host's FIFO is never opened: every open of the same inode attaches to one
``PipeInodeInfo`` kept here (the role of ``inode->i_pipe``), which lives while any end is
open and is dropped, with any unread data, when the last one closes.

Opening blocks as Linux's does: a reader waits for a writer and a writer for a reader,
unless O_NONBLOCK (a reader then opens at once; a writer fails with ENXIO) or O_RDWR
(which is both at once and never waits).
"""
import weakref

from glasskernel.fs.file_table import File
from glasskernel.fs.pipe import PipeFile, PipeInodeInfo
from glasskernel.kernel.sched.wait import SlowPathRequired, wait_event
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY

# kernel -> {inode key -> PipeInodeInfo}
_fifo_pipes = weakref.WeakKeyDictionary()


class FifoPipe(PipeInodeInfo):
    """A FIFO's pipe, found again by its inode key."""

    def __init__(self, kernel, key):
        super().__init__(kernel)
        self.key = key


class FifoFile(PipeFile):
    """An open FIFO: a pipe end whose name is the FIFO's dentry. O_RDWR holds both ends."""

    def __init__(self, dentry, pipe: FifoPipe, flags: int):
        File.__init__(self, dentry, flags)
        self.pipe = pipe

    def release(self) -> None:
        pipe = self.pipe
        acc = self.flags & O_ACCMODE
        if acc in (O_RDONLY, O_RDWR):
            pipe.readers -= 1
        if acc in (O_WRONLY, O_RDWR):
            pipe.writers -= 1
        wake_both(pipe)
        if pipe.unused():
            put_fifo_pipe(pipe)


def wake_both(pipe) -> None:
    pipe.rd_wait.wake_up(pipe.kernel)
    pipe.wr_wait.wake_up(pipe.kernel)


def get_fifo_pipe(kernel, key) -> FifoPipe:
    pipes = _fifo_pipes.setdefault(kernel, {})
    pipe = pipes.get(key)
    if pipe is None:
        try:
            pipe = pipes[key] = FifoPipe(kernel, key)
        except KernelError:
            raise KernelError(Errno.ENOMEM) from None    # fifo_open: no pipe_inode_info
    return pipe


def put_fifo_pipe(pipe: PipeInodeInfo) -> None:
    """No end of the pipe is open: forget it and free its buffers."""
    if not isinstance(pipe, FifoPipe):
        pipe.free_pipe_info()                  # a pipe(2) pipe whose last end was reopened
        return
    pipes = _fifo_pipes.get(pipe.kernel, {})
    if pipes.get(pipe.key) is pipe:
        del pipes[pipe.key]
        pipe.free_pipe_info()


def must_wait(pipe: PipeInodeInfo, acc: int, nonblock: bool) -> bool:
    """Would this open sleep for a partner (a blocking reader with no writer, or the
    other way round)?"""
    if nonblock or acc == O_RDWR:
        return False
    return not pipe.writers if acc == O_RDONLY else not pipe.readers


def wait_for_partner(task, pipe: PipeInodeInfo, counter: str) -> None:
    """Sleep until another open of the other kind happened (its counter moved)."""
    seen = getattr(pipe, counter)
    wait_event(task, pipe.rd_wait, lambda: getattr(pipe, counter) != seen)


def fifo_open(task, dentry, flags: int, key) -> FifoFile:
    """Open the FIFO ``dentry`` (inode ``key``) for ``flags``."""
    if flags & O_ACCMODE not in (O_RDONLY, O_WRONLY, O_RDWR):
        raise KernelError(Errno.EINVAL)        # access mode 3 neither reads nor writes
    return fifo_open_pipe(task, dentry, get_fifo_pipe(task.kernel, key), flags)


def attach_opener(file: FifoFile, pipe: PipeInodeInfo, acc: int) -> FifoFile:
    """Count a new open of the pipe's ends and wake whoever waits for a partner."""
    if acc in (O_RDONLY, O_RDWR):
        pipe.readers += 1
        pipe.r_counter += 1
    if acc in (O_WRONLY, O_RDWR):
        pipe.writers += 1
        pipe.w_counter += 1
    wake_both(pipe)                            # wake_up_partner
    return file


def fifo_open_pipe(task, dentry, pipe: PipeInodeInfo, flags: int) -> FifoFile:
    """fifo_open on an inode that has its pipe: a FIFO's, or a pipe(2) pipe opened again
    through /proc/<pid>/fd/N (pipefs inodes are FIFOs too)."""
    kernel = task.kernel
    acc = flags & O_ACCMODE
    if acc not in (O_RDONLY, O_WRONLY, O_RDWR):
        raise KernelError(Errno.EINVAL)
    nonblock = bool(flags & O_NONBLOCK)
    if not isinstance(pipe, FifoPipe):         # a pipefs inode never waits for a partner
        return attach_opener(FifoFile(dentry, pipe, flags), pipe, acc)
    if acc == O_WRONLY and nonblock and not pipe.readers:
        if pipe.unused():
            put_fifo_pipe(pipe)
        raise KernelError(Errno.ENXIO)
    if kernel.in_fast_syscall and must_wait(pipe, acc, nonblock):
        if pipe.unused():
            put_fifo_pipe(pipe)
        raise SlowPathRequired()              # before counting this opener anywhere
    file = attach_opener(FifoFile(dentry, pipe, flags), pipe, acc)
    if must_wait(pipe, acc, nonblock):
        try:
            wait_for_partner(task, pipe, "w_counter" if acc == O_RDONLY else "r_counter")
        except KernelError:
            file.release()                     # interrupted: this opener never counted
            raise
    return file
