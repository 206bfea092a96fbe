"""Signal numbers and sigaction constants for x86-64 (arch/x86/include/uapi/asm/signal.h,
include/uapi/asm-generic/signal-defs.h, include/uapi/asm-generic/siginfo.h).

Real-time signals run from SIGRTMIN (32) to SIGRTMAX (64). glibc reserves 32 and 33 for its
threads and tells programs SIGRTMIN is 34; musl reserves 32..34 and says 35. strace names them
from the kernel's point of view: 32 is ``SIGRTMIN`` and 32+n is ``SIGRT_n``.
"""
from enum import IntEnum, IntFlag

from glasskernel.uapi import c_names

NSIG = 64                          # _NSIG: signals 1..64
SIGRTMIN = 32
SIGRTMAX = 64


class Signal(IntEnum):
    """The 31 classic signals."""

    SIGHUP = 1
    SIGINT = 2
    SIGQUIT = 3
    SIGILL = 4
    SIGTRAP = 5
    SIGABRT = 6
    SIGBUS = 7
    SIGFPE = 8
    SIGKILL = 9
    SIGUSR1 = 10
    SIGSEGV = 11
    SIGUSR2 = 12
    SIGPIPE = 13
    SIGALRM = 14
    SIGTERM = 15
    SIGSTKFLT = 16
    SIGCHLD = 17
    SIGCONT = 18
    SIGSTOP = 19
    SIGTSTP = 20
    SIGTTIN = 21
    SIGTTOU = 22
    SIGURG = 23
    SIGXCPU = 24
    SIGXFSZ = 25
    SIGVTALRM = 26
    SIGPROF = 27
    SIGWINCH = 28
    SIGIO = 29
    SIGPWR = 30
    SIGSYS = 31


SIGIOT = Signal.SIGABRT
SIGPOLL = Signal.SIGIO
SIGUNUSED = Signal.SIGSYS


class SaFlag(IntFlag):
    """struct sigaction sa_flags."""

    SA_NOCLDSTOP = 0x00000001
    SA_NOCLDWAIT = 0x00000002
    SA_SIGINFO = 0x00000004
    SA_UNSUPPORTED = 0x00000400
    SA_EXPOSE_TAGBITS = 0x00000800
    SA_RESTORER = 0x04000000
    SA_ONSTACK = 0x08000000
    SA_RESTART = 0x10000000
    SA_NODEFER = 0x40000000
    SA_RESETHAND = 0x80000000


class SigprocmaskHow(IntEnum):
    """rt_sigprocmask ``how``."""

    SIG_BLOCK = 0
    SIG_UNBLOCK = 1
    SIG_SETMASK = 2


SIG_DFL = 0                        # sa_handler values
SIG_IGN = 1
SIG_ERR = 0xFFFFFFFFFFFFFFFF


class SiCode(IntEnum):
    """siginfo si_code values common to all signals (<= 0: sent by a process)."""

    SI_USER = 0
    SI_KERNEL = 0x80
    SI_QUEUE = -1
    SI_TIMER = -2
    SI_MESGQ = -3
    SI_ASYNCIO = -4
    SI_SIGIO = -5
    SI_TKILL = -6
    SI_DETHREAD = -7
    SI_ASYNCNL = -60


class SegvCode(IntEnum):
    """si_code values for SIGSEGV."""

    SEGV_MAPERR = 1
    SEGV_ACCERR = 2
    SEGV_BNDERR = 3
    SEGV_PKUERR = 4
    SEGV_ACCADI = 5
    SEGV_ADIDERR = 6
    SEGV_ADIPERR = 7
    SEGV_MTEAERR = 8
    SEGV_MTESERR = 9


class BusCode(IntEnum):
    BUS_ADRALN = 1
    BUS_ADRERR = 2
    BUS_OBJERR = 3
    BUS_MCEERR_AR = 4
    BUS_MCEERR_AO = 5


class IllCode(IntEnum):
    ILL_ILLOPC = 1
    ILL_ILLOPN = 2
    ILL_ILLADR = 3
    ILL_ILLTRP = 4
    ILL_PRVOPC = 5
    ILL_PRVREG = 6
    ILL_COPROC = 7
    ILL_BADSTK = 8
    ILL_BADIADDR = 9


class FpeCode(IntEnum):
    FPE_INTDIV = 1
    FPE_INTOVF = 2
    FPE_FLTDIV = 3
    FPE_FLTOVF = 4
    FPE_FLTUND = 5
    FPE_FLTRES = 6
    FPE_FLTINV = 7
    FPE_FLTSUB = 8
    FPE_FLTUNK = 14
    FPE_CONDTRAP = 15


class TrapCode(IntEnum):
    TRAP_BRKPT = 1
    TRAP_TRACE = 2
    TRAP_BRANCH = 3
    TRAP_HWBKPT = 4
    TRAP_UNK = 5
    TRAP_PERF = 6


class CldCode(IntEnum):
    """si_code values for SIGCHLD."""

    CLD_EXITED = 1
    CLD_KILLED = 2
    CLD_DUMPED = 3
    CLD_TRAPPED = 4
    CLD_STOPPED = 5
    CLD_CONTINUED = 6


# What a shell prints when a child dies of a signal (glibc's strsignal / sys_siglist).
SIGNAL_DESCRIPTIONS = {
    1: "Hangup", 2: "Interrupt", 3: "Quit", 4: "Illegal instruction",
    5: "Trace/breakpoint trap", 6: "Aborted", 7: "Bus error", 8: "Floating point exception",
    9: "Killed", 10: "User defined signal 1", 11: "Segmentation fault",
    12: "User defined signal 2", 13: "Broken pipe", 14: "Alarm clock", 15: "Terminated",
    16: "Stack fault", 17: "Child exited", 18: "Continued", 19: "Stopped (signal)",
    20: "Stopped", 21: "Stopped (tty input)", 22: "Stopped (tty output)",
    23: "Urgent I/O condition", 24: "CPU time limit exceeded", 25: "File size limit exceeded",
    26: "Virtual timer expired", 27: "Profiling timer expired", 28: "Window changed",
    29: "I/O possible", 30: "Power failure", 31: "Bad system call",
}


def signal_name(signo: int) -> str:
    """The name strace gives a signal number: SIGSEGV, SIGRTMIN, SIGRT_3; else the number."""
    if 1 <= signo < SIGRTMIN:
        return Signal(signo).name
    if signo == SIGRTMIN:
        return "SIGRTMIN"
    if SIGRTMIN < signo <= SIGRTMAX:
        return f"SIGRT_{signo - SIGRTMIN}"
    return str(signo)


def signal_description(signo: int) -> str:
    """strsignal(): "Segmentation fault", "Real-time signal 2", "Unknown signal 99"."""
    if signo in SIGNAL_DESCRIPTIONS:
        return SIGNAL_DESCRIPTIONS[signo]
    if SIGRTMIN <= signo <= SIGRTMAX:
        return f"Real-time signal {signo - SIGRTMIN}"
    return f"Unknown signal {signo}"


def sigmask(signo: int) -> int:
    """The bit of a signal in a 64-bit sigset_t (signal n is bit n-1)."""
    return 1 << (signo - 1)


globals().update(c_names(Signal, SaFlag, SigprocmaskHow, SiCode, SegvCode, BusCode, IllCode, FpeCode, TrapCode, CldCode))
