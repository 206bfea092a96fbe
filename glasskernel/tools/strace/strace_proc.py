"""Decoders for process, signal, time, limit and identity syscalls in the strace-format log.

Mirrors strace's src/clone.c, execve.c, wait.c, signal.c, process.c (arch_prctl),
time.c, resource.c, random.c (getrandom), affinity.c, sysinfo.c and uid.c.
"""
import struct

from glasskernel.tools.strace.strace_structs import (
    fmt_cpu_set, fmt_int_list, fmt_rlimit, fmt_rusage, fmt_sigaction, fmt_sigset, fmt_signo,
    fmt_sysinfo, fmt_time_comment, fmt_timespec, fmt_timeval, fmt_timezone, fmt_utsname,
    fmt_wait_status)
from glasskernel.tools.strace.strace_util import (
    MAX_ARRAY, Call, fmt_addr, fmt_buffer, fmt_cstring, fmt_flags, fmt_hex, fmt_path, fmt_xval, read_struct,
    s32, table_of)
from glasskernel.uapi.random import GrndFlag
from glasskernel.uapi.resource import Rlimit
from glasskernel.uapi.sched import CSIGNAL, CloneFlag
from glasskernel.uapi.signal import SigprocmaskHow
from glasskernel.uapi.time import ClockId

CLONE_FLAGS = tuple((int(f), f.name) for f in CloneFlag
                    if f.value <= 0x80000000 and f.name not in ("CLONE_DETACHED",
                                                               "CLONE_NEWTIME"))
WAIT_OPTIONS = ((1, "WNOHANG"), (4, "WEXITED"), (2, "WSTOPPED"), (8, "WCONTINUED"),
                (0x1000000, "WNOWAIT"), (0x80000000, "__WCLONE"), (0x40000000, "__WALL"),
                (0x20000000, "__WNOTHREAD"))
GRND_FLAGS = table_of(GrndFlag, "GRND_NONBLOCK", "GRND_RANDOM", "GRND_INSECURE")
_ARCH_CODES = {0x1001: "ARCH_SET_GS", 0x1002: "ARCH_SET_FS", 0x1003: "ARCH_GET_FS",
               0x1004: "ARCH_GET_GS", 0x1011: "ARCH_GET_CPUID", 0x1012: "ARCH_SET_CPUID",
               0x1021: "ARCH_GET_XCOMP_SUPP", 0x1022: "ARCH_GET_XCOMP_PERM",
               0x1023: "ARCH_REQ_XCOMP_PERM", 0x1024: "ARCH_GET_XCOMP_GUEST_PERM",
               0x1025: "ARCH_REQ_XCOMP_GUEST_PERM", 0x2001: "ARCH_MAP_VDSO_X32",
               0x2002: "ARCH_MAP_VDSO_32", 0x2003: "ARCH_MAP_VDSO_64"}
_CLOCKS = {int(c): c.name for c in ClockId}
_RLIMITS = {int(r): r.name for r in Rlimit}
_HOWS = {int(h): h.name for h in SigprocmaskHow}
_U64 = struct.Struct("<Q")


# --- process life cycle ----------------------------------------------------------------

def fmt_clone_flags(flags: int) -> str:
    """CLONE_VM|...|SIGCHLD: named flags, unknown bits, then the exit signal."""
    sig = flags & CSIGNAL
    names = fmt_flags(flags & ~CSIGNAL, CLONE_FLAGS, "CLONE_???", zero="")
    names = names.split(" /* ")[0]
    parts = [p for p in (names, fmt_signo(sig) if sig else "") if p]
    return "|".join(parts) or "0"


def dec_clone(c: Call) -> str:
    """clone(flags, stack, parent_tid, child_tid, tls) in strace's named-field form."""
    flags = c.arg(0)
    text = f"child_stack={fmt_addr(c.arg(1))}, flags={fmt_clone_flags(flags)}"
    if flags & (CloneFlag.CLONE_PARENT_SETTID | CloneFlag.CLONE_PIDFD):
        text += f", parent_tid={fmt_addr(c.arg(2))}"
    if flags & CloneFlag.CLONE_SETTLS:
        text += f", tls={fmt_addr(c.arg(4))}"
    if flags & (CloneFlag.CLONE_CHILD_SETTID | CloneFlag.CLONE_CHILD_CLEARTID):
        text += f", child_tidptr={fmt_addr(c.arg(3))}"
    return text


def dec_none(c: Call) -> str:
    """fork, vfork, getpid and the other calls without arguments."""
    return ""


def fmt_argv(mem, addr: int) -> str:
    """printargv(): ["a", "b"] read pointer by pointer up to the NULL."""
    if not addr:
        return "NULL"
    items = []
    for i in range(MAX_ARRAY + 1):
        ptr = read_struct(mem, addr + 8 * i, _U64)
        if ptr is None:
            return fmt_hex(addr) if not items else "[" + ", ".join(items) + ", ...]"
        if ptr[0] == 0:
            return "[" + ", ".join(items) + "]"
        if i == MAX_ARRAY:
            break
        items.append(fmt_cstring(mem, ptr[0]))
    return "[" + ", ".join(items) + ", ...]"


