"""The compat (i386) syscalls of kernel/sys.c: rlimits, rusage, sysinfo, times, and the
old uname structs.

The native calls do the work; these store their results in the i386 structs: 32-bit
longs (rlimit, rusage, sysinfo, tms) and the utsname layouts i386 had before new_utsname.
"""
import struct

from glasskernel.kernel import sys as ksys
from glasskernel.kernel.compat import COMPAT_RLIM_INFINITY, put_compat_rusage
from glasskernel.kernel.exec_domain import UNAME26, override_architecture, override_release
from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.resource import RLIM_INFINITY, RLIM_NLIMITS

_COMPAT_RLIMIT = struct.Struct("<II")
# struct compat_sysinfo: uptime, loads[3], totalram, freeram, sharedram, bufferram,
# totalswap, freeswap (s32/u32), procs u16 and pad, totalhigh, freehigh, mem_unit, 8 spare.
_COMPAT_SYSINFO = struct.Struct("<i3I6IH2xIII8x")
_COMPAT_TMS = struct.Struct("<4I")
PAGE_SIZE = 4096
OLD_UTS_LEN = 8                          # __OLD_UTS_LEN: oldold_utsname's fields hold 8 chars


# compat_sys_getrlimit: ugetrlimit(2) (number 191): limits past 32 bits read as RLIM_INFINITY.
def compat_sys_getrlimit(task, resource, rlim) -> int:
    cur, hard = ksys.do_prlimit(task, task, resource & 0xFFFFFFFF, None)
    copy_to_user(task, rlim, _COMPAT_RLIMIT.pack(min(cur, COMPAT_RLIM_INFINITY),
                                                 min(hard, COMPAT_RLIM_INFINITY)))
    return 0


# compat_sys_old_getrlimit: getrlimit(2) (number 76): limits capped at 0x7FFFFFFF.
def compat_sys_old_getrlimit(task, resource, rlim) -> int:
    resource &= 0xFFFFFFFF
    if resource >= RLIM_NLIMITS:
        raise KernelError(Errno.EINVAL)
    cur, hard = ksys.do_prlimit(task, task, resource, None)
    copy_to_user(task, rlim, _COMPAT_RLIMIT.pack(min(cur, 0x7FFFFFFF), min(hard, 0x7FFFFFFF)))
    return 0


# compat_sys_setrlimit: setrlimit(2) of i386: COMPAT_RLIM_INFINITY means RLIM_INFINITY.
def compat_sys_setrlimit(task, resource, rlim) -> int:
    raw = _COMPAT_RLIMIT.unpack(copy_from_user(task, rlim, _COMPAT_RLIMIT.size))
    new = tuple(RLIM_INFINITY if v == COMPAT_RLIM_INFINITY else v for v in raw)
    ksys.do_prlimit(task, task, resource & 0xFFFFFFFF, new)
    return 0


# compat_sys_getrusage: getrusage(2) into the 72-byte i386 struct rusage.
def compat_sys_getrusage(task, who, ru) -> int:
    fields = ksys.getrusage_fields(task, int_arg(who))
    put_compat_rusage(task, ru, fields)
    return 0


# compat_sys_sysinfo: sysinfo(2) of i386: memory sizes past 32 bits are counted in bigger
# units (mem_unit doubled up to a page) as Linux scales them.
def compat_sys_sysinfo(task, info) -> int:
    (uptime, l1, l2, l3, total, free, shared, buffer, tswap, fswap, procs, thigh, fhigh,
     unit) = ksys.sysinfo_values(task)
    mem = [total, free, shared, buffer, tswap, fswap, thigh, fhigh]
    if total >> 32 or tswap >> 32:
        shift = 0
        while unit < PAGE_SIZE:
            unit <<= 1
            shift += 1
        mem = [v >> shift for v in mem]
    mem = [v & 0xFFFFFFFF for v in mem]
    copy_to_user(task, info, _COMPAT_SYSINFO.pack(
        uptime, l1 & 0xFFFFFFFF, l2 & 0xFFFFFFFF, l3 & 0xFFFFFFFF, *mem[:6], procs, *mem[6:], unit))
    return 0


# compat_sys_times: times(2) of i386: compat_clock_t counts, the tick count truncated to 32 bits.
def compat_sys_times(task, tbuf) -> int:
    from glasskernel.kernel import time as ktime
    if tbuf:
        copy_to_user(task, tbuf, _COMPAT_TMS.pack(*(v & 0xFFFFFFFF for v in ktime.do_sys_times(task))))
    return ktime.jiffies_clock_t(task) & 0xFFFFFFFF


def _uts_fields(task) -> list:
    """The utsname's first five fields as bytes, the release as UNAME26 overrides it."""
    uts = ksys.utsname_of(task)
    release = override_release(uts.release) if task.personality & UNAME26 else uts.release
    machine = override_architecture(task, uts.machine)
    return [f.encode("utf-8", "surrogateescape")
            for f in (uts.sysname, uts.nodename, release, uts.version, machine)]


# sys_uname: uname(2) number 109 (olduname): struct old_utsname, five fields of 65 chars.
def sys_olduname(task, name) -> int:
    if not name:
        raise KernelError(Errno.EFAULT)
    copy_to_user(task, name, b"".join(f[:64].ljust(65, b"\0") for f in _uts_fields(task)))
    return 0


# sys_olduname: uname(2) number 59 (oldolduname): struct oldold_utsname, five fields of 9
# chars holding the first 8 of each name.
def sys_oldolduname(task, name) -> int:
    if not name:
        raise KernelError(Errno.EFAULT)
    data = b"".join(f[:OLD_UTS_LEN].ljust(OLD_UTS_LEN + 1, b"\0") for f in _uts_fields(task))
    copy_to_user(task, name, data)
    return 0
