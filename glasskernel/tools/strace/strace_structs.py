"""Struct printers for the strace-format log, abbreviated the way strace abbreviates them.

Mirrors strace's print_struct_stat.c, statx.c, print_timespec.h, resource.c, signal.c,
term.c, sysinfo.c, uname.c and wait.c. Each function takes memory and an address and returns
the text, or the address in hex when it cannot be read.
"""
import struct
import time as _time

from glasskernel.tools.strace.strace_util import (
    fmt_addr, fmt_array, fmt_flags, fmt_hex, fmt_oct, fmt_xval, quote_bytes, read_struct,
    table_of)
from glasskernel.uapi.errno import KernelError
from glasskernel.uapi.resource import RLIM64_INFINITY
from glasskernel.uapi.signal import SaFlag, signal_name
from glasskernel.uapi.stat import S_IFMT, FileType, StatxMask

_STAT = struct.Struct("<QQQIII4xQqqq")                 # the fields before the timestamps
_STATX_HEAD = struct.Struct("<IIQIIIH2xQQQQ")
_TIMESPEC = struct.Struct("<qq")
_RLIMIT = struct.Struct("<QQ")
_SIGACTION = struct.Struct("<QQQQ")
_TERMIOS = struct.Struct("<IIII")
_WINSIZE = struct.Struct("<HHHH")
_SYSINFO = struct.Struct("<q3QQQQQQQH6xQQI")
_FLOCK = struct.Struct("<hhxxxxqqi")
_U64 = struct.Struct("<Q")
_I32 = struct.Struct("<i")

STATX_MASK_TABLE = ((int(StatxMask.STATX_ALL), "STATX_ALL"),
                    (int(StatxMask.STATX_BASIC_STATS), "STATX_BASIC_STATS")) + tuple(
    (int(m), m.name) for m in StatxMask if m.name not in ("STATX_ALL", "STATX_BASIC_STATS"))
_FILE_TYPES = {int(t): t.name for t in FileType}
SA_FLAGS_TABLE = table_of(SaFlag, "SA_RESTORER", "SA_ONSTACK", "SA_RESTART", "SA_NODEFER",
                          "SA_RESETHAND", "SA_SIGINFO", "SA_NOCLDSTOP", "SA_NOCLDWAIT",
                          "SA_UNSUPPORTED", "SA_EXPOSE_TAGBITS")


def fmt_mode(mode: int) -> str:
    """print_symbolic_mode_t(): S_IFREG|0644."""
    kind = _FILE_TYPES.get(mode & S_IFMT)
    perms = fmt_oct(mode & ~S_IFMT)
    return f"{kind}|{perms}" if kind else perms


def fmt_dev(dev: int) -> str:
    """makedev(0x88, 0x1) from a kernel dev_t encoding."""
    major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFF)
    minor = (dev & 0xFF) | ((dev >> 12) & ~0xFF)
    return f"makedev({major:#x}, {minor:#x})"


def fmt_stat(mem, addr: int) -> str:
    """struct stat abbreviated: mode, then rdev for devices or size for the rest."""
    fields = read_struct(mem, addr, _STAT)
    if fields is None:
        return fmt_addr(addr)
    _dev, _ino, _nlink, mode, _uid, _gid, rdev, size, _blksize, _blocks = fields
    if mode & S_IFMT in (FileType.S_IFCHR, FileType.S_IFBLK):
        return f"{{st_mode={fmt_mode(mode)}, st_rdev={fmt_dev(rdev)}, ...}}"
    return f"{{st_mode={fmt_mode(mode)}, st_size={size}, ...}}"


def fmt_statx(mem, addr: int) -> str:
    """struct statx abbreviated: mask, attributes, mode, size."""
    fields = read_struct(mem, addr, _STATX_HEAD)
    if fields is None:
        return fmt_addr(addr)
    mask, _blksize, attributes, _nlink, _uid, _gid, mode, _ino, size = fields[:9]
    return (f"{{stx_mask={fmt_flags(mask, STATX_MASK_TABLE, 'STATX_???')}, "
            f"stx_attributes={fmt_hex(attributes)}, stx_mode={fmt_mode(mode)}, "
            f"stx_size={size}, ...}}")


