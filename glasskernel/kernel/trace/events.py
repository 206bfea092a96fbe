"""What tracepoints show: small formatters turning kernel values into teaching text.

Clone flags become their names (``CLONE_VM|CLONE_VFORK|SIGCHLD``), addresses become hex,
and each copy_X step of copy_process says whether the child shares or copies the parent's
object and which flag decided it.
"""
from glasskernel.uapi.sched import CloneFlag
from glasskernel.uapi.signal import signal_name

CSIGNAL = 0xFF


def clone_flags_text(flags: int, exit_signal: int = 0) -> str:
    """strace's spelling of clone flags: names joined with |, the exit signal last."""
    names = [f.name for f in CloneFlag if f.value & ~CSIGNAL and flags & f.value == f.value]
    rest = flags & ~sum(f.value for f in CloneFlag if f.value & ~CSIGNAL and flags & f.value)
    rest &= ~CSIGNAL
    if rest:
        names.append(hex(rest))
    if exit_signal:
        names.append(signal_name(exit_signal))
    return "|".join(names) or "0"


def hexaddr(value: int) -> str:
    return f"{value:#x}"


def share_or_copy_args(flag: int, shared_what: str):
    """args() for a copy_X step: shared when flag is set, copied otherwise, and why."""
    name = CloneFlag(flag).name

    def show(flags, current, p):
        shared = bool(flags & flag)
        return {"action": "shared" if shared else "copied",
                "why": f"{name} {'set' if shared else 'clear'}",
                "what": shared_what}
    return show


def clone_args(current, args) -> dict:
    return {"flags": clone_flags_text(args.flags, args.exit_signal)}


def pid_ret(result) -> dict:
    """A new task's pid as the event's return value."""
    return {"ret": getattr(result, "pid", result)}
