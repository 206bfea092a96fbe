"""Signal delivery on x86-64: frames on the user stack, syscall restarts, sigreturn and the
alternate signal stack (arch/x86/kernel/signal.c, signal_64 layout, kernel/signal.c's
sigaltstack).

Delivering a signal to a handler means rewriting the task's saved user context so that
the return to user mode lands in the handler, with the old context saved in an
rt_sigframe on the user stack (or the alternate stack, SA_ONSTACK):

    rsp ->  pretcode          (sa_restorer: the handler's `ret` goes there)
            ucontext          uc_flags, uc_link, uc_stack, uc_mcontext (sigcontext), uc_sigmask
            siginfo           128 bytes (written for SA_SIGINFO handlers)
            ... FP state      512-byte fxsave area (XMM registers, MXCSR), 64-byte aligned

The handler starts with a clean FPU; ``rt_sigreturn`` (called by the restorer) reads it
all back: registers, mask, FP state and the alternate stack setting. A handler installed
by an i386 sigaction (SA_IA32_ABI) gets an i386 frame instead (arch/x86/ia32/ia32_signal.py).
"""
import struct

from glasskernel.kernel.signal import (
    SA_ONSTACK, SA_RESTART, SA_SIGINFO, SIGSEGV, force_sig, get_signal, restore_saved_sigmask,
    set_current_blocked, signal_setup_done, sigmask_to_save)
from glasskernel.arch.x86.kernel.signal_compat import SA_IA32_ABI, in_ia32_syscall
from glasskernel.arch.x86.kernel.thread_info import (_TIF_NEED_REGS_LOAD, TIF_SYSCALL_INTERRUPTED,
                                                     test_and_clear_tsk_thread_flag)
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.kernel.trace.tracepoint import traced
from glasskernel.uapi.errno import (ERESTART_RESTARTBLOCK, ERESTARTNOHAND, ERESTARTNOINTR,
                                    ERESTARTSYS, Errno, KernelError)
from glasskernel.uapi.signal import signal_name
from glasskernel.arch.x86.kernel.process_64 import get_user_reg, read_fpstate, sync_pt_regs, write_fpstate

UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS = 0x1, 0x2, 0x4
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
MINSIGSTKSZ = 2048
NR_RESTART_SYSCALL = 219
NR_IA32_RESTART_SYSCALL = 0       # __NR_ia32_restart_syscall

# sigcontext register order (arch/x86/include/uapi/asm/sigcontext.h, 64-bit)
SIGCONTEXT_REGS = ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi", "rbp",
                   "rbx", "rdx", "rax", "rcx", "rsp", "rip", "rflags")
_SIGCONTEXT = struct.Struct("<18Q4HQQQQQ8Q")     # regs, cs gs fs ss, err trapno oldmask cr2 fpstate, reserved
_UC_HEAD = struct.Struct("<QQQI4xQ")             # uc_flags, uc_link, ss_sp, ss_flags, ss_size
_STACK_T = struct.Struct("<QI4xQ")               # ss_sp, ss_flags, ss_size
UC_SIZE = _UC_HEAD.size + _SIGCONTEXT.size + 8    # + uc_sigmask
FRAME_SIZE = 8 + UC_SIZE + 128                    # sizeof(struct rt_sigframe)
UC_STACK_OFFSET = 8 + 16                          # uc_stack within the frame
FPSTATE_SIZE = 512
REDZONE = 128
USER_CS, USER_DS, USER32_CS = 0x33, 0x2B, 0x23
X86_EFLAGS_TF, X86_EFLAGS_DF, X86_EFLAGS_RF = 0x100, 0x400, 0x10000
# Flags sigreturn takes from the frame (AC OF DF TF SF ZF AF PF CF RF); others are kept.
FIX_EFLAGS = 0x40000 | 0x800 | X86_EFLAGS_DF | X86_EFLAGS_TF | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | X86_EFLAGS_RF
_MASK64 = (1 << 64) - 1


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


# ----- the alternate signal stack -----------------------------------------------------------

def _sas(task) -> tuple:
    """(ss_sp, ss_flags, ss_size) as last set; a task that never set one has all zeros."""
    return task.sas or (0, 0, 0)


