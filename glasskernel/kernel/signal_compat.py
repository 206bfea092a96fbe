"""The signal syscalls of 32-bit (compat) tasks (kernel/signal.c under CONFIG_COMPAT,
kernel/compat.c's sigprocmask, and the i386 legacy calls).

A compat task's structures have 32-bit pointers and longs: ``compat_sigaction`` (handler,
flags, restorer, then the 64-bit mask as two words), the old ``old_sigaction`` with a
one-word mask, ``compat_stack_t`` and ``compat_siginfo`` (its union at offset 12 rather
than 16, every pointer, long and clock_t four bytes). The kernel keeps one form of each
(the 64-bit KSigaction, sigset and siginfo); these wrappers convert at the user boundary
and call the same code as the native syscalls. A 64-bit mask is laid out in memory as
two 32-bit words, low first, so the calls whose only struct is a sigset (rt_sigprocmask,
rt_sigpending, rt_sigsuspend, signalfd) use the native handlers as they are.
"""
import struct

from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.kernel.signal import (
    _UNBLOCKABLE, SA_NODEFER, SA_RESETHAND, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK,
    KSigaction, set_current_blocked)
from glasskernel.kernel.signal_syscalls import (
    do_rt_sigqueueinfo, do_rt_tgsigqueueinfo, do_sigaction, do_sigtimedwait, known_siginfo_layout,
    sys_rt_sigsuspend)
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import ERESTARTNOHAND, Errno, KernelError
from glasskernel.uapi.siginfo import SIGINFO_SIZE

_COMPAT_SIGACTION = struct.Struct("<IIIQ")     # handler, flags, restorer, mask (2 words)
_OLD_SIGACTION = struct.Struct("<IIII")        # handler, mask (1 word), flags, restorer
_U32 = struct.Struct("<I")
_MASK32 = 0xFFFFFFFF
_MASK64 = (1 << 64) - 1
NSEC_PER_SEC = 10**9

# ----- compat_siginfo (copy_siginfo_to_external32, post_copy_siginfo_from_user32) ----------

# si_code values whose fault layout carries more than si_addr (siginfo_layout's exceptions).
BUS_MCEERR_AR, BUS_MCEERR_AO, SEGV_BNDERR, SEGV_PKUERR, TRAP_PERF = 4, 5, 3, 4, 6
SIGTRAP, SIGBUS, SIGSEGV = 5, 7, 11

# The fields of each union member: (struct format, offset in siginfo, offset in
# compat_siginfo, compat format). Pointers and longs shrink to 32 bits (ptr_to_compat);
# coming back, pointers are zero-extended (compat_ptr) and longs sign-extended.
_LAYOUT_FIELDS = {
    "kill": (("i", 16, 12, "i"), ("I", 20, 16, "I")),
    "timer": (("i", 16, 12, "i"), ("i", 20, 16, "i"), ("i", 24, 20, "i")),
    "rt": (("i", 16, 12, "i"), ("I", 20, 16, "I"), ("i", 24, 20, "i")),
    "chld": (("i", 16, 12, "i"), ("I", 20, 16, "I"), ("i", 24, 20, "i"),
             ("q", 32, 24, "i"), ("q", 40, 28, "i")),
    "poll": (("q", 16, 12, "i"), ("i", 24, 16, "i")),
    "fault": (("Q", 16, 12, "I"),),
    "fault_mceerr": (("Q", 16, 12, "I"), ("h", 24, 16, "h")),
    "fault_bnderr": (("Q", 16, 12, "I"), ("Q", 32, 20, "I"), ("Q", 40, 24, "I")),
    "fault_pkuerr": (("Q", 16, 12, "I"), ("I", 32, 20, "I")),
    "fault_perf": (("Q", 16, 12, "I"), ("Q", 24, 16, "I"), ("I", 32, 20, "I"), ("I", 36, 24, "I")),
    "sys": (("Q", 16, 12, "I"), ("i", 24, 16, "i"), ("I", 28, 20, "I")),
}


def siginfo_layout(signo: int, code: int) -> str:
    """Which union member a siginfo uses (kernel/signal.c), fault kinds told apart."""
    from glasskernel.fs.signalfd import siginfo_layout as base_layout
    layout = base_layout(signo, code)
    if layout != "fault":
        return layout
    if signo == SIGBUS and BUS_MCEERR_AR <= code <= BUS_MCEERR_AO:
        return "fault_mceerr"
    if signo == SIGSEGV and code in (SEGV_BNDERR, SEGV_PKUERR):
        return "fault_bnderr" if code == SEGV_BNDERR else "fault_pkuerr"
    if signo == SIGTRAP and code == TRAP_PERF:
        return "fault_perf"
    return "fault"


