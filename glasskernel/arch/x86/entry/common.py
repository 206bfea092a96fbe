"""System-call and exception entry from user mode (arch/x86/entry/common.c, entry_64.S).

The emulator hook is our ``entry_SYSCALL_64``: the user registers are still live in the
CPU, so ``do_syscall_64`` reads just the number and arguments, dispatches through
``sys_call_table`` and writes rax. This is the fast path, run inside the emulator.

A syscall leaves the emulator (returns False to the CPU) when the task's saved context was
rewritten (execve) or the task stopped running (exit); the task's run loop then takes over.
"""
from glasskernel.arch.x86.cpu import RET_VALID_WORD, RET_WORD
from glasskernel.arch.x86.kernel.thread_info import (_TIF_NEED_REGS_LOAD, _TIF_NEED_RESCHED,
                                                     _TIF_SLOW_SYSCALL, _TIF_SYSCALL_INTERRUPTED)
from glasskernel.kernel.sched.park import ERESTART_PARK, may_park, park_in_hook
from glasskernel.kernel.sched.wait import SlowPathRequired
from glasskernel.kernel.trace import tracepoint
from glasskernel.kernel.trace.events import trace_sys_enter
from glasskernel.uapi.errno import (ERESTART_RESTARTBLOCK, ERESTARTNOHAND, ERESTARTNOINTR,
                                    ERESTARTSYS, Errno, KernelError, errno_name)
from glasskernel.arch.x86.kernel.process_64 import get_user_reg, set_user_reg
from glasskernel.kernel.printk import pr_warn
from glasskernel.uapi.unistd_64 import syscall_name
from glasskernel.arch.x86.kernel.dumpstack import internal_error

# Vector numbers of x86 exceptions (arch/x86/include/asm/trapnr.h).
X86_TRAP_DE, X86_TRAP_DB, X86_TRAP_BP, X86_TRAP_OF, X86_TRAP_BR = 0, 1, 3, 4, 5
X86_TRAP_UD, X86_TRAP_NM, X86_TRAP_DF, X86_TRAP_GP, X86_TRAP_PF = 6, 7, 8, 13, 14
X86_TRAP_MF, X86_TRAP_AC, X86_TRAP_XF = 16, 17, 19
MAX_ERRNO = 4095


_RESTART_CODES = frozenset((-ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK))


class SyscallEntry:
    """One row of the declarative table: number, name, handler and how complete it is.

    ``slow`` syscalls may sleep or switch tasks (fork, wait, exit, execve, nanosleep…):
    they never run inside the emulator hook but on the task's own kernel stack, after
    the full pt_regs have been saved.
    """

    __slots__ = ("nr", "name", "handler", "nargs", "call", "support", "note", "slow")

    def __init__(self, nr, name, handler, support="supported", note="", slow=False):
        self.nr = nr
        self.name = name
        self.handler = handler
        self.nargs = handler.__code__.co_argcount - 1 if handler else 0
        # call(task, [nr, arg0 .. arg5]): the handler with its own number of arguments
        self.call = _CALLERS[self.nargs](handler) if handler else None
        self.support = support
        self.note = note
        self.slow = slow


# Callers of a handler taking n arguments from the hook's [nr, arg0 .. arg5] list.
# Written out per arity: ``handler(task, *args[1:1 + n])`` builds a list and a tuple on
# every syscall (~0.2 µs here, against ~0.08 µs for this extra frame).
_CALLERS = (
    lambda h: lambda task, a: h(task),
    lambda h: lambda task, a: h(task, a[1]),
    lambda h: lambda task, a: h(task, a[1], a[2]),
    lambda h: lambda task, a: h(task, a[1], a[2], a[3]),
    lambda h: lambda task, a: h(task, a[1], a[2], a[3], a[4]),
    lambda h: lambda task, a: h(task, a[1], a[2], a[3], a[4], a[5]),
    lambda h: lambda task, a: h(task, a[1], a[2], a[3], a[4], a[5], a[6]),
)