def on_sig_stack(task, sp: int) -> bool:
    """Is sp on the alternate stack? Never, by construction, with SS_AUTODISARM."""
    ss_sp, flags, size = _sas(task)
    if flags & SS_AUTODISARM:
        return False
    return sp > ss_sp and sp - ss_sp <= size


def sas_ss_flags(task, sp: int) -> int:
    if not _sas(task)[2]:
        return SS_DISABLE
    return SS_ONSTACK if on_sig_stack(task, sp) else 0


def sas_ss_reset(task) -> None:
    task.sas = (0, SS_DISABLE, 0)


def sas_exec_reset(task) -> None:
    """execve forgets the alternate stack's place and size (setup_new_exec)."""
    if task.sas is not None:
        task.sas = (0, task.sas[1], 0)


def sas_for_child(clone_flags: int, current) -> tuple:
    """fork keeps the alternate stack; a new thread (CLONE_VM without CLONE_VFORK) has none."""
    clone_vm, clone_vfork = 0x100, 0x4000
    if clone_flags & (clone_vm | clone_vfork) == clone_vm:
        return (0, SS_DISABLE, 0)
    return current.sas


def do_sigaltstack(task, new, sp: int, min_size: int) -> tuple:
    """Set the alternate stack (new: (sp, flags, size) or None); returns the old one."""
    ss_sp, flags, size = _sas(task)
    old = (ss_sp, sas_ss_flags(task, sp) | (flags & SS_AUTODISARM), size)
    if new is None:
        return old
    if on_sig_stack(task, sp):
        raise KernelError(Errno.EPERM)
    new_sp, new_flags, new_size = new
    mode = new_flags & ~SS_AUTODISARM
    if mode not in (0, SS_DISABLE, SS_ONSTACK):
        raise KernelError(Errno.EINVAL)
    if (new_sp, new_flags, new_size) == (ss_sp, flags, size):
        return old
    if mode == SS_DISABLE:
        new_sp, new_size = 0, 0
    elif new_size < min_size:
        raise KernelError(Errno.ENOMEM)
    task.sas = (new_sp, new_flags, new_size)
    return old


def sys_sigaltstack(task, uss, uoss) -> int:
    """sigaltstack(2): where SA_ONSTACK handlers run."""
    new = _STACK_T.unpack(copy_from_user(task, uss, _STACK_T.size)) if uss else None
    old = do_sigaltstack(task, new, get_user_reg(task, "rsp"), MINSIGSTKSZ)
    if uoss:
        copy_to_user(task, uoss, _STACK_T.pack(*old))
    return 0


def restore_altstack(task, uss: int, sp: int) -> None:
    """sigreturn puts back the stack_t saved in the frame; only EFAULT is an error."""
    new = _STACK_T.unpack(copy_from_user(task, uss, _STACK_T.size))
    try:
        do_sigaltstack(task, new, sp, MINSIGSTKSZ)
    except KernelError as err:
        if err.errno == Errno.EFAULT:
            raise


# ----- the frame ----------------------------------------------------------------------------

def get_sigframe_size() -> int:
    """The most stack one signal frame can take (AT_MINSIGSTKSZ, init_sigframe_size): with
    IA32 emulation the largest frame is the i386 sigframe, and the FP state has room for
    the FSAVE header of an i386 frame (fpu__get_fpstate_size), plus the worst-case
    padding of both alignments."""
    from glasskernel.arch.x86.fpu import FREGS_STATE_SIZE
    from glasskernel.arch.x86.ia32.ia32_signal import SIGFRAME_SIZE
    size = max(SIGFRAME_SIZE, FRAME_SIZE) + 15 + FPSTATE_SIZE + FREGS_STATE_SIZE + 63
    return (size + 15) & ~15


def get_sigframe(task, regs: dict, action) -> tuple:
    """(frame, fpstate) addresses: below the red zone, or at the top of the alternate stack
    for SA_ONSTACK when not already on it. EFAULT if the frame would leave that stack."""
    sp = regs["rsp"]
    onsigstack = on_sig_stack(task, sp)
    sp -= REDZONE
    entering_altstack = False
    if action.flags & SA_ONSTACK and sas_ss_flags(task, sp) == 0:
        ss_sp, _flags, size = _sas(task)
        sp = ss_sp + size
        entering_altstack = True
    fpstate = (sp - FPSTATE_SIZE) & ~63
    frame = ((fpstate - FRAME_SIZE) & ~15) - 8
    if onsigstack and not on_sig_stack(task, frame):
        raise KernelError(Errno.EFAULT)           # would overflow the alternate stack
    ss_sp, _flags, size = _sas(task)
    if entering_altstack and (frame <= ss_sp or frame - ss_sp > size):
        raise KernelError(Errno.EFAULT)
    return frame & _MASK64, fpstate & _MASK64


