"""signalfd (fs/signalfd.c): read the caller's pending signals as records.

The file holds only a signal mask. Whoever reads (or polls) it takes signals from *its
own* pending queues, the thread's private signals first, then the process's: a signalfd
inherited across fork reads the child's signals in the child. Each signal becomes one
128-byte signalfd_siginfo. The signals are normally blocked, so they stay queued for the
fd instead of being delivered; ``signalfd_notify`` (called when a signal is queued) wakes
the readers and pollers, which sleep on the sighand's queue.
"""
import struct

from glasskernel.fs.eventpoll import AnonInodeDentry
from glasskernel.fs.file_table import File
from glasskernel.fs.select import poll_wait
from glasskernel.kernel.sched.wait import WaitQueue, wait_event
from glasskernel.mm.uaccess import copy_from_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_CLOEXEC, O_NONBLOCK, O_RDWR
from glasskernel.uapi.poll import POLLIN

SFD_CLOEXEC = int(O_CLOEXEC)
SFD_NONBLOCK = int(O_NONBLOCK)
SIGKILL, SIGSTOP = 9, 19
SIZEOF_SIGNALFD_SIGINFO = 128
_ALL = (1 << 64) - 1
# si_code ranges (siginfo_layout): SI_USER 0, SI_KERNEL 0x80, SI_TIMER -2, SI_SIGIO -5
SI_USER, SI_KERNEL, SI_TIMER, SI_SIGIO = 0, 0x80, -2, -5
SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP, SIGCHLD, SIGPOLL, SIGSYS = 4, 8, 11, 7, 5, 17, 29, 31
_FAULT_LIMITS = {SIGILL: 11, SIGFPE: 15, SIGSEGV: 9, SIGBUS: 5, SIGTRAP: 6}
NSIGCHLD, NSIGPOLL, NSIGSYS = 6, 6, 2


def sighand_signalfd_wqh(sighand) -> WaitQueue:
    """sighand_struct.signalfd_wqh, made on first use."""
    wqh = sighand.signalfd_wqh
    if wqh is None:
        wqh = sighand.signalfd_wqh = WaitQueue("signalfd")
    return wqh


def signalfd_notify(task) -> None:
    """A signal was queued for task: wake whoever waits on its signalfds."""
    sighand = task.sighand
    wqh = sighand.signalfd_wqh if sighand is not None else None
    if wqh:
        wqh.wake_up(task.kernel, POLLIN)


def _queued_bits(task, want_shared: bool) -> int:
    """The signals with at least one queued instance that is (or is not) shared."""
    bits = 0
    for signo, queue in task.pending_info.items():
        if any(shared == want_shared for shared, _info in queue):
            bits |= 1 << (signo - 1)
    return bits


def _lowest(bits: int) -> int:
    return (bits & -bits).bit_length()


def _next_in(task, mask: int):
    """(thread, signo, shared) of the signal a signalfd with this mask takes next, or None:
    the reader's private signals, lowest first, then the process's (queued, in this
    kernel, on whichever thread they were sent to)."""
    from glasskernel.kernel.signal import thread_group
    own = task.pending & mask
    if own:
        shared = _queued_bits(task, True)
        private = own & (_queued_bits(task, False) | ~shared)   # a bit without siginfo too
        if private:
            return task, _lowest(private), False
    best = None
    for t in [task] + [t for t in thread_group(task) if t is not task]:
        bits = t.pending & mask & _queued_bits(t, True)
        if bits and (best is None or _lowest(bits) < best[1]):
            best = (t, _lowest(bits), True)
    return best


def signalfd_dequeue_one(task, mask: int):
    """dequeue_signal limited to the fd's mask: (signo, siginfo) or None."""
    from glasskernel.kernel.signal import take_signal
    found = _next_in(task, mask)
    if found is None:
        return None
    t, signo, shared = found
    return signo, take_signal(t, signo, shared)


def siginfo_layout(signo: int, code: int) -> str:
    """Which union member of the siginfo is live (kernel/signal.c: siginfo_layout)."""
    if SI_USER < code < SI_KERNEL:
        if signo in _FAULT_LIMITS and code <= _FAULT_LIMITS[signo]:
            return "fault"
        if signo == SIGCHLD and code <= NSIGCHLD:
            return "chld"
        if signo == SIGSYS and code <= NSIGSYS:
            return "sys"
        if signo == SIGPOLL and code <= NSIGPOLL:
            return "poll"
        return "poll" if code <= NSIGPOLL else "kill"
    if code == SI_TIMER:
        return "timer"
    if code == SI_SIGIO:
        return "poll"
    return "rt" if code < 0 else "kill"


