"""Breakpoints on kernel functions: ``glasskernel run --break copy_process PROGRAM``.

A breakpoint is a probe on the tracer: when a traced function whose name matches is
entered (or the syscall named by ``--break-syscall``), the run pauses in a small console
on the terminal, the way gdb stops in a kernel booted under QEMU. From there the user
looks at ``current``, the task list, the user registers, the kernel call stack (the
traced calls open in this task) and the user backtrace with symbols from the program's
ELF file, then continues, steps to the next kernel function, or drops into pdb.
"""
import cmd
import difflib
import fnmatch
import struct
import sys

from glasskernel.arch.x86.kernel.ptrace import getreg32_values, user_mode_is_compat
from glasskernel.kernel.task import task_state_to_char
from glasskernel.kernel.trace.tracepoint import traceable_functions
from glasskernel.tools.breakpoint.usersyms import UserSymbols
from glasskernel.uapi.errno import KernelError
from glasskernel.kernel.signal import send_signal
from glasskernel.arch.x86.kernel.process_64 import user_regs
from glasskernel.uapi.unistd_64 import syscall_name

REGS_SHOWN = ("rip", "rsp", "rbp", "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9",
              "r10", "r11", "r12", "r13", "r14", "r15", "rflags", "fs_base")
REGS32_SHOWN = ("eip", "esp", "ebp", "eax", "ebx", "ecx", "edx", "esi", "edi", "eflags",
                "cs", "ss", "ds", "es", "fs", "gs", "gs_base")


class BreakpointProbe:
    """Stops at matching function entries; keeps each task's open kernel calls.

    A pattern that can never stop (it matches no traceable function and no syscall's
    __x64_sys_NAME) is refused with a ValueError naming close matches.
    """

    def __init__(self, kernel, functions=(), syscalls=(), console_io=None):
        self.kernel = kernel
        by_span = {f"__x64_sys_{e.name}": e for e in kernel.sys_call_table.values()}
        by_span.update((f"__ia32_sys_{e.name}", e) for e in kernel.ia32_sys_call_table().values())
        # a syscall breakpoint stops a 64-bit or an i386 program's call of that name
        self.patterns = list(functions) + [f"__{abi}_sys_{name}" for name in syscalls
                                           for abi in ("x64", "ia32") if f"__{abi}_sys_{name}" in by_span]
        self.stacks = {}            # pid -> [TraceEvent of each open call]
        self.stepping = False
        self.console_io = console_io
        self.hits = 0
        for name in syscalls:
            if f"__x64_sys_{name}" not in by_span and f"__ia32_sys_{name}" not in by_span:
                raise ValueError(f"--break-syscall {name}: unknown syscall"
                                 + _close_matches(name, [e.name for e in by_span.values()]))
        names = traceable_functions() | by_span.keys()
        for pattern in self.patterns:
            matched = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
            if not matched:
                raise ValueError(_no_match_message(pattern, names, by_span.values()))
            for name in matched:    # a breakpoint needs the call on the slow path (a span)
                if name in by_span:
                    by_span[name].slow = True

    def __call__(self, event) -> None:
        stack = self.stacks.setdefault(event.pid, [])
        if event.ph == "B":
            stack.append(event)
            if self.stepping or any(fnmatch.fnmatchcase(event.name, p) for p in self.patterns):
                self.stepping = False
                self.hits += 1
                self.hit(event)
        elif event.ph == "E" and stack:
            stack.pop()

    def hit(self, event) -> None:
        """A breakpoint was reached: the console (the gdb stub stops gdb's session instead)."""
        Console(self, event).run()


