"""siginfo printing for the strace-format log: the braces of ``--- SIGSEGV {...} ---``.

Mirrors strace's src/printsiginfo.c: which fields appear depends on who sent the signal
(si_code <= 0: a process, with pid and uid), on the signal (faults carry si_addr, SIGCHLD
carries the child's pid, status and times) and SI_KERNEL.
"""
from glasskernel.tools.strace.strace_structs import fmt_signo
from glasskernel.tools.strace.strace_util import fmt_addr
from glasskernel.uapi.signal import (
    BusCode, CldCode, FpeCode, IllCode, SegvCode, SiCode, Signal, TrapCode)

_FAULT_CODES = {Signal.SIGSEGV: SegvCode, Signal.SIGBUS: BusCode, Signal.SIGILL: IllCode,
                Signal.SIGFPE: FpeCode, Signal.SIGTRAP: TrapCode}


def si_code_name(signo: int, code: int) -> str:
    """SEGV_MAPERR, SI_USER, CLD_EXITED..., or the number."""
    if code <= 0 or code == SiCode.SI_KERNEL:
        try:
            return SiCode(code).name
        except ValueError:
            return str(code)
    table = CldCode if signo == Signal.SIGCHLD else _FAULT_CODES.get(signo)
    try:
        return table(code).name if table else str(code)
    except ValueError:
        return str(code)


def fmt_siginfo(signo: int, code: int, addr: int, fields: dict) -> str:
    """{si_signo=..., si_code=..., <fields for this kind of signal>}."""
    parts = [f"si_signo={fmt_signo(signo)}", f"si_code={si_code_name(signo, code)}"]
    if code <= 0:
        parts += [f"si_pid={fields.get('si_pid', 0)}", f"si_uid={fields.get('si_uid', 0)}"]
    elif signo in _FAULT_CODES:
        parts.append(f"si_addr={fmt_addr(addr)}")
    elif signo == Signal.SIGCHLD and code != SiCode.SI_KERNEL:
        parts += _sigchld_fields(code, fields)
    return "{" + ", ".join(parts) + "}"


def _sigchld_fields(code: int, fields: dict) -> list:
    """A child's pid, uid, status (a signal name unless it exited) and CPU times."""
    status = fields.get("si_status", 0)
    status_text = str(status) if code == CldCode.CLD_EXITED else fmt_signo(status)
    return [f"si_pid={fields.get('si_pid', 0)}", f"si_uid={fields.get('si_uid', 0)}",
            f"si_status={status_text}", f"si_utime={fields.get('si_utime', 0)}",
            f"si_stime={fields.get('si_stime', 0)}"]
