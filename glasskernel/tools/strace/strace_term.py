"""ioctl decoding for the strace-format log: request names and terminal structs.

Mirrors strace's src/ioctl.c (the _IOC fallback), src/term.c (struct termios, winsize) and
the xlat tables for the termios flag words.
"""
import struct

from glasskernel.tools.strace.strace_structs import fmt_int_ptr, fmt_winsize
from glasskernel.tools.strace.strace_util import Call, fmt_addr, fmt_hex, flag_names, read_struct
from glasskernel.uapi.ioctls import Ioctl

_TERMIOS = struct.Struct("<IIII")

# strace's ioctl table knows these OSS sequencer requests share numbers with TCSETS*.
_AMBIGUOUS = {0x5402: "SNDCTL_TMR_START or TCSETS", 0x5403: "SNDCTL_TMR_STOP or TCSETSW",
              0x5404: "SNDCTL_TMR_CONTINUE or TCSETSF"}
_IOC_DIRS = {0: "_IOC_NONE", 1: "_IOC_WRITE", 2: "_IOC_READ", 3: "_IOC_READ|_IOC_WRITE"}

_IFLAGS = tuple((1 << i, n) for i, n in enumerate(
    ("IGNBRK", "BRKINT", "IGNPAR", "PARMRK", "INPCK", "ISTRIP", "INLCR", "IGNCR", "ICRNL",
     "IUCLC", "IXON", "IXANY", "IXOFF", "IMAXBEL", "IUTF8")))
_OFLAGS = tuple((1 << i, n) for i, n in enumerate(
    ("OPOST", "OLCUC", "ONLCR", "OCRNL", "ONOCR", "ONLRET", "OFILL", "OFDEL")))
_LFLAGS = ((0o1, "ISIG"), (0o2, "ICANON"), (0o4, "XCASE"), (0o10, "ECHO"), (0o20, "ECHOE"),
           (0o40, "ECHOK"), (0o100, "ECHONL"), (0o200, "NOFLSH"), (0o100000, "IEXTEN"),
           (0o1000, "ECHOCTL"), (0o2000, "ECHOPRT"), (0o4000, "ECHOKE"), (0o10000, "FLUSHO"),
           (0o40000, "PENDIN"), (0o400, "TOSTOP"), (0o200000, "EXTPROC"))
_CFLAGS = ((0o100, "CSTOPB"), (0o200, "CREAD"), (0o400, "PARENB"), (0o1000, "PARODD"),
           (0o2000, "HUPCL"), (0o4000, "CLOCAL"), (0o10000000000, "CMSPAR"),
           (0o20000000000, "CRTSCTS"))
# Delay fields of c_oflag: (mask, names by value) in the order strace prints them.
_ODELAYS = ((0o400, {0: "NL0", 0o400: "NL1"}),
            (0o3000, {0: "CR0", 0o1000: "CR1", 0o2000: "CR2", 0o3000: "CR3"}),
            (0o14000, {0: "TAB0", 0o4000: "TAB1", 0o10000: "TAB2", 0o14000: "XTABS"}),
            (0o20000, {0: "BS0", 0o20000: "BS1"}),
            (0o40000, {0: "VT0", 0o40000: "VT1"}),
            (0o100000, {0: "FF0", 0o100000: "FF1"}))
_BAUDS = ("B0 B50 B75 B110 B134 B150 B200 B300 B600 B1200 B1800 B2400 B4800 B9600 B19200 "
          "B38400 B57600 B115200 B230400 B460800 B500000 B576000 B921600 B1000000 B1152000 "
          "B1500000 B2000000 B2500000 B3000000 B3500000 B4000000").split()
_CBAUD = 0o10017
_CSIZE = 0o60


def ioctl_request_name(req: int) -> str:
    """The request argument: TCGETS, or _IOC(dir, type, nr, size) for unknown numbers."""
    req &= 0xFFFFFFFF
    if req in _AMBIGUOUS:
        return _AMBIGUOUS[req]
    try:
        return Ioctl(req).name
    except ValueError:
        pass
    direction, size = req >> 30, req >> 16 & 0x3FFF
    return (f"_IOC({_IOC_DIRS[direction]}, {req >> 8 & 0xFF:#x}, {req & 0xFF:#x}, "
            f"{fmt_hex(size)})")