def do_syscall_64(kernel) -> bool:
    """The syscall hook: fast syscalls run here, with the registers live in the CPU.

    Returns True to keep running user code, False to leave the emulator (a slow syscall
    is pending, the context was rewritten, or the task is exiting). This is the hottest
    path of the kernel: the handler call is inlined here rather than going through
    invoke() (slow syscalls, exit included, never get here), and the uncommon outcomes
    are left to ``_fast_syscall_exit``. A syscall that must wait may park its task
    (ERESTART_PARK) and hand the CPU to a parked task in place (park.py): the loop then
    runs that task's syscall again, and the hook returns into it. The CPU calls this
    straight from its C hook, so it must not raise: an exception is handed to the CPU,
    which re-raises it once stopped.
    """
    try:
        task = kernel.current
        cpu = kernel.cpu
        args = cpu.syscall_args()                     # [nr, arg0 .. arg5]
        while True:
            nr = args[0]
            entry = kernel.sys_call_table.get(nr)
            if entry is not None and entry.slow:
                save_pt_regs_for_slow_path(task, args)
                return False
            thread = task.thread
            thread.orig_rax = nr
            kernel.in_fast_syscall = True
            try:
                if entry is None:
                    ret = sys_ni_syscall(kernel, task, nr)
                else:
                    ret = entry.call(task, args)
            except KernelError as err:
                ret = -err.errno
            except SlowPathRequired:
                thread.orig_rax = -1
                save_pt_regs_for_slow_path(task, args)
                return False
            except Exception as exc:                  # an internal bug: report and contain it
                internal_error(task, exc, syscall=entry.name if entry else "")
                ret = -Errno.ENOSYS
            finally:
                kernel.in_fast_syscall = False
            thread.orig_rax = -1
            if ret != ERESTART_PARK:
                break
            # It must sleep on kernel.park_wq, and could be restarted from scratch.
            if not may_park(kernel, task):
                save_pt_regs_for_slow_path(task, args)
                return False
            task = park_in_hook(kernel, task, args, kernel.park_wq)
            if task is None:
                return False
            args = task.thread.slow_args
        # Any thread flag (a switch asked for, pt_regs to load) takes the longer way out:
        # one truth test here instead of a bit test per flag.
        if (tracepoint._active is not None or kernel.strace is not None or task.exiting
                or thread.flags or ret in _RESTART_CODES):
            return _fast_syscall_exit(kernel, task, nr, args[1:], ret)
        slot = cpu.return_slot                    # cpu.set_return(ret), inlined
        slot[RET_WORD] = ret & 0xFFFF_FFFF_FFFF_FFFF
        slot[RET_VALID_WORD] = 1
        # Pending signals are handled on the way out, outside the emulator, where the
        # task may sleep or switch (exit_to_user_mode_prepare).
        return not (task.pending & ~task.blocked)
    except BaseException as exc:                  # noqa: BLE001 - a kernel bug outside the handler
        kernel.cpu.keep_error(exc)                # cannot cross the emulator's C frames
        return False


def _fast_syscall_exit(kernel, task, nr, args, ret) -> bool:
    """The end of a fast syscall that is traced, logged, or does not simply return."""
    thread = task.thread
    if tracepoint._active is not None:
        tracepoint.trace_event("syscall", call=syscall_name(nr), nr=nr, ret=ret)
    if (kernel.strace is not None and not task.exiting
            and not (thread.flags & _TIF_NEED_REGS_LOAD and ret == 0)):
        # (a successful execve was logged by the exec path: its arguments are gone now)
        kernel.strace.syscall_exit(task, nr, tuple(args), ret, task.mm)
    if task.exiting:
        return False
    if thread.flags & _TIF_NEED_REGS_LOAD:
        # The handler took the saved context as the truth (sync_pt_regs): finish there.
        thread.regs["rax"] = ret & 0xFFFF_FFFF_FFFF_FFFF
        return False
    kernel.cpu.set_return(ret)
    if ret in _RESTART_CODES:
        # Interrupted (a job-control stop, say): the way out decides EINTR or a restart.
        thread.last_syscall_nr = nr
        thread.flags |= _TIF_SYSCALL_INTERRUPTED
        return False
    return not (task.pending & ~task.blocked or thread.flags & _TIF_NEED_RESCHED)