def _narrow(value: int, fmt: str) -> int:
    """A 64-bit field's value in a 32-bit one: the low bits, as the C cast keeps them."""
    bits = {"i": 32, "I": 32, "h": 16}[fmt]
    value &= (1 << bits) - 1
    return value - (1 << bits) if fmt in "ih" and value >> (bits - 1) else value


def copy_siginfo_to_external32(info: bytes) -> bytes:
    """A kernel siginfo as the 128-byte compat_siginfo: signo, errno, code and the
    fields of its layout; everything else zero."""
    signo, errno_, code = struct.unpack_from("<iii", info)
    out = bytearray(SIGINFO_SIZE)
    struct.pack_into("<iii", out, 0, signo, errno_, code)
    for fmt, off64, off32, fmt32 in _LAYOUT_FIELDS[siginfo_layout(signo, code)]:
        value = struct.unpack_from("<" + fmt, info, off64)[0]
        struct.pack_into("<" + fmt32, out, off32, _narrow(value, fmt32))
    return bytes(out)


def copy_siginfo_to_user32(task, uaddr: int, info: bytes) -> None:
    copy_to_user(task, uaddr, copy_siginfo_to_external32(info))


def post_copy_siginfo_from_user32(raw: bytes) -> bytes:
    """A compat_siginfo as the kernel's siginfo (only its layout's fields are kept)."""
    signo, errno_, code = struct.unpack_from("<iii", raw)
    out = bytearray(SIGINFO_SIZE)
    struct.pack_into("<iii", out, 0, signo, errno_, code)
    for fmt, off64, off32, fmt32 in _LAYOUT_FIELDS[siginfo_layout(signo, code)]:
        value = struct.unpack_from("<" + fmt32, raw, off32)[0]
        struct.pack_into("<" + fmt, out, off64, value)      # I → Q: compat_ptr; i → q: sign
    return bytes(out)


def copy_siginfo_from_user32(task, signo: int, uinfo: int) -> bytes:
    """__copy_siginfo_from_user32: si_signo is the syscall's signal. Unlike the native
    call there is no E2BIG check: only the layout's fields are taken."""
    raw = bytearray(copy_from_user(task, uinfo, SIGINFO_SIZE))
    struct.pack_into("<i", raw, 0, signo)
    return post_copy_siginfo_from_user32(bytes(raw))


# ----- actions ------------------------------------------------------------------------------

def compat_sys_rt_sigaction(task, sig, act, oact, sigsetsize) -> int:
    """rt_sigaction with a compat_sigaction: handler, flags, restorer, mask."""
    if sigsetsize != 8:
        raise KernelError(Errno.EINVAL)
    new = None
    if act:
        handler, flags, restorer, mask = _COMPAT_SIGACTION.unpack(copy_from_user(task, act, 20))
        new = KSigaction(handler, flags, restorer, mask)
    old = do_sigaction(task, int_arg(sig), new)
    if oact:
        copy_to_user(task, oact, _COMPAT_SIGACTION.pack(old.handler & _MASK32, old.flags,
                                                        old.restorer & _MASK32, old.mask))
    return 0


def compat_sys_sigaction(task, sig, act, oact) -> int:
    """The old sigaction (67): a one-word mask, which becomes the low word of the new
    mask (the high word is cleared)."""
    new = None
    if act:
        handler, mask, flags, restorer = _OLD_SIGACTION.unpack(copy_from_user(task, act, 16))
        new = KSigaction(handler, flags, restorer, mask)
    old = do_sigaction(task, int_arg(sig), new)
    if oact:
        copy_to_user(task, oact, _OLD_SIGACTION.pack(old.handler & _MASK32, old.mask & _MASK32,
                                                     old.flags, old.restorer & _MASK32))
    return 0


def sys_signal(task, sig, handler) -> int:
    """signal(2) as the kernel has it (48): a one-shot handler that does not block its
    signal while it runs. Returns the old handler."""
    new = KSigaction(handler, SA_RESETHAND | SA_NODEFER, 0, 0)
    return do_sigaction(task, int_arg(sig), new).handler


# ----- masks --------------------------------------------------------------------------------

def sys_sgetmask(task) -> int:
    """The first word of the blocked mask (the compat return keeps its low 32 bits)."""
    return task.blocked