class Console(cmd.Cmd):
    """The commands available while the kernel is stopped."""

    prompt = "(gk) "

    def __init__(self, probe, event):
        stdin, stdout = probe.console_io or _terminal()
        super().__init__(stdin=stdin, stdout=stdout)
        self.use_rawinput = False
        self.probe = probe
        self.kernel = probe.kernel
        self.event = event
        self.task = self.kernel.current

    def run(self) -> None:
        e = self.event
        self.say(f"\nbreakpoint: {e.name}({_fmt_args(e.args)}) in {self.task.comm}-{self.task.pid}"
                 f"  [type help; c to continue]")
        self.cmdloop()

    def say(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    # ----- commands ---------------------------------------------------------------------------

    def do_current(self, _arg) -> None:
        """current: the task running the kernel code here."""
        t = self.task
        parent = t.real_parent.pid if t.real_parent is not None else 0
        self.say(f"current: pid {t.pid} tgid {t.tgid} comm {t.comm!r} ppid {parent} "
                 f"state {task_state_to_char(t)} exe {(t.mm.exe_path if t.mm is not None else '') or '-'}")

    def do_tasks(self, _arg) -> None:
        """tasks: every task (pid, parent, state, name)."""
        for line in task_lines(self.kernel, self.task):
            self.say(line)

    def do_regs(self, _arg) -> None:
        """regs: the user registers saved on kernel entry (pt_regs) of current."""
        for line in regs_lines(self.kernel, self.task):
            self.say(line)

    def do_bt(self, _arg) -> None:
        """bt: the kernel call stack (traced calls open in current, innermost first)."""
        for line in kernel_stack_lines(self.probe, self.task):
            self.say(line)

    def do_ubt(self, _arg) -> None:
        """ubt: the user backtrace: rip, then return addresses found on the user stack."""
        for line in user_backtrace(self.kernel, self.task):
            self.say(line)

    def do_args(self, _arg) -> None:
        """args: the arguments of the function we stopped in."""
        for key, value in self.event.args.items():
            self.say(f"  {key} = {value}")

    def do_step(self, _arg) -> bool:
        """step: continue to the next traced kernel function (any task)."""
        self.probe.stepping = True
        return True

    do_s = do_step

    def do_continue(self, _arg) -> bool:
        """continue: run until the next breakpoint."""
        return True

    do_c = do_continue

    def do_delete(self, _arg) -> bool:
        """delete: remove every breakpoint and continue."""
        self.probe.patterns.clear()
        return True

    def do_pdb(self, _arg) -> None:
        """pdb: Python's debugger on the kernel (kernel, task and event are defined)."""
        import pdb
        kernel, task, event = self.kernel, self.task, self.event   # noqa: F841 (for pdb)
        pdb.Pdb(stdin=self.stdin, stdout=self.stdout).set_trace()

    def do_quit(self, _arg) -> bool:
        """quit: kill every guest task and end the run."""
        for t in list(self.kernel.tasks.values()):
            if not t.kthread:
                send_signal(t, 9)
        self.probe.patterns.clear()
        return True

    do_q = do_quit

    def do_EOF(self, _arg) -> bool:
        self.say("")
        return True

    def emptyline(self) -> None:
        pass


def task_lines(kernel, current) -> list:
    """The task list (pid, parent, state, name), current marked with *."""
    lines = ["  PID  PPID S COMM"]
    for t in sorted(kernel.tasks.values(), key=lambda t: t.pid):
        parent = t.real_parent.pid if t.real_parent is not None else 0
        mark = "*" if t is current else " "
        lines.append(f"{mark}{t.pid:4} {parent:5} {task_state_to_char(t)} {t.comm}")
    return lines


def regs_lines(kernel, task) -> list:
    """The user registers the kernel holds for task (pt_regs), orig_ax included: the
    syscall number during a syscall, -1 otherwise."""
    if user_mode_is_compat(task):
        return _regs32_lines(kernel, task)
    regs = _user_regs(kernel, task)
    orig = task.thread.orig_rax
    values = [(n, regs.get(n, 0)) for n in REGS_SHOWN] + [("orig_ax", orig & (1 << 64) - 1)]
    lines = ["  ".join(f"{n:>7} {v:#018x}" for n, v in values[i:i + 3]) for i in range(0, len(values), 3)]
    return lines + [f"orig_ax = {orig}" + (f" ({syscall_name(orig)})" if orig >= 0 else "")]


def _regs32_lines(kernel, task) -> list:
    """regs_lines for a task in compatibility mode: the i386 register set (the low halves
    of pt_regs, the CPU's selectors), orig_eax named from the i386 table."""
    from glasskernel.uapi.unistd_32 import syscall_name
    regs = getreg32_values(kernel, task)
    orig = regs["orig_eax"]
    values = [(n, regs[n]) for n in REGS32_SHOWN] + [("orig_eax", orig & 0xFFFFFFFF)]
    lines = ["  ".join(f"{n:>8} {v:#010x}" for n, v in values[i:i + 4]) for i in range(0, len(values), 4)]
    return lines + [f"orig_eax = {orig}" + (f" ({syscall_name(orig)})" if orig >= 0 else "")]


def kernel_stack_lines(probe, task) -> list:
    """The traced kernel calls open in task, innermost first (#0 is the deepest)."""
    stack = probe.stacks.get(task.pid, [])
    return [f"#{depth:<2} {e.name}({_fmt_args(e.args)})" for depth, e in enumerate(reversed(stack))]


def _no_match_message(pattern: str, names, syscalls) -> str:
    """The one-line refusal of a --break pattern that can never stop."""
    text = f"--break {pattern}: no traceable kernel function or syscall matches"
    if any(fnmatch.fnmatchcase(e.name, pattern) for e in syscalls):
        return text + f" (for a syscall: --break-syscall {pattern} or --break __x64_sys_{pattern})"
    return text + _close_matches(pattern, names)


def _close_matches(word: str, names) -> str:
    """"; close matches: a, b" (difflib's choice), or nothing when none is close."""
    close = difflib.get_close_matches(word, sorted(names), n=4, cutoff=0.6)
    return f"; close matches: {', '.join(close)}" if close else ""


def _terminal():
    """The console talks to the controlling terminal, so the guest keeps its stdio."""
    try:
        tty = open("/dev/tty", "r+", buffering=1)
        return tty, tty
    except OSError:
        return sys.stdin, sys.stderr


def _fmt_args(args: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in args.items())


def _user_regs(kernel, task) -> dict:
    if task.thread is None:
        return {}
    return user_regs(task)


def _readable_prefix(mm, addr: int, length: int) -> bytes:
    """Up to length bytes at addr, stopping at the first page that cannot be read (the
    top of an i386 stack is a few hundred bytes above its pointer)."""
    out = b""
    while len(out) < length:
        chunk = min(length - len(out), 4096 - (addr + len(out)) % 4096)
        try:
            out += mm.read(addr + len(out), chunk)
        except KernelError:                     # EFAULT: not mapped
            break
    return out


def user_backtrace(kernel, task, words: int = 256) -> list:
    """rip with its symbol, then stack words that point into the program's code (gdb's
    fallback when there are no frame pointers: possible return addresses). The stack
    words of an i386 program are 4 bytes."""
    regs = _user_regs(kernel, task)
    if task.mm is None or not regs:
        return ["(no user context: a kernel thread)"]
    syms = UserSymbols.for_mm(task.mm)
    lines = [f"#0  {regs['rip']:#x} in {syms.describe(regs['rip'])}"]
    word = "<I" if user_mode_is_compat(task) else "<Q"
    raw = _readable_prefix(task.mm, regs["rsp"], words * struct.calcsize(word))
    raw = raw[:len(raw) // struct.calcsize(word) * struct.calcsize(word)]
    frame = 1
    for (value,) in struct.iter_unpack(word, raw):
        name = syms.lookup(value)
        if name is not None:
            lines.append(f"#{frame:<2} {value:#x} in {syms.describe(value)}   (return address?)")
            frame += 1
    return lines


__all__ = ["BreakpointProbe", "Console", "user_backtrace", "task_lines", "regs_lines",
           "kernel_stack_lines"]