def fmt_timespec(mem, addr: int) -> str:
    """{tv_sec=1, tv_nsec=2}."""
    fields = read_struct(mem, addr, _TIMESPEC)
    if fields is None:
        return fmt_addr(addr)
    return f"{{tv_sec={fields[0]}, tv_nsec={fields[1]}}}"


def fmt_timeval(mem, addr: int) -> str:
    """{tv_sec=1, tv_usec=2}."""
    fields = read_struct(mem, addr, _TIMESPEC)
    if fields is None:
        return fmt_addr(addr)
    return f"{{tv_sec={fields[0]}, tv_usec={fields[1]}}}"


def fmt_timezone(mem, addr: int) -> str:
    fields = read_struct(mem, addr, struct.Struct("<ii"))
    if fields is None:
        return fmt_addr(addr)
    return f"{{tz_minuteswest={fields[0]}, tz_dsttime={fields[1]}}}"


def fmt_time_comment(secs: int) -> str:
    """The local ISO time strace appends to time(): 2026-11-22T03:21:48+0000."""
    try:
        return _time.strftime("%Y-%m-%dT%H:%M:%S%z", _time.localtime(secs))
    except (OverflowError, OSError, ValueError):
        return str(secs)


def fmt_rlim(value: int) -> str:
    """sprint_rlim64(): RLIM64_INFINITY, 8192*1024, or the plain number."""
    if value == RLIM64_INFINITY:
        return "RLIM64_INFINITY"
    if value > 1024 and value % 1024 == 0:
        return f"{value // 1024}*1024"
    return str(value)


def fmt_rlimit(mem, addr: int) -> str:
    fields = read_struct(mem, addr, _RLIMIT)
    if fields is None:
        return fmt_addr(addr)
    return f"{{rlim_cur={fmt_rlim(fields[0])}, rlim_max={fmt_rlim(fields[1])}}}"


def fmt_sigset_value(mask: int, nbits: int = 64) -> str:
    """sprintsigmask(): [INT CHLD], or ~[...] of the clear bits when most bits are set."""
    full = (1 << nbits) - 1
    prefix = ""
    if bin(mask & full).count("1") > nbits // 2:
        prefix, mask = "~", ~mask & full
    names = [signal_name(n + 1)[3:] for n in range(nbits) if mask >> n & 1]
    return prefix + "[" + " ".join(names) + "]"


def fmt_sigset(mem, addr: int, size: int) -> str:
    """A user sigset_t of size bytes (only the 8-byte kernel size is decoded)."""
    if size != 8:
        return fmt_addr(addr)
    fields = read_struct(mem, addr, _U64)
    if fields is None:
        return fmt_addr(addr)
    return fmt_sigset_value(fields[0])


_COMPAT_SIGACTION = struct.Struct("<IIIQ")       # an i386 caller's: 32-bit words, then the mask


def fmt_sigaction(mem, addr: int, compat: bool = False) -> str:
    """struct kernel_sigaction (or an i386 caller's compat_sigaction): handler, mask, flags
    and (with SA_RESTORER) the restorer."""
    fields = read_struct(mem, addr, _COMPAT_SIGACTION if compat else _SIGACTION)
    if fields is None:
        return fmt_addr(addr)
    handler, flags, restorer, mask = fields
    name = {0: "SIG_DFL", 1: "SIG_IGN"}.get(handler, fmt_hex(handler))
    text = (f"{{sa_handler={name}, sa_mask={fmt_sigset_value(mask)}, "
            f"sa_flags={fmt_flags(flags, SA_FLAGS_TABLE, 'SA_???')}")
    if flags & SaFlag.SA_RESTORER:
        text += f", sa_restorer={fmt_hex(restorer)}"
    return text + "}"


def fmt_signo(signo: int) -> str:
    """A signal-number argument: SIGTERM, SIGRT_3, or the number when out of range."""
    return signal_name(signo) if 1 <= signo <= 64 else str(signo)


def fmt_winsize(mem, addr: int) -> str:
    fields = read_struct(mem, addr, _WINSIZE)
    if fields is None:
        return fmt_addr(addr)
    row, col, xpix, ypix = fields
    return f"{{ws_row={row}, ws_col={col}, ws_xpixel={xpix}, ws_ypixel={ypix}}}"


