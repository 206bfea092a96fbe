"""Smaller per-process files of /proc/<pid> (fs/proc/base.c, kernel/cgroup/cgroup.c).

limits (proc_pid_limits), personality, auxv (the saved auxiliary vector), wchan,
timerslack_ns, loginuid and sessionid (audit: never set, so -1 as an unsigned int),
cgroup (one cgroup v2 hierarchy, everyone in its root).
"""
from glasskernel.uapi.resource import INIT_RLIMITS, RLIM_INFINITY, Rlimit
from glasskernel.arch.x86.kernel.process_64 import user_regs

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
    pair = task.rlimits.get(resource)
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
    """The saved auxiliary vector read as Linux 6.1 reads it: unsigned longs, two at a
    time, up to a zero one at an even index. A 64-bit auxv ends with its AT_NULL pair; an
    i386 one (4-byte pairs) ends 8 or 16 zero bytes past it, from saved_auxv's zeroed
    tail."""
    mm = task.mm if not task.kthread else None
    saved = (mm.auxv if mm is not None else b"") + bytes(16)
    for i in range(0, len(saved) - 15, 16):
        if int.from_bytes(saved[i:i + 8], "little") == 0:
            return saved[:i + 16]
    return saved


# get_wchan's answer for a task asleep in these calls: the first caller of the scheduler
# outside it, as in Linux 6.1 (the names that later kernels kept too).
_WCHAN_OF_SYSCALL = {"wait4": "do_wait", "waitid": "do_wait",
                     "nanosleep": "hrtimer_nanosleep", "clock_nanosleep": "hrtimer_nanosleep"}
_WCHAN_OF_PIPE = {"read": "pipe_read", "readv": "pipe_read", "write": "pipe_write",
                  "writev": "pipe_write"}


def sleeping_syscall(task):
    """(name, arguments) of the call a sleeping task is in, or None."""
    thread = task.thread
    nr = thread.orig_rax
    args = thread.slow_args or ()
    if nr == -1 and thread.parked_wq is not None and args:
        nr = args[0]                    # parked in the syscall hook: it restarts from args
    if nr is None or nr < 0:
        return None
    if thread.ts_compat:                # in an i386 call: its number is the i386 table's
        from glasskernel.uapi.unistd_32 import SYSCALL_NAMES
    else:
        from glasskernel.uapi.unistd_64 import SYSCALL_NAMES
    return SYSCALL_NAMES.get(nr), (args[1:] if args and args[0] == nr else ())


def get_wchan(task) -> str:
    """Where a sleeping or stopped task waits, named as Linux names it; "" if we cannot
    tell (Linux's printout is then 0, as for an address without a symbol)."""
    from glasskernel.kernel.task import task_state_to_char
    state = task_state_to_char(task)
    if state == "T":
        return "do_signal_stop"
    if state not in ("S", "D") or task.thread is None:
        return ""
    found = sleeping_syscall(task)
    if found is None:
        return ""
    name, args = found
    if name in _WCHAN_OF_PIPE and args and task.files is not None:
        from glasskernel.fs.pipe import PipeFile
        file = task.files.fds.get(int(args[0]) & 0xFFFFFFFF)
        return _WCHAN_OF_PIPE[name] if isinstance(file, PipeFile) else ""
    return _WCHAN_OF_SYSCALL.get(name, "")


def proc_pid_wchan(task) -> bytes:
    """proc_pid_wchan: the symbol, or 0 (no newline either way)."""
    return (get_wchan(task) or "0").encode()


def proc_pid_syscall(task) -> bytes:
    """proc_pid_syscall: the number and six arguments of the call the task is in, then its
    user stack pointer and instruction pointer; "-1 sp pc" outside a call."""
    thread = task.thread
    if thread is None or task.mm is None:
        return b"-1 0x0 0x0\n"
    from glasskernel.arch.x86.kernel.ptrace import compat_orig_ax, user_mode_is_compat
    compat = user_mode_is_compat(task)
    nr = compat_orig_ax(task) if compat else thread.orig_rax   # stopped on an i386 call's way out too
    args = thread.slow_args or ()
    if nr < 0 and thread.parked_wq is not None and args:
        nr = args[0]                    # parked in the syscall hook: it restarts from args
    regs = user_regs(task)
    sp, pc = regs["rsp"], regs["rip"]
    if nr < 0:
        return f"-1 {sp:#x} {pc:#x}\n".encode()
    if args and args[0] == nr:
        values = list(args[1:7])
    else:
        names = ("rbx", "rcx", "rdx", "rsi", "rdi", "rbp") if compat else \
            ("rdi", "rsi", "rdx", "r10", "r8", "r9")     # syscall_get_arguments by mode
        values = [regs[r] for r in names]
    words = " ".join(f"{v & (2**64 - 1):#x}" for v in values)
    return f"{nr} {words} {sp:#x} {pc:#x}\n".encode()


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
