"""strace's decoders for a 32-bit process's calls whose structures have i386 layouts
(strace's src/ldt.c for user_desc, the compat rlimit of ugetrlimit, i386's clone order)."""
import struct

from glasskernel.tools.strace import strace_fs as fs
from glasskernel.tools.strace import strace_proc as proc
from glasskernel.tools.strace.strace_structs import fmt_rlim
from glasskernel.tools.strace.strace_util import Call, fmt_addr, read_struct

_USER_DESC = struct.Struct("<IIII")
_COMPAT_RLIMIT = struct.Struct("<II")
_RLIM32_INFINITY = 0xFFFF_FFFF


def fmt_user_desc(mem, addr: int, entry_number: bool = True) -> str:
    """print_user_desc(): {entry_number=..., base_addr=..., ..., useable=...}."""
    fields = read_struct(mem, addr, _USER_DESC)
    if fields is None:
        return fmt_addr(addr)
    number, base, limit, bits = fields
    number = number - (1 << 32) if number >= 1 << 31 else number
    text = f"entry_number={number}, " if entry_number else ""
    return (f"{{{text}base_addr={base:#x}, limit={limit:#08x}, seg_32bit={bits & 1}, "
            f"contents={bits >> 1 & 3}, read_exec_only={bits >> 3 & 1}, "
            f"limit_in_pages={bits >> 4 & 1}, seg_not_present={bits >> 5 & 1}, "
            f"useable={bits >> 6 & 1}}}")


def dec_set_thread_area(c: Call):
    """set_thread_area({...}) = 0 (entry_number=12): the slot it chose, after the call."""
    text = fmt_user_desc(c.mem, c.arg(0))
    if c.failed:
        return text, None
    fields = read_struct(c.mem, c.arg(0), _USER_DESC)
    return text, f"{c.ret} (entry_number={fields[0]})" if fields else None


def dec_set_thread_area_entry(c: Call) -> str:
    """The user_desc as set_thread_area was given it (strace prints it at entry)."""
    return fmt_user_desc(c.mem, c.arg(0))


def dec_get_thread_area(c: Call) -> str:
    return fmt_addr(c.arg(0)) if c.failed else fmt_user_desc(c.mem, c.arg(0))


def _fmt_compat_rlimit(mem, addr: int) -> str:
    fields = read_struct(mem, addr, _COMPAT_RLIMIT)
    if fields is None:
        return fmt_addr(addr)
    cur, high = ("RLIM_INFINITY" if v == _RLIM32_INFINITY else fmt_rlim(v) for v in fields)
    return f"{{rlim_cur={cur}, rlim_max={high}}}"


def dec_ugetrlimit(c: Call) -> str:
    """ugetrlimit/getrlimit of i386: a struct of two 32-bit limits (~0 is infinity)."""
    out = fmt_addr(c.arg(1)) if c.failed else _fmt_compat_rlimit(c.mem, c.arg(1))
    return f"{proc.fmt_resource(c.arg(0))}, {out}"


def dec_clone_ia32(c: Call) -> str:
    """clone of i386 (CONFIG_CLONE_BACKWARDS): flags, stack, parent_tid, tls, child_tid."""
    args = c.args + (0,) * (5 - len(c.args))
    return proc.dec_clone(Call(c.name, (args[0], args[1], args[2], args[4], args[3]), c.ret, c.mem))


# name -> decoder for a 32-bit process; StraceFormatter falls back to the native decoders
# listed in strace.py's _COMPAT_DECODERS (layout-free) and to hex for the rest.
COMPAT_DECODERS = {
    "set_thread_area": dec_set_thread_area, "get_thread_area": dec_get_thread_area,
    "ugetrlimit": dec_ugetrlimit, "getrlimit": dec_ugetrlimit, "clone": dec_clone_ia32,
    "clock_gettime64": proc.dec_clock_gettime, "clock_getres_time64": proc.dec_clock_gettime,
    "statx": fs.dec_statx, "getdents64": fs.dec_getdents64, "fcntl64": fs.dec_fcntl,
    "faccessat2": fs.dec_faccessat2, "prlimit64": proc.dec_prlimit64, "pipe2": fs.dec_pipe2,
    "rt_sigprocmask": proc.dec_rt_sigprocmask, "sched_getaffinity": proc.dec_sched_getaffinity,
    "rt_sigaction": proc.dec_compat_rt_sigaction,
}

# Decoded when the call starts (the slow path announces it): the call rewrites these.
ENTRY_DECODERS = {"set_thread_area": dec_set_thread_area_entry}