def fmt_int_ptr(mem, addr: int) -> str:
    """[42] for an int passed by pointer."""
    fields = read_struct(mem, addr, _I32)
    return fmt_addr(addr) if fields is None else f"[{fields[0]}]"


def fmt_sysinfo(mem, addr: int) -> str:
    """struct sysinfo in full, as strace prints it."""
    f = read_struct(mem, addr, _SYSINFO)
    if f is None:
        return fmt_addr(addr)
    (uptime, l1, l2, l3, total, free, shared, buffer, tswap, fswap, procs, thigh, fhigh,
     unit) = f
    return (f"{{uptime={uptime}, loads=[{l1}, {l2}, {l3}], totalram={total}, freeram={free}, "
            f"sharedram={shared}, bufferram={buffer}, totalswap={tswap}, freeswap={fswap}, "
            f"procs={procs}, totalhigh={thigh}, freehigh={fhigh}, mem_unit={unit}}}")


def fmt_utsname(mem, addr: int) -> str:
    """struct new_utsname abbreviated to sysname and nodename."""
    if not addr:
        return "NULL"
    fields = read_struct(mem, addr, struct.Struct("<65s65s"))
    if fields is None:
        return fmt_hex(addr)
    sysname, nodename = (f.split(b"\0", 1)[0] for f in fields)
    return f"{{sysname={quote_bytes(sysname)}, nodename={quote_bytes(nodename)}, ...}}"


def fmt_cpu_set(mem, addr: int, nbytes: int) -> str:
    """A CPU mask as the list of set CPUs: [0 1]."""
    if not addr:
        return "NULL"
    try:
        data = mem.read(addr, nbytes)
    except KernelError:
        return fmt_hex(addr)
    bits = int.from_bytes(data, "little")
    return "[" + " ".join(str(n) for n in range(nbytes * 8) if bits >> n & 1) + "]"


def fmt_flock(mem, addr: int) -> str:
    fields = read_struct(mem, addr, _FLOCK)
    if fields is None:
        return fmt_addr(addr)
    ltype, whence, start, length, pid = fields
    types = {0: "F_RDLCK", 1: "F_WRLCK", 2: "F_UNLCK"}
    whences = {0: "SEEK_SET", 1: "SEEK_CUR", 2: "SEEK_END"}
    return (f"{{l_type={fmt_xval(ltype, types, 'F_???')}, "
            f"l_whence={fmt_xval(whence, whences, 'SEEK_???')}, l_start={start}, "
            f"l_len={length}, l_pid={pid}}}")


def fmt_wait_status(status: int) -> str:
    """printstatus(): [{WIFEXITED(s) && WEXITSTATUS(s) == 3}] and friends."""
    sig = status & 0x7F
    if sig == 0:
        text = f"WIFEXITED(s) && WEXITSTATUS(s) == {status >> 8 & 0xFF}"
    elif sig == 0x7F:
        text = f"WIFSTOPPED(s) && WSTOPSIG(s) == {fmt_signo(status >> 8 & 0xFF)}"
    elif status == 0xFFFF:
        text = "WIFCONTINUED(s)"
    else:
        text = f"WIFSIGNALED(s) && WTERMSIG(s) == {fmt_signo(sig)}"
        if status & 0x80:
            text += " && WCOREDUMP(s)"
    return f"[{{{text}}}]"


def fmt_rusage(mem, addr: int) -> str:
    """struct rusage abbreviated to the two CPU times."""
    fields = read_struct(mem, addr, struct.Struct("<qqqq"))
    if fields is None:
        return fmt_addr(addr)
    us, uu, ss, su = fields
    return (f"{{ru_utime={{tv_sec={us}, tv_usec={uu}}}, "
            f"ru_stime={{tv_sec={ss}, tv_usec={su}}}, ...}}")


def fmt_int_list(mem, addr: int, count: int, fmt_one=str) -> str:
    """[1, 2, 3] of count 32-bit ints (getgroups, pipe fds)."""
    if not addr:
        return "NULL"
    try:
        data = mem.read(addr, 4 * count)
    except KernelError:
        return fmt_hex(addr)
    values = struct.unpack(f"<{count}i", data)
    return fmt_array(fmt_one(v) for v in values)