def fault_in_frame(task, frame: int) -> None:
    """The frame's lowest byte may lie below the stack: grow it as a fault there would,
    within the task's RLIMIT_STACK (EFAULT past it: the signal cannot be delivered)."""
    from glasskernel.kernel.sys import task_rlimit
    from glasskernel.mm.memory import VmFault, find_vma_for_fault
    from glasskernel.uapi.resource import RLIMIT_STACK
    try:
        find_vma_for_fault(task.mm, frame, task_rlimit(task, RLIMIT_STACK))
    except VmFault:
        raise KernelError(Errno.EFAULT) from None


def setup_rt_frame(task, ksig, oldmask: int, regs: dict) -> None:
    """Write the frame the handler's ABI wants (KernelError EFAULT if it cannot be) and
    enter the handler: an i386 sigframe or rt_sigframe for a handler a compat sigaction
    installed (SA_IA32_ABI), else the x86-64 rt_sigframe."""
    if ksig.action.flags & SA_IA32_ABI:
        from glasskernel.arch.x86.ia32 import ia32_signal
        if ksig.action.flags & SA_SIGINFO:
            ia32_signal.ia32_setup_rt_frame(task, ksig, oldmask, regs)
        else:
            ia32_signal.ia32_setup_frame(task, ksig, oldmask, regs)
    else:
        __setup_rt_frame(task, ksig, oldmask, regs)


def __setup_rt_frame(task, ksig, oldmask: int, regs: dict) -> None:
    """The x86-64 frame: write it and enter the handler."""
    thread = task.thread
    action = ksig.action
    frame, fp_addr = get_sigframe(task, regs, action)
    fault_in_frame(task, frame)
    ss_sp, ss_flags, ss_size = _sas(task)
    uc_head = _UC_HEAD.pack(UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, 0, ss_sp, ss_flags, ss_size)
    sigcontext = _SIGCONTEXT.pack(*(regs[r] for r in SIGCONTEXT_REGS), USER_CS, 0, 0, USER_DS,
                                  thread.error_code, thread.trap_nr, oldmask, thread.cr2, fp_addr,
                                  *([0] * 8))
    body = struct.pack("<Q", action.restorer) + uc_head + sigcontext + struct.pack("<Q", oldmask)
    copy_to_user(task, fp_addr, read_fpstate(task))
    copy_to_user(task, frame, body)
    if action.flags & SA_SIGINFO:
        copy_to_user(task, frame + 8 + UC_SIZE, ksig.info)
    regs.update(rdi=ksig.signo, rax=0, rsi=frame + 8 + UC_SIZE, rdx=frame + 8,
                rip=action.handler, rsp=frame)
    thread.user_cs = USER_CS              # the handler runs in 64-bit mode


def restore_sigcontext(task, frame: int, regs: dict) -> None:
    """Registers and FP state back from the frame's sigcontext."""
    kernel = task.kernel
    sc = _SIGCONTEXT.unpack(copy_from_user(task, frame + 8 + _UC_HEAD.size, _SIGCONTEXT.size))
    for name, value in zip(SIGCONTEXT_REGS[:17], sc[:17]):
        regs[name] = value
    cs = sc[18] | 3
    if cs not in (USER_CS, USER32_CS):
        raise KernelError(Errno.EFAULT)   # the return to user mode would fault on it
    task.thread.user_cs = cs              # a handler may send the task to the other mode
    regs["rflags"] = (regs["rflags"] & ~FIX_EFLAGS) | (sc[17] & FIX_EFLAGS) | 0x2
    fpstate = sc[26]
    if fpstate:
        write_fpstate(task, copy_from_user(task, fpstate, FPSTATE_SIZE))
    else:
        write_fpstate(task, kernel.cpu.default_fxsave())
    task.restart_block = None          # a restarted sleep must not resume after a handler
    task.thread.flags |= _TIF_NEED_REGS_LOAD


