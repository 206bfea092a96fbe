"""Per-task architecture state (arch/x86/kernel/process.c, asm/processor.h: thread_struct).

``ThreadStruct.regs`` is the task's saved user context, its pt_regs: while the task runs on
a CPU the live registers are in the emulator and ``regs`` may be stale; when it enters the
kernel on a slow path, leaves the CPU, or the kernel rewrites its context (execve, fork,
signal delivery), ``regs`` is the truth and TIF_NEED_REGS_LOAD tells the return-to-user
path to load it into the CPU.
"""
from dataclasses import dataclass, field

from glasskernel.arch.x86.cpu import PT_REGS
from glasskernel.arch.x86.segment import GDT_ENTRY_TLS_ENTRIES, USER_CS
from glasskernel.arch.x86.kernel.thread_info import (_TIF_NEED_REGS_LOAD, _TIF_NOTSC, TIF_NOTSC,
                                                     clear_tsk_thread_flag, set_tsk_thread_flag,
                                                     test_tsk_thread_flag)
from glasskernel.kernel.trace.tracepoint import traced
from glasskernel.uapi.errno import Errno, KernelError

X86_EFLAGS_IF = 0x200


def empty_pt_regs() -> dict:
    return dict.fromkeys(PT_REGS, 0)


@dataclass(eq=False, slots=True)
class ThreadStruct:
    """thread_struct plus the pt_regs at the top of the task's kernel stack."""

    regs: dict = field(default_factory=empty_pt_regs)
    flags: int = 0                  # TIF_* bits (arch/x86/kernel/thread_info.py): work before user mode
    orig_rax: int = -1              # the syscall number in flight (-1: not in a syscall)
    entry: object = None            # where this task's kernel stack starts (ret_from_fork)
    slow_args: list = None          # TIF_SLOW_SYSCALL's [nr, arg0 .. arg5], as the hook read them
    parked_wq: object = None        # TIF_PARKED (park.py): the queue it sleeps on
    regs_replaced: bool = False     # the running syscall gave the task new pt_regs (execve)
    last_syscall_nr: int = -1       # the number to put back in rax for a restart
    fpstate: bytes = None           # FPU state before the first run or once decoded: the
                                    # CPU's raw layout or an fxsave area; None: initial
    context: object = None          # the CPU context saved at the last switch (CpuContext)
    context_saved: bool = False     # ... and it holds the task's registers and FPU state
    context_cr3: int = 0            # the CR3 loaded when it was saved
    trap_nr: int = 0                # the last exception vector (a signal frame's trapno)
    error_code: int = 0             # its error code (the frame's err)
    cr2: int = 0                    # the address of the last page fault (the frame's cr2)
    user_cs: int = USER_CS          # pt_regs->cs: __USER32_CS for an i386 program (compat mode)
    ts_compat: bool = False         # TS_COMPAT: the syscall in flight came through a 32-bit entry
    compat_entry: str = ""          # ... which one, until its slow path runs (entry_64_compat.py)
    tls_array: bytes = bytes(8 * GDT_ENTRY_TLS_ENTRIES)   # set_thread_area's GDT slots 12-14
    user_segs: tuple = ()           # (name, selector) of fs/gs for a first run (fsindex, gsindex)


def in_ia32_syscall(task) -> bool:
    """Is the task in a 32-bit syscall (asm/compat.h)? True from the compat entry until its
    return to user mode, the signal work on the way out included."""
    return task.thread.ts_compat


def _child_context(regs) -> dict:
    return {"child_rax": regs["rax"], "child_rip": f"{regs['rip']:#x}",
            "child_rsp": f"{regs['rsp']:#x}", "entry": "ret_from_fork"}


def _user_segs(current) -> tuple:
    """The fs and gs selectors a compat child starts with: its parent's (the child's first
    run finds the CPU in whatever state the last task left it)."""
    kernel = current.kernel
    if current.thread.user_cs == USER_CS or kernel.cpu_task is not current:
        return ()
    return tuple((name, kernel.cpu.read_segment(name)) for name in ("fs", "gs"))


@traced(ret=_child_context)
def copy_thread(p, current, args) -> dict:
    """The child's saved user context: the parent's, with rax = 0 (arch/x86/kernel/process.c).

    rax = 0 is why fork returns 0 in the child: the child's first return to user mode
    loads these registers. A new stack (clone's newsp) and CLONE_SETTLS's fs base are
    applied here. The child's kernel stack starts in ``ret_from_fork``, so its first
    switch_to lands there instead of inside schedule() like every other task.
    """
    from glasskernel.arch.x86.entry.entry_64 import ret_from_fork
    from glasskernel.arch.x86.kernel.process_64 import read_fpstate, user_regs
    from glasskernel.uapi.sched import CLONE_SETTLS
    regs = user_regs(current)
    regs["rax"] = 0
    if args.stack:
        regs["rsp"] = args.stack + args.stack_size if args.stack_size else args.stack
    compat_tls = args.flags & CLONE_SETTLS and in_ia32_syscall(current)
    if args.flags & CLONE_SETTLS and not compat_tls:
        from glasskernel.arch.x86.kernel.process_64 import _TASK_SIZE_MAX
        if args.tls >= _TASK_SIZE_MAX:
            raise KernelError(Errno.EPERM)      # set_new_tls → do_arch_prctl_64(ARCH_SET_FS)
        regs["fs_base"] = args.tls
    p.thread = ThreadStruct(regs=regs, flags=_TIF_NEED_REGS_LOAD | current.thread.flags & _TIF_NOTSC,
                            fpstate=read_fpstate(current),
                            user_cs=current.thread.user_cs, tls_array=current.thread.tls_array,
                            user_segs=_user_segs(current))
    if compat_tls:
        from glasskernel.arch.x86.kernel.tls import set_new_tls_ia32
        set_new_tls_ia32(p, current, args.tls)      # a struct user_desc, as set_thread_area
    p.thread.entry = ret_from_fork
    current.kernel.sched.start_task_greenlet(p, ret_from_fork)
    return regs


# ----- the time stamp counter's user access (prctl PR_GET_TSC / PR_SET_TSC) ------------------
PR_TSC_ENABLE, PR_TSC_SIGSEGV = 1, 2


def get_tsc_mode(task, adr: int) -> int:
    """PR_GET_TSC: store whether rdtsc works (PR_TSC_ENABLE) or faults (PR_TSC_SIGSEGV)."""
    from glasskernel.mm.uaccess import copy_to_user
    mode = PR_TSC_SIGSEGV if test_tsk_thread_flag(task, TIF_NOTSC) else PR_TSC_ENABLE
    copy_to_user(task, adr, mode.to_bytes(4, "little"))
    return 0


def set_tsc_mode(task, val: int) -> int:
    """PR_SET_TSC: the task's rdtsc faults (CR4.TSD set while it runs) or works again.

    The flag is the task's (kept over exec, copied at fork); the CPU's CR4 follows the
    task that runs: here for the caller, at its next entry to user mode otherwise."""
    if val not in (PR_TSC_ENABLE, PR_TSC_SIGSEGV):
        raise KernelError(Errno.EINVAL)
    if val == PR_TSC_SIGSEGV:
        set_tsk_thread_flag(task, TIF_NOTSC)
    else:
        clear_tsk_thread_flag(task, TIF_NOTSC)
    kernel = task.kernel
    if kernel.cpu_task is task:
        kernel.cpu.set_tsc_disabled(val == PR_TSC_SIGSEGV)
    return 0