def count_vector(mem, addr: int, limit: int = 1 << 16):
    """Number of pointers before the NULL of an envp-style vector, None if unreadable."""
    for i in range(limit):
        ptr = read_struct(mem, addr + 8 * i, _U64)
        if ptr is None:
            return None
        if ptr[0] == 0:
            return i
    return None


def fmt_envp(addr: int, count) -> str:
    """0x7ffc... /* 20 vars */ as strace abbreviates the environment."""
    if not addr:
        return "NULL"
    if count is None:
        return fmt_hex(addr)
    return f"{fmt_hex(addr)} /* {count} var{'' if count == 1 else 's'} */"


def dec_execve(c: Call) -> str:
    envp = fmt_envp(c.arg(2), count_vector(c.mem, c.arg(2)) if c.arg(2) else None)
    return f"{fmt_path(c.mem, c.arg(0))}, {fmt_argv(c.mem, c.arg(1))}, {envp}"


def dec_exit(c: Call) -> str:
    """exit and exit_group(status)."""
    return str(c.int_arg(0))


def dec_wait4(c: Call) -> str:
    """wait4(pid, status, options, rusage): status and rusage read after the call."""
    status, ru = c.arg(1), c.arg(3)
    if c.failed or c.ret == 0 or not status:
        status_text = fmt_addr(status)
    else:
        word = read_struct(c.mem, status, struct.Struct("<i"))
        status_text = fmt_hex(status) if word is None else fmt_wait_status(word[0])
    options = fmt_flags(c.uint_arg(2), WAIT_OPTIONS, "W???")
    ru_text = fmt_addr(ru) if c.failed or c.ret == 0 else fmt_rusage(c.mem, ru)
    return f"{c.int_arg(0)}, {status_text}, {options}, {ru_text}"


def dec_kill(c: Call) -> str:
    return f"{c.int_arg(0)}, {fmt_signo(c.int_arg(1))}"


# --- signals --------------------------------------------------------------------------

def dec_rt_sigaction(c: Call, compat: bool = False) -> str:
    old = fmt_addr(c.arg(2)) if c.failed else fmt_sigaction(c.mem, c.arg(2), compat)
    return f"{fmt_signo(c.int_arg(0))}, {fmt_sigaction(c.mem, c.arg(1), compat)}, {old}, {c.arg(3)}"


def dec_compat_rt_sigaction(c: Call) -> str:
    """An i386 caller's rt_sigaction: struct compat_sigaction."""
    return dec_rt_sigaction(c, True)


def dec_rt_sigprocmask(c: Call) -> str:
    size = c.arg(3)
    how = fmt_xval(c.uint_arg(0), _HOWS, "SIG_???")
    new = fmt_sigset(c.mem, c.arg(1), size)
    old = fmt_addr(c.arg(2)) if c.failed else fmt_sigset(c.mem, c.arg(2), size)
    return f"{how}, {new}, {old}, {size}"


# --- architecture and threads ---------------------------------------------------------------

def dec_arch_prctl(c: Call) -> str:
    code = c.uint_arg(0)
    name = fmt_xval(code, _ARCH_CODES, "ARCH_???")
    addr = c.arg(1)
    if code in (0x1003, 0x1004):        # ARCH_GET_FS/GS store the base through the pointer
        base = None if c.failed else read_struct(c.mem, addr, _U64)
        return f"{name}, {fmt_addr(addr) if base is None else f'[{fmt_hex(base[0])}]'}"
    return f"{name}, {fmt_hex(addr)}"


def dec_set_tid_address(c: Call) -> str:
    return fmt_addr(c.arg(0))


def dec_set_robust_list(c: Call) -> str:
    return f"{fmt_addr(c.arg(0))}, {c.arg(1)}"


def dec_rseq(c: Call) -> str:
    """strace 6.1 has no rseq decoder: all four arguments in hex."""
    return ", ".join(fmt_hex(c.arg(i)) for i in range(4))


# --- identity and system information --------------------------------------------------

def dec_uname(c: Call) -> str:
    return fmt_addr(c.arg(0)) if c.failed else fmt_utsname(c.mem, c.arg(0))


def dec_getgroups(c: Call) -> str:
    size = c.int_arg(0)
    if c.failed or size == 0:
        return f"{size}, {fmt_addr(c.arg(1))}"
    return f"{size}, {fmt_int_list(c.mem, c.arg(1), c.ret)}"


def dec_sysinfo(c: Call) -> str:
    return fmt_addr(c.arg(0)) if c.failed else fmt_sysinfo(c.mem, c.arg(0))