def sys_rt_sigreturn(task) -> int:
    """Return from a handler: the frame sits where the handler's `ret` left rsp, minus 8.
    A frame that cannot be read gets the task a SIGSEGV (signal_fault)."""
    regs = sync_pt_regs(task)
    frame = (regs["rsp"] - 8) & _MASK64
    try:
        mask = struct.unpack("<Q", copy_from_user(task, frame + 8 + UC_SIZE - 8, 8))[0]
        set_current_blocked(task, mask)
        restore_sigcontext(task, frame, regs)
        restore_altstack(task, frame + UC_STACK_OFFSET, regs["rsp"])
    except KernelError:
        force_sig(task, SIGSEGV)
        return 0
    return regs["rax"]


# ----- delivery and syscall restarts --------------------------------------------------------

def _restart_with_handler(regs: dict, action, nr: int) -> None:
    """An interrupted syscall before its handler runs: EINTR, or run again (SA_RESTART)."""
    ret = _signed(regs["rax"])
    if ret in (-ERESTART_RESTARTBLOCK, -ERESTARTNOHAND) or \
            (ret == -ERESTARTSYS and not action.flags & SA_RESTART):
        regs["rax"] = (-Errno.EINTR) & _MASK64
    elif ret in (-ERESTARTSYS, -ERESTARTNOINTR):
        regs["rax"] = nr
        regs["rip"] -= 2                           # back onto the `syscall` instruction


def get_nr_restart_syscall(task) -> int:
    """restart_syscall's number in the table the interrupted call came through: a
    sleep interrupted in an i386 syscall resumes through the i386 table's 0."""
    if in_ia32_syscall(task):
        return NR_IA32_RESTART_SYSCALL
    return NR_RESTART_SYSCALL


def _restart_without_handler(task, regs: dict, nr: int) -> None:
    ret = _signed(regs["rax"])
    if ret in (-ERESTARTNOHAND, -ERESTARTSYS, -ERESTARTNOINTR):
        regs["rax"] = nr
        regs["rip"] -= 2
    elif ret == -ERESTART_RESTARTBLOCK:
        regs["rax"] = get_nr_restart_syscall(task)  # restart_syscall resumes what was left
        regs["rip"] -= 2


@traced(args=lambda task, ksig: {"sig": signal_name(ksig.signo),
                                  "handler": f"{ksig.action.handler:#x}"}, ret=lambda _r: {})
def handle_signal(task, ksig) -> None:
    """Fix up an interrupted syscall, then build the frame; SIGSEGV if that fails."""
    regs = sync_pt_regs(task)
    thread = task.thread
    if test_and_clear_tsk_thread_flag(task, TIF_SYSCALL_INTERRUPTED):
        _restart_with_handler(regs, ksig.action, thread.last_syscall_nr)
    try:
        setup_rt_frame(task, ksig, sigmask_to_save(task), regs)
        failed = False
    except KernelError:
        failed = True
    if not failed:
        regs["rflags"] &= ~(X86_EFLAGS_DF | X86_EFLAGS_RF | X86_EFLAGS_TF)
        kernel = task.kernel
        write_fpstate(task, kernel.cpu.default_fxsave())     # the handler's FPU is fresh
        thread.flags |= _TIF_NEED_REGS_LOAD
    signal_setup_done(task, failed, ksig)


def arch_do_signal_or_restart(task) -> None:
    """Deliver signals to their handlers, or restart an interrupted syscall, or put back
    the mask sigsuspend replaced.

    While more signals are deliverable each gets its frame on top of the last one (the
    exit-to-user loop runs again while signals are pending), so the handler of the last
    signal set up runs first."""
    from glasskernel.kernel.sched.wait import signal_pending
    ksig = get_signal(task) if task.pending else None
    if task.exiting:
        return
    if ksig is not None:
        while ksig is not None:
            handle_signal(task, ksig)
            ksig = get_signal(task) if signal_pending(task) and not task.exiting else None
        return
    if test_and_clear_tsk_thread_flag(task, TIF_SYSCALL_INTERRUPTED):
        _restart_without_handler(task, sync_pt_regs(task), task.thread.last_syscall_nr)
    restore_saved_sigmask(task)