def save_pt_regs_for_slow_path(task, args: list) -> None:
    """Leave the emulator for the slow path with the syscall's number and arguments.

    The user registers stay in the CPU (rip already past `syscall`): they are saved with
    the rest of the context only if the task switches out, and read as pt_regs only by a
    handler that needs them (fork, signal delivery: ``sync_pt_regs`` and friends).
    """
    task.thread.slow_args = args
    task.thread.flags |= _TIF_SLOW_SYSCALL


def do_syscall_64_slow(kernel, task) -> None:
    """Run a slow syscall on the task's kernel stack; the result goes into saved rax."""
    thread = task.thread
    thread.flags &= ~_TIF_SLOW_SYSCALL
    nr, *args = thread.slow_args
    run_syscall(kernel, task, kernel.sys_call_table[nr], nr, args)


def run_syscall(kernel, task, entry, nr: int, args: list, table: str = "x64") -> None:
    """One syscall on the task's kernel stack, its result in saved rax: the tracing and
    debugger stops around the handler, and what the way out needs for a restart."""
    thread = task.thread
    thread.orig_rax = nr
    thread.regs_replaced = False
    trace_sys_enter(task, nr, args)
    debugger = kernel.debugger
    if debugger is not None and debugger.catching_syscalls:
        debugger.on_syscall(task, nr, True)       # `catch syscall`: the entry stop
    if entry is None:
        ret = sys_ni_syscall(kernel, task, nr, table)
    elif tracepoint._active is None:
        ret = invoke(kernel, task, entry, args)
    else:
        ret = _traced_invoke(kernel, task, entry, args, table)
    thread.orig_rax = -1
    thread.last_syscall_nr = nr
    if ret in _RESTART_CODES:
        thread.flags |= _TIF_SYSCALL_INTERRUPTED    # decided by the signal code on the way out
    replaced = thread.regs_replaced       # execve: the new context's rax is already 0
    if not replaced and not task.exiting:
        set_user_reg(task, "rax", ret & 0xFFFF_FFFF_FFFF_FFFF)
    if debugger is not None and debugger.catching_syscalls and not task.exiting:
        debugger.on_syscall(task, nr, False)      # and the return stop, rax set
    if kernel.strace is not None and not task.exiting and not (replaced and ret == 0):
        kernel.strace.syscall_exit(task, nr, tuple(args), ret, task.mm)


def _traced_invoke(kernel, task, entry, args, table: str = "x64") -> int:
    """invoke() as a span: the entry with its saved pt_regs, the exit with the result."""
    name = f"__{table}_sys_{entry.name}"
    rip, rsp = get_user_reg(task, "rip"), get_user_reg(task, "rsp")
    ip, sp = ("eip", "esp") if table == "ia32" else ("rip", "rsp")
    tracepoint.trace_enter(name, nr=entry.nr, args=[f"{a:#x}" for a in args[:entry.nargs]],
                           **{ip: f"{rip:#x}", sp: f"{rsp:#x}"})
    ret = invoke(kernel, task, entry, args)
    tracepoint.trace_exit(name, ret=ret)
    return ret


def invoke(kernel, task, entry, args) -> int:
    """Call a handler; KernelError becomes -errno, anything else an internal error."""
    if entry.name in ("exit", "exit_group") and kernel.strace is not None:
        kernel.strace.syscall_noreturn(task, entry.nr, tuple(args), task.mm)
    try:
        ret = entry.handler(task, *args[:entry.nargs])
    except KernelError as err:
        return -err.errno
    except SlowPathRequired:
        raise
    except Exception as exc:                      # an internal bug: report and contain it
        internal_error(task, exc, syscall=entry.name)
        return -Errno.ENOSYS
    return ret


def sys_ni_syscall(kernel, task, nr: int, table: str = "x64") -> int:
    """A number we do not implement: ENOSYS, with one warning per number per run (none
    for a number Linux has no syscall for either: that ENOSYS is Linux's own)."""
    if (table, nr) not in kernel.warned_syscalls:
        kernel.warned_syscalls.add((table, nr))
        if table == "x64":
            from glasskernel.uapi.unistd_64 import SYSCALL_NAMES
            what = "syscall"
        else:
            from glasskernel.uapi.unistd_32 import SYSCALL_NAMES
            what = "i386 syscall"
        if nr in SYSCALL_NAMES:
            pr_warn(kernel, f"{what} {SYSCALL_NAMES[nr]} ({nr}) is not implemented: ENOSYS")
    return -Errno.ENOSYS