def sys_ssetmask(task, newmask) -> int:
    """Set the whole mask from an int (sign-extended to the mask's width, as siginitset
    widens it); returns the old first word as an int."""
    old = int_arg(task.blocked)
    set_current_blocked(task, int_arg(newmask) & _MASK64)
    return old


def compat_sys_sigprocmask(task, how, nset, oset) -> int:
    """sigprocmask on a one-word old_sigset_t: SIG_SETMASK replaces only the low word."""
    old = task.blocked
    if nset:
        new = _U32.unpack(copy_from_user(task, nset, 4))[0] & ~_UNBLOCKABLE
        how = int_arg(how)
        if how == SIG_BLOCK:
            blocked = old | new
        elif how == SIG_UNBLOCK:
            blocked = old & ~new
        elif how == SIG_SETMASK:
            blocked = (old & ~_MASK32) | new
        else:
            raise KernelError(Errno.EINVAL)
        set_current_blocked(task, blocked)
    if oset:
        copy_to_user(task, oset, _U32.pack(old & _MASK32))
    return 0


def compat_sys_sigpending(task, uset) -> int:
    copy_to_user(task, uset, _U32.pack(task.pending & task.blocked & _MASK32))
    return 0


def sys_sigsuspend(task, _unused1, _unused2, mask) -> int:
    """The i386 sigsuspend (72): the mask is the third argument, one word, by value."""
    from glasskernel.kernel.signal_syscalls import _sleep_until_signal
    task.saved_sigmask = task.blocked
    task.restore_sigmask = True
    set_current_blocked(task, mask & _MASK32)
    _sleep_until_signal(task, "sigsuspend")
    raise KernelError(ERESTARTNOHAND)


compat_sys_rt_sigsuspend = sys_rt_sigsuspend     # a compat_sigset_t is the same 8 bytes


# ----- waiting and sending ------------------------------------------------------------------

def _get_timeout(task, uts: int, time32: bool):
    """The timeout in ns: an old_timespec32, or a __kernel_timespec whose tv_nsec
    padding a compat caller leaves undefined (only the low 32 bits count)."""
    if time32:
        sec, nsec = struct.unpack("<ii", copy_from_user(task, uts, 8))
    else:
        sec, nsec = struct.unpack("<qQ", copy_from_user(task, uts, 16))
        nsec &= _MASK32
    if sec < 0 or not 0 <= nsec < NSEC_PER_SEC:
        raise KernelError(Errno.EINVAL)             # timespec64_valid
    return sec * NSEC_PER_SEC + nsec


def _compat_sigtimedwait(task, uthese, uinfo, uts, sigsetsize, time32: bool) -> int:
    if sigsetsize != 8:
        raise KernelError(Errno.EINVAL)
    these = struct.unpack("<Q", copy_from_user(task, uthese, 8))[0]
    timeout_ns = _get_timeout(task, uts, time32) if uts else None
    signo, info = do_sigtimedwait(task, these, timeout_ns)
    if uinfo:
        copy_siginfo_to_user32(task, uinfo, info)
    return signo


def compat_sys_rt_sigtimedwait_time32(task, uthese, uinfo, uts, sigsetsize) -> int:
    return _compat_sigtimedwait(task, uthese, uinfo, uts, sigsetsize, True)


def compat_sys_rt_sigtimedwait_time64(task, uthese, uinfo, uts, sigsetsize) -> int:
    return _compat_sigtimedwait(task, uthese, uinfo, uts, sigsetsize, False)


def compat_sys_rt_sigqueueinfo(task, pid, sig, uinfo) -> int:
    pid, signo = int_arg(pid), int_arg(sig)
    return do_rt_sigqueueinfo(task, pid, signo, copy_siginfo_from_user32(task, signo, uinfo))


def compat_sys_rt_tgsigqueueinfo(task, tgid, pid, sig, uinfo) -> int:
    tgid, pid, signo = int_arg(tgid), int_arg(pid), int_arg(sig)
    return do_rt_tgsigqueueinfo(task, tgid, pid, signo, copy_siginfo_from_user32(task, signo, uinfo))


__all__ = ["compat_sys_rt_sigaction", "compat_sys_sigaction", "sys_signal", "sys_sgetmask",
           "sys_ssetmask", "compat_sys_sigprocmask", "compat_sys_sigpending", "sys_sigsuspend",
           "compat_sys_rt_sigtimedwait_time32", "compat_sys_rt_sigtimedwait_time64",
           "compat_sys_rt_sigqueueinfo", "compat_sys_rt_tgsigqueueinfo",
           "copy_siginfo_to_user32", "copy_siginfo_from_user32", "known_siginfo_layout"]