def dec_sched_getaffinity(c: Call) -> str:
    mask = fmt_addr(c.arg(2)) if c.failed else fmt_cpu_set(c.mem, c.arg(2), c.ret)
    return f"{c.int_arg(0)}, {c.arg(1)}, {mask}"


def dec_getrandom(c: Call) -> str:
    buf = fmt_addr(c.arg(0)) if c.failed else _random_bytes(c)
    flags = fmt_flags(c.uint_arg(2), GRND_FLAGS, "GRND_???")
    return f"{buf}, {c.arg(1)}, {flags}"


def _random_bytes(c: Call) -> str:
    """getrandom's output is shown all in \\x escapes, even printable bytes."""
    return fmt_buffer(c.mem, c.arg(0), c.ret, force_hex=True)


# --- time -----------------------------------------------------------------------------

def fmt_clock(clk: int) -> str:
    return fmt_xval(clk & 0xFFFFFFFF, _CLOCKS, "CLOCK_???")


def dec_clock_gettime(c: Call) -> str:
    """clock_gettime and clock_getres(clock, timespec out)."""
    out = fmt_addr(c.arg(1)) if c.failed else fmt_timespec(c.mem, c.arg(1))
    return f"{fmt_clock(c.arg(0))}, {out}"


def dec_gettimeofday(c: Call) -> str:
    if c.failed:
        return f"{fmt_addr(c.arg(0))}, {fmt_addr(c.arg(1))}"
    return f"{fmt_timeval(c.mem, c.arg(0))}, {fmt_timezone(c.mem, c.arg(1))}"


def dec_time(c: Call):
    """time(tloc) = secs (ISO time); the stored value is shown with the same comment."""
    ret = None if c.failed else f"{c.ret} ({fmt_time_comment(c.ret)})"
    addr = c.arg(0)
    if c.failed or not addr:
        return fmt_addr(addr), ret
    stored = read_struct(c.mem, addr, struct.Struct("<q"))
    if stored is None:
        return fmt_hex(addr), ret
    return f"[{stored[0]} /* {fmt_time_comment(stored[0])} */]", ret


def dec_nanosleep(c: Call) -> str:
    """nanosleep(req, rem): rem is only meaningful when interrupted."""
    rem = c.arg(1)
    rem_text = fmt_timespec(c.mem, rem) if c.failed and rem else fmt_addr(rem)
    return f"{fmt_timespec(c.mem, c.arg(0))}, {rem_text}"


def dec_clock_nanosleep(c: Call) -> str:
    """clock_nanosleep(clock, flags, req, rem): flags is 0 or TIMER_ABSTIME."""
    flags = fmt_flags(c.uint_arg(1), ((1, "TIMER_ABSTIME"),), "TIMER_???")
    rem = c.arg(3)
    rem_text = fmt_timespec(c.mem, rem) if c.failed and rem else fmt_addr(rem)
    return f"{fmt_clock(c.arg(0))}, {flags}, {fmt_timespec(c.mem, c.arg(2))}, {rem_text}"


# --- resource limits ------------------------------------------------------------------

def fmt_resource(res: int) -> str:
    return fmt_xval(res & 0xFFFFFFFF, _RLIMITS, "RLIMIT_???")


def dec_getrlimit(c: Call) -> str:
    out = fmt_addr(c.arg(1)) if c.failed else fmt_rlimit(c.mem, c.arg(1))
    return f"{fmt_resource(c.arg(0))}, {out}"


def dec_setrlimit(c: Call) -> str:
    return f"{fmt_resource(c.arg(0))}, {fmt_rlimit(c.mem, c.arg(1))}"


def dec_prlimit64(c: Call) -> str:
    old = fmt_addr(c.arg(3)) if c.failed else fmt_rlimit(c.mem, c.arg(3))
    return (f"{s32(c.arg(0))}, {fmt_resource(c.arg(1))}, {fmt_rlimit(c.mem, c.arg(2))}, "
            f"{old}")


# --- namespaces --------------------------------------------------------------------------

def fmt_ns_flags(flags: int) -> str:
    """CLONE_NEW*|...: the flags of unshare and setns (CLONE_NEWTIME shares CSIGNAL's byte)."""
    return fmt_flags(flags, CLONE_FLAGS, "CLONE_???").split(" /* ")[0]


def dec_unshare(c: Call) -> str:
    return fmt_ns_flags(c.arg(0))


def dec_setns(c: Call) -> str:
    return f"{c.int_arg(0)}, {fmt_ns_flags(c.arg(1) & 0xFFFFFFFF)}"


def dec_sethostname(c: Call) -> str:
    """sethostname/setdomainname(name, len): the name as a buffer of len bytes, or its
    address when len is more than a name holds; len unsigned."""
    length = c.arg(1) & 0xFFFFFFFF
    name = fmt_buffer(c.mem, c.arg(0), length) if length <= 64 else fmt_addr(c.arg(0))
    return f"{name}, {length}"