def signalfd_copyinfo(info: bytes) -> bytes:
    """A siginfo as a struct signalfd_siginfo (the unused fields zero)."""
    signo, errno, code = struct.unpack_from("<iii", info, 0)
    out = bytearray(SIZEOF_SIGNALFD_SIGINFO)
    struct.pack_into("<Iii", out, 0, signo & 0xFFFFFFFF, errno, code)
    layout = siginfo_layout(signo, code)
    if layout in ("kill", "rt", "chld"):
        struct.pack_into("<II", out, 12, *struct.unpack_from("<II", info, 16))      # pid, uid
    if layout == "timer":
        tid, overrun = struct.unpack_from("<iI", info, 16)
        struct.pack_into("<I", out, 24, tid & 0xFFFFFFFF)
        struct.pack_into("<I", out, 32, overrun)
    if layout in ("timer", "rt"):
        ptr = struct.unpack_from("<Q", info, 24)[0]
        struct.pack_into("<iQ", out, 44, ptr & 0xFFFFFFFF if ptr & 0xFFFFFFFF < 1 << 31
                         else (ptr & 0xFFFFFFFF) - (1 << 32), ptr)
    elif layout == "poll":
        band, fd = struct.unpack_from("<qi", info, 16)
        struct.pack_into("<i", out, 20, fd)
        struct.pack_into("<I", out, 28, band & 0xFFFFFFFF)
    elif layout == "fault":
        struct.pack_into("<Q", out, 72, struct.unpack_from("<Q", info, 16)[0])
    elif layout == "chld":
        status, utime, stime = struct.unpack_from("<i4xqq", info, 24)
        struct.pack_into("<i", out, 40, status)
        struct.pack_into("<qq", out, 56, utime, stime)
    elif layout == "sys":
        call_addr, syscall, arch = struct.unpack_from("<QiI", info, 16)
        struct.pack_into("<i", out, 84, syscall)
        struct.pack_into("<Q", out, 88, call_addr)
        struct.pack_into("<I", out, 96, arch)
    return bytes(out)


class SignalfdFile(File):
    """signalfd_ctx and its file: the set of signals it takes."""

    seekable = False

    def __init__(self, kernel, mask: int, flags: int):
        super().__init__(AnonInodeDentry("[signalfd]"), O_RDWR | flags)
        self.kernel = kernel
        self.sigmask = mask              # the signals it takes (Linux keeps the complement)

    def poll(self, pt) -> int:
        """signalfd_poll: readable when the polling task has one of the signals pending."""
        task = self.kernel.current
        poll_wait(self, sighand_signalfd_wqh(task.sighand), pt)
        return POLLIN if _next_in(task, self.sigmask) is not None else 0

    def read(self, count: int) -> bytes:
        """signalfd_read: as many whole records as fit and are pending (EINVAL under one
        record); only the first may wait (EAGAIN with O_NONBLOCK)."""
        count //= SIZEOF_SIGNALFD_SIGINFO
        if not count:
            raise KernelError(Errno.EINVAL)
        task = self.kernel.current
        out = []
        nonblock = bool(self.flags & SFD_NONBLOCK)
        while count:
            got = signalfd_dequeue_one(task, self.sigmask)
            if got is None:
                if nonblock:
                    break
                wait_event(task, sighand_signalfd_wqh(task.sighand),
                           lambda: _next_in(task, self.sigmask) is not None)
                continue
            out.append(signalfd_copyinfo(got[1]))
            nonblock = True
            count -= 1
        if not out:
            raise KernelError(Errno.EAGAIN)
        return b"".join(out)

    def lseek(self, offset: int, whence: int) -> int:
        return self.pos                                 # noop_llseek

    def show_fdinfo(self) -> str:
        return f"sigmask:\t{self.sigmask:016x}\n"


def do_signalfd4(task, ufd: int, mask: int, flags: int) -> int:
    """A new signalfd (ufd -1) or a new mask for an existing one (EBADF, EINVAL if it is
    not a signalfd). SIGKILL and SIGSTOP are never taken."""
    if flags & ~(SFD_CLOEXEC | SFD_NONBLOCK):
        raise KernelError(Errno.EINVAL)
    mask &= ~((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)))
    if ufd == -1:
        file = SignalfdFile(task.kernel, mask, flags & (SFD_CLOEXEC | SFD_NONBLOCK) & ~SFD_CLOEXEC)
        return task.files.install_new(file, bool(flags & SFD_CLOEXEC), task=task)
    file = task.files.fdget(ufd)
    if not isinstance(file, SignalfdFile):
        raise KernelError(Errno.EINVAL)
    file.sigmask = mask
    sighand_signalfd_wqh(task.sighand).wake_up(task.kernel)
    return ufd


def _get_mask(task, user_mask: int, sizemask: int) -> int:
    if sizemask != 8:
        raise KernelError(Errno.EINVAL)
    return struct.unpack("<Q", copy_from_user(task, user_mask, 8))[0]


def sys_signalfd4(task, ufd, user_mask, sizemask, flags) -> int:
    from glasskernel.arch.x86.entry.args import int_arg
    mask = _get_mask(task, user_mask, sizemask)
    return do_signalfd4(task, int_arg(ufd), mask, int_arg(flags))


def sys_signalfd(task, ufd, user_mask, sizemask) -> int:
    from glasskernel.arch.x86.entry.args import int_arg
    mask = _get_mask(task, user_mask, sizemask)
    return do_signalfd4(task, int_arg(ufd), mask, 0)
