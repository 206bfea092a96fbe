"""System-call and exception entry from user mode (arch/x86/entry/common.c, entry_64.S).

The emulator hook is our ``entry_SYSCALL_64``: the user registers are still live in the
CPU, so ``do_syscall_64`` reads just the number and arguments, dispatches through
``sys_call_table`` and writes rax. This is the fast path, run inside the emulator.

A syscall leaves the emulator (returns False to the CPU) when the task's saved context was
rewritten (execve) or the task stopped running (exit); the task's run loop then takes over.
"""
from glasskernel.uapi.errno import Errno, KernelError, errno_name

# Vector numbers of x86 exceptions (arch/x86/include/asm/trapnr.h).
X86_TRAP_DE, X86_TRAP_DB, X86_TRAP_BP, X86_TRAP_OF, X86_TRAP_BR = 0, 1, 3, 4, 5
X86_TRAP_UD, X86_TRAP_NM, X86_TRAP_DF, X86_TRAP_GP, X86_TRAP_PF = 6, 7, 8, 13, 14
X86_TRAP_MF, X86_TRAP_AC, X86_TRAP_XF = 16, 17, 19
MAX_ERRNO = 4095


class SyscallEntry:
    """One row of the declarative table: number, name, handler and how complete it is."""

    __slots__ = ("nr", "name", "handler", "nargs", "support", "note")

    def __init__(self, nr, name, handler, support="supported", note=""):
        self.nr = nr
        self.name = name
        self.handler = handler
        self.nargs = handler.__code__.co_argcount - 1 if handler else 0
        self.support = support
        self.note = note


def do_syscall_64(kernel, task, cpu) -> bool:
    """Handle one syscall with the task's registers live in cpu; True = keep running."""
    nr, *args = cpu.syscall_args()
    thread = task.thread
    thread.orig_rax = nr
    entry = kernel.sys_call_table.get(nr)
    if entry is None:
        ret = sys_ni_syscall(kernel, task, nr)
    else:
        ret = invoke(kernel, task, entry, args)
    thread.orig_rax = -1
    if kernel.strace is not None and not task.exiting and not (thread.regs_dirty and ret == 0):
        # (a successful execve was logged by the exec path: its arguments are gone now)
        kernel.strace.syscall_exit(task, nr, tuple(args), ret, task.mm)
    if task.pending and not task.exiting:
        kernel.exit_to_user_mode(task)
    if task.exiting:
        return False
    if thread.regs_dirty:
        # execve rewrote the whole user context: leave the emulator so the run loop
        # loads it (the new program's rip, rsp and zeroed registers).
        return False
    cpu.set_return(ret)
    return True


def invoke(kernel, task, entry, args) -> int:
    """Call a handler; KernelError becomes -errno, anything else an internal error."""
    if entry.name in ("exit", "exit_group") and kernel.strace is not None:
        kernel.strace.syscall_noreturn(task, entry.nr, tuple(args), task.mm)
    try:
        ret = entry.handler(task, *args[:entry.nargs])
    except KernelError as err:
        return -err.errno
    except Exception as exc:                      # an internal bug: report and contain it
        kernel.internal_error(task, exc, syscall=entry.name)
        return -Errno.ENOSYS
    return ret


def sys_ni_syscall(kernel, task, nr: int) -> int:
    """A number we do not implement: ENOSYS, with one warning per number per run."""
    if nr not in kernel.warned_syscalls:
        kernel.warned_syscalls.add(nr)
        kernel.warn(f"syscall {kernel.syscall_name(nr)} ({nr}) is not implemented: ENOSYS")
    return -Errno.ENOSYS


def is_error(ret: int) -> bool:
    return -MAX_ERRNO <= ret < 0


def describe_error(ret: int) -> str:
    return errno_name(-ret)
