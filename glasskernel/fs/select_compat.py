"""select, pselect6 and ppoll of i386 (fs/select.c's compat part).

The fd_sets are arrays of 32-bit words (select.py sizes them for a compat task), the
timeouts old_timeval32 / old_timespec32 (the *_time64 numbers: the 64-bit timespec), and
pselect6's sixth argument points to a {u32 sigset pointer, u32 size} pair.
"""
import struct

from glasskernel.arch.x86.entry.args import int_arg, uint_arg
from glasskernel.fs import select as fs_select
from glasskernel.fs.select import (PT_OLD_TIMESPEC, PT_OLD_TIMEVAL, PT_TIMESPEC, _c_divmod,
                                   _finish_call, _masked_timespec_call, core_sys_select,
                                   do_sys_poll, poll_select_set_timeout)
from glasskernel.mm.uaccess import copy_from_user
from glasskernel.uapi.time import NSEC_PER_USEC, USEC_PER_SEC

_OLD_TIMEVAL32 = struct.Struct("<ii")
_COMPAT_SEL_ARG = struct.Struct("<5I")       # struct compat_sel_arg_struct: n, inp, outp, exp, tvp
_COMPAT_SIGSET_ARGPACK = struct.Struct("<II")  # {compat_uptr_t p; compat_size_t size}


# compat_sys_select: _newselect(2) (number 142): compat fd_sets and an old_timeval32
# (normalised, the time left written back) as do_compat_select.
def compat_sys_select(task, n, inp, outp, exp, tvp) -> int:
    end_ns = None
    if tvp:
        sec, usec = _OLD_TIMEVAL32.unpack(copy_from_user(task, tvp, _OLD_TIMEVAL32.size))
        carry, usec = _c_divmod(usec, USEC_PER_SEC)
        end_ns = poll_select_set_timeout(task, sec + carry, usec * NSEC_PER_USEC)
    return _finish_call(task, end_ns, tvp, PT_OLD_TIMEVAL,
                        lambda: core_sys_select(task, int_arg(n), inp, outp, exp, end_ns))


# compat_sys_old_select: select(2) (number 82): the five arguments in a user struct.
def compat_sys_old_select(task, arg) -> int:
    n, inp, outp, exp, tvp = _COMPAT_SEL_ARG.unpack(copy_from_user(task, arg, _COMPAT_SEL_ARG.size))
    return compat_sys_select(task, n, inp, outp, exp, tvp)


def _pselect6(task, n, inp, outp, exp, tsp, sig, kind) -> int:
    """do_compat_pselect: the {sigset, size} pair of 32-bit words, then the wait."""
    sigmask = sigsetsize = 0
    if sig:
        sigmask, sigsetsize = _COMPAT_SIGSET_ARGPACK.unpack(
            copy_from_user(task, sig, _COMPAT_SIGSET_ARGPACK.size))
    return _masked_timespec_call(
        task, tsp, sigmask, sigsetsize,
        lambda end_ns: core_sys_select(task, int_arg(n), inp, outp, exp, end_ns), kind)


# compat_sys_pselect6_time32: pselect6(2) of i386 with an old_timespec32.
def compat_sys_pselect6_time32(task, n, inp, outp, exp, tsp, sig) -> int:
    return _pselect6(task, n, inp, outp, exp, tsp, sig, PT_OLD_TIMESPEC)


# compat_sys_pselect6_time64: pselect6_time64(2) (number 413): the 64-bit timespec.
def compat_sys_pselect6_time64(task, n, inp, outp, exp, tsp, sig) -> int:
    return _pselect6(task, n, inp, outp, exp, tsp, sig, PT_TIMESPEC)


# compat_sys_ppoll_time32: ppoll(2) of i386 with an old_timespec32 (the compat sigset_t has
# the native one's bytes).
def compat_sys_ppoll_time32(task, ufds, nfds, tsp, sigmask, sigsetsize) -> int:
    return _masked_timespec_call(task, tsp, sigmask, sigsetsize,
                                 lambda end_ns: do_sys_poll(task, ufds, uint_arg(nfds), end_ns),
                                 PT_OLD_TIMESPEC)


# compat_sys_ppoll_time64: ppoll_time64(2) (number 414): the native call's structs.
def compat_sys_ppoll_time64(task, ufds, nfds, tsp, sigmask, sigsetsize) -> int:
    return fs_select.sys_ppoll(task, ufds, nfds, tsp, sigmask, sigsetsize)
