"""Per-task architecture state (arch/x86/kernel/process.c, asm/processor.h: thread_struct).

``ThreadStruct.regs`` is the task's saved user context, its pt_regs: while the task runs on
a CPU the live registers are in the emulator and ``regs`` may be stale; when it enters the
kernel on a slow path, leaves the CPU, or the kernel rewrites its context (execve, fork,
signal delivery), ``regs`` is the truth and ``regs_dirty`` tells the return-to-user path to
load it into the CPU.
"""
from dataclasses import dataclass, field

from glasskernel.arch.x86.cpu import PT_REGS

X86_EFLAGS_IF = 0x200


def empty_pt_regs() -> dict:
    return dict.fromkeys(PT_REGS, 0)


@dataclass(eq=False)
class ThreadStruct:
    """thread_struct plus the pt_regs at the top of the task's kernel stack."""

    regs: dict = field(default_factory=empty_pt_regs)
    regs_dirty: bool = False        # regs must be written to the CPU before user mode
    orig_rax: int = -1              # the syscall number in flight (-1: not in a syscall)