def is_error(ret: int) -> bool:
    return -MAX_ERRNO <= ret < 0


def describe_error(ret: int) -> str:
    return errno_name(-ret)


# ----- the 32-bit entries (CONFIG_IA32_EMULATION) -------------------------------------------

def do_syscall_32_irqs_on(kernel, task, nr: int, args: list) -> None:
    """A 32-bit syscall through ia32_sys_call_table; its result in saved eax."""
    entry = kernel.ia32_sys_call_table().get(nr)
    run_syscall(kernel, task, entry, nr, args, "ia32")


def _trace_32(kernel, task, name: str, nr: int, **more) -> None:
    """The span of do_int80_syscall_32 / do_fast_syscall_32: which row of the table."""
    entry = kernel.ia32_sys_call_table().get(nr)
    tracepoint.trace_enter(name, task=task, nr=nr, row=f"ia32_sys_call_table[{nr}]",
                           handler=f"__ia32_sys_{entry.name}" if entry else "sys_ni_syscall", **more)


def do_int80_syscall_32(kernel, task) -> None:
    """int $0x80's syscall, on the task's kernel stack."""
    thread = task.thread
    thread.flags &= ~_TIF_SLOW_SYSCALL
    nr, *args = thread.slow_args
    if tracepoint._active is None:
        do_syscall_32_irqs_on(kernel, task, nr, args)
        return
    _trace_32(kernel, task, "do_int80_syscall_32", nr)
    do_syscall_32_irqs_on(kernel, task, nr, args)
    tracepoint.trace_exit("do_int80_syscall_32", task=task)


def do_fast_syscall_32(kernel, task) -> None:
    """sysenter's syscall. __kernel_vsyscall pushed ecx, edx and ebp and moved esp into
    ebp: the user stack pointer comes from ebp and the sixth argument from the stack there.
    The return goes to the vDSO's landing pad after its `int $0x80`, which pops them (so a
    restart, two bytes back, runs that `int $0x80`)."""
    from glasskernel.mm.uaccess import get_user_u32
    thread = task.thread
    thread.flags &= ~_TIF_SLOW_SYSCALL
    nr, *args = thread.slow_args
    from glasskernel.arch.x86.entry.vdso.vma import vdso32_sym
    stack = args[5]
    # Wherever the sysenter was, the return is to the vDSO's pad (sysenter keeps no eip).
    set_user_reg(task, "rip", task.mm.vdso + vdso32_sym("int80_landing_pad"))
    set_user_reg(task, "rsp", stack)
    try:
        args[5] = get_user_u32(task, stack)
    except KernelError:
        set_user_reg(task, "rax", -Errno.EFAULT & 0xFFFF_FFFF_FFFF_FFFF)
        return
    set_user_reg(task, "rbp", args[5])
    if tracepoint._active is None:
        do_syscall_32_irqs_on(kernel, task, nr, args)
        return
    _trace_32(kernel, task, "do_fast_syscall_32", nr, arg6=f"{args[5]:#x}", arg6_at=f"{stack:#x}",
              landing_pad=f"{task.mm.vdso + vdso32_sym('int80_landing_pad'):#x}",
              vsyscall=f"{task.mm.vdso + vdso32_sym('__kernel_vsyscall'):#x}")
    do_syscall_32_irqs_on(kernel, task, nr, args)
    tracepoint.trace_exit("do_fast_syscall_32", task=task)


def do_syscall_slow(kernel, task) -> None:
    """The slow syscall a task left the emulator for, by the entry it came through."""
    thread = task.thread
    how, thread.compat_entry = thread.compat_entry, ""
    if not how:
        do_syscall_64_slow(kernel, task)
    elif how == "entry_SYSENTER_compat":
        do_fast_syscall_32(kernel, task)
    else:
        do_int80_syscall_32(kernel, task)