def _flag_word(value: int, table, prefix: str = "") -> str:
    """A termios flag word: known names joined by |, unknown bits in hex, '' for none."""
    names, rest = flag_names(value, table)
    if rest:
        names.append(f"{rest:#x}")
    return prefix + "|".join(names)


def _baud_name(code: int) -> str:
    index = code & 0o17 if not code & 0o10000 else 16 + (code & 0o17) - 1
    return _BAUDS[index] if index < len(_BAUDS) else f"{code:#o}"


def _cflag_word(cflag: int) -> str:
    """c_cflag: output baud, input baud (if any), character size, then flags."""
    prefix = _baud_name(cflag & _CBAUD) + "|"
    ibaud = cflag >> 16 & _CBAUD
    if ibaud:
        prefix += _baud_name(ibaud) + "<<IBSHIFT|"
    prefix += f"CS{5 + (cflag & _CSIZE) // 0o20}|"
    return _flag_word(cflag & ~(_CBAUD | _CBAUD << 16 | _CSIZE), _CFLAGS, prefix)


def _oflag_word(oflag: int) -> str:
    prefix = "".join(names[oflag & mask] + "|" for mask, names in _ODELAYS)
    rest = oflag & ~sum(mask for mask, _ in _ODELAYS)
    return _flag_word(rest, _OFLAGS, prefix)


def fmt_termios(mem, addr: int) -> str:
    """struct termios (the kernel's) abbreviated to its four flag words."""
    fields = read_struct(mem, addr, _TERMIOS)
    if fields is None:
        return fmt_addr(addr)
    iflag, oflag, cflag, lflag = fields
    return (f"{{c_iflag={_flag_word(iflag, _IFLAGS)}, c_oflag={_oflag_word(oflag)}, "
            f"c_cflag={_cflag_word(cflag)}, c_lflag={_flag_word(lflag, _LFLAGS)}, ...}}")


_OUT_STRUCTS = {Ioctl.TCGETS: fmt_termios, Ioctl.TIOCGWINSZ: fmt_winsize,
                Ioctl.TIOCGPGRP: fmt_int_ptr, Ioctl.FIONREAD: fmt_int_ptr,
                Ioctl.TIOCGPTN: fmt_int_ptr, Ioctl.TIOCOUTQ: fmt_int_ptr,
                Ioctl.TIOCGSID: fmt_int_ptr}
_IN_STRUCTS = {Ioctl.TCSETS: fmt_termios, Ioctl.TCSETSW: fmt_termios,
               Ioctl.TCSETSF: fmt_termios, Ioctl.TIOCSWINSZ: fmt_winsize,
               Ioctl.TIOCSPGRP: fmt_int_ptr, Ioctl.FIONBIO: fmt_int_ptr,
               Ioctl.TIOCSPTLCK: fmt_int_ptr}
_NO_ARG = {Ioctl.FIOCLEX, Ioctl.FIONCLEX, Ioctl.TIOCNOTTY, Ioctl.TIOCEXCL, Ioctl.TIOCNXCL}


def ioctl_arg(c: Call, req: int, addr: int) -> str:
    """The third argument: structs read after the call for 'get' requests, before for 'set'."""
    if req in _OUT_STRUCTS:
        return fmt_addr(addr) if c.failed else _OUT_STRUCTS[req](c.mem, addr)
    if req in _IN_STRUCTS:
        return _IN_STRUCTS[req](c.mem, addr)
    return fmt_hex(addr)


def dec_ioctl(c: Call) -> str:
    """ioctl(fd, request, arg)."""
    req = c.uint_arg(1)
    head = f"{c.int_arg(0)}, {ioctl_request_name(req)}"
    if req in _NO_ARG:
        return head
    return f"{head}, {ioctl_arg(c, req, c.arg(2))}"
