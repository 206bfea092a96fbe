"""Signal frames on the user stack (arch/x86/kernel/signal.c, signal_64 layout).

Delivering a signal to a handler means rewriting the task's saved user context so that
the return to user mode lands in the handler, with the old context saved in an
rt_sigframe on the user stack:

    rsp ->  pretcode          (sa_restorer: the handler's `ret` goes there)
            ucontext          uc_flags, uc_link, uc_stack, uc_mcontext (sigcontext), uc_sigmask
            siginfo           128 bytes
            ... FP state      512-byte fxsave area (XMM registers, MXCSR), 64-byte aligned

``rt_sigreturn`` (called by the restorer) reads it all back.
"""
import struct

from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError

SA_ONSTACK = 0x08000000
SA_RESTORER = 0x04000000
SA_SIGINFO = 0x4
SA_NODEFER = 0x40000000
SA_RESETHAND = 0x80000000
SA_RESTART = 0x10000000
UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS = 0x1, 0x2, 0x4
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
MINSIGSTKSZ = 2048

# sigcontext register order (arch/x86/include/uapi/asm/sigcontext.h, 64-bit)
SIGCONTEXT_REGS = ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi", "rbp",
                   "rbx", "rdx", "rax", "rcx", "rsp", "rip", "rflags")
_SIGCONTEXT = struct.Struct("<18Q4HQQQQQ8Q")     # regs, cs gs fs ss, err trapno oldmask cr2 fpstate, reserved
_UC_HEAD = struct.Struct("<QQQi4xQ")             # uc_flags, uc_link, ss_sp, ss_flags, ss_size
UC_SIZE = _UC_HEAD.size + _SIGCONTEXT.size + 8    # + uc_sigmask
FRAME_SIZE = 8 + UC_SIZE + 128                    # pretcode + ucontext + siginfo
FPSTATE_SIZE = 512
USER_CS, USER_SS = 0x33, 0x2B
# Flags a handler may change; others (TF, IOPL…) are kept from the interrupted context.
_FIX_EFLAGS = 0x00040DD5 | 0x00200000


def get_sigframe(task, regs: dict, action, fp_size: int) -> int:
    """Where the frame goes: below the red zone, or on the alternate stack (SA_ONSTACK)."""
    sp = regs["rsp"] - 128
    ss = task.sas
    if action.flags & SA_ONSTACK and ss is not None and not on_sig_stack(task, regs["rsp"]):
        sp = ss[0] + ss[2]
    sp = (sp - fp_size) & ~63
    return ((sp - FRAME_SIZE) & ~15) - 8


def on_sig_stack(task, sp: int) -> bool:
    ss = task.sas
    return ss is not None and ss[0] < sp <= ss[0] + ss[2]


def setup_rt_frame(task, signo: int, action, info: bytes, oldmask: int) -> None:
    """Build the frame and point the saved context at the handler."""
    kernel = task.kernel
    regs = kernel.sync_pt_regs(task)
    fp = kernel.read_fpstate(task)
    frame = get_sigframe(task, regs, action, len(fp))
    fp_addr = (frame + 8 + FRAME_SIZE + 63) & ~63
    ss = task.sas or (0, SS_DISABLE, 0)
    uc_head = _UC_HEAD.pack(UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, 0, ss[0],
                            SS_ONSTACK if on_sig_stack(task, regs["rsp"]) else ss[1], ss[2])
    sigcontext = _SIGCONTEXT.pack(*(regs[r] for r in SIGCONTEXT_REGS), USER_CS, 0, 0, USER_SS,
                                  0, 0, oldmask, 0, fp_addr, *([0] * 8))
    body = struct.pack("<Q", action.restorer) + uc_head + sigcontext + struct.pack("<Q", oldmask)
    copy_to_user(task, frame, body + info.ljust(128, b"\0"))
    copy_to_user(task, fp_addr, fp)
    regs.update(rip=action.handler, rsp=frame, rdi=signo, rax=0,
                rsi=frame + 8 + UC_SIZE, rdx=frame + 8, rflags=regs["rflags"] & ~0x100)
    task.thread.regs_dirty = True


def restore_sigcontext(task, frame: int) -> None:
    """Read the saved context back into pt_regs, the blocked mask and the FP state."""
    kernel = task.kernel
    raw = copy_from_user(task, frame + 8, UC_SIZE)
    sc = _SIGCONTEXT.unpack_from(raw, _UC_HEAD.size)
    regs = kernel.sync_pt_regs(task)
    for name, value in zip(SIGCONTEXT_REGS, sc[:18]):
        regs[name] = value
    regs["rflags"] = (regs["rflags"] & ~_FIX_EFLAGS) | (sc[17] & _FIX_EFLAGS) | 0x2
    fpstate = sc[26]
    if fpstate:
        kernel.write_fpstate(task, copy_from_user(task, fpstate, FPSTATE_SIZE))
    mask = struct.unpack_from("<Q", raw, _UC_HEAD.size + _SIGCONTEXT.size)[0]
    task.blocked = mask & ~((1 << 8) | (1 << 18))
    task.thread.regs_dirty = True


def sys_rt_sigreturn(task) -> int:
    """Return from a handler: the frame sits where the handler's `ret` left rsp, minus 8."""
    frame = task.kernel.sync_pt_regs(task)["rsp"] - 8
    restore_sigcontext(task, frame)
    return task.thread.regs["rax"]


_STACK_T = struct.Struct("<Qi4xQ")


def sys_sigaltstack(task, uss, uoss) -> int:
    """sigaltstack(2): where SA_ONSTACK handlers run."""
    sp = task.kernel.sync_pt_regs(task)["rsp"] if uss else 0
    old = task.sas or (0, SS_DISABLE, 0)
    if uss:
        ss_sp, ss_flags, ss_size = _STACK_T.unpack(copy_from_user(task, uss, _STACK_T.size))
        if on_sig_stack(task, sp):
            raise KernelError(Errno.EPERM)
        mode = ss_flags & ~SS_AUTODISARM
        if mode not in (0, SS_DISABLE, SS_ONSTACK):
            raise KernelError(Errno.EINVAL)
        if mode == SS_DISABLE:
            task.sas = None
        else:
            if ss_size < MINSIGSTKSZ:
                raise KernelError(Errno.ENOMEM)
            task.sas = (ss_sp, 0, ss_size)
    if uoss:
        flags = SS_ONSTACK if on_sig_stack(task, sp) else old[1]
        copy_to_user(task, uoss, _STACK_T.pack(old[0], flags, old[2]))
    return 0
