"""Smaller per-process files of /proc/<pid> (fs/proc/base.c, kernel/cgroup/cgroup.c).

limits (proc_pid_limits), personality, auxv (the saved auxiliary vector), wchan,
timerslack_ns, loginuid and sessionid (audit: never set, so -1 as an unsigned int),
cgroup (one cgroup v2 hierarchy, everyone in its root).
"""
from glasskernel.uapi.resource import INIT_RLIMITS, RLIM_INFINITY, Rlimit

AUDIT_UNSET = 0xFFFFFFFF

# lnames: the row title and unit of each resource, in resource order
_LIMIT_NAMES = (
    ("Max cpu time", "seconds"), ("Max file size", "bytes"), ("Max data size", "bytes"),
    ("Max stack size", "bytes"), ("Max core file size", "bytes"),
    ("Max resident set", "bytes"), ("Max processes", "processes"),
    ("Max open files", "files"), ("Max locked memory", "bytes"),
    ("Max address space", "bytes"), ("Max file locks", "locks"),
    ("Max pending signals", "signals"), ("Max msgqueue size", "bytes"),
    ("Max nice priority", None), ("Max realtime priority", None),
    ("Max realtime timeout", "us"),
)


def _limit_text(value: int) -> str:
    return "unlimited" if value == RLIM_INFINITY else str(value)


def task_rlimit_pair(task, resource: int) -> tuple:
    """(soft, hard) of a resource: the task's own, else the boot defaults."""
    limits = task.rlimits or {}
    pair = limits.get(resource) if hasattr(limits, "get") else None
    return pair or INIT_RLIMITS[Rlimit(resource)]


def proc_pid_limits(task) -> bytes:
    """proc_pid_limits: a header, then soft and hard limit of each resource."""
    lines = [f"{'Limit':<25} {'Soft Limit':<20} {'Hard Limit':<20} {'Units':<10}\n"]
    for resource, (name, unit) in enumerate(_LIMIT_NAMES):
        soft, hard = task_rlimit_pair(task, resource)
        line = f"{name:<25} {_limit_text(soft):<20} {_limit_text(hard):<20} "
        if unit:
            line += f"{unit:<10}"
        lines.append(line + "\n")
    return "".join(lines).encode()


def proc_pid_personality(task) -> bytes:
    return f"{task.personality & 0xFFFFFFFF:08x}\n".encode()


def proc_pid_auxv(task) -> bytes:
    """The auxiliary vector exec built, up to and including its AT_NULL pair."""
    mm = task.mm if not task.kthread else None
    auxv = getattr(mm, "auxv", b"") or b""
    for i in range(0, len(auxv) - 15, 16):
        if int.from_bytes(auxv[i:i + 8], "little") == 0:
            return auxv[:i + 16]
    return auxv


def proc_pid_wchan(task) -> bytes:
    """The function a sleeping task waits in; without symbols Linux shows 0 (no newline)."""
    return b"0"


def proc_pid_timerslack_ns(task) -> bytes:
    return f"{task.timer_slack_ns}\n".encode()


def proc_pid_loginuid(task) -> bytes:
    """No audit login happened: (uid_t)-1, with no newline, as proc_loginuid_read."""
    return str(AUDIT_UNSET).encode()


def proc_pid_sessionid(task) -> bytes:
    return str(AUDIT_UNSET).encode()


def proc_cgroup_show(task) -> bytes:
    """One cgroup v2 hierarchy (id 0) whose root holds every task."""
    return b"0::/\n"
