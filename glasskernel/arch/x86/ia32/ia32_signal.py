"""Signal frames of i386 handlers, sigreturn and rt_sigreturn (arch/x86/ia32/ia32_signal.c,
the ia32 half of arch/x86/kernel/fpu/signal.c, and compat sigaltstack).

A handler installed by a compat sigaction (SA_IA32_ABI) gets one of two frames on the
user stack, below its FP state, 32-bit words throughout:

    sigframe (no SA_SIGINFO)           rt_sigframe (SA_SIGINFO)
      pretcode  -> __kernel_sigreturn    pretcode  -> __kernel_rt_sigreturn
      sig                                sig, pinfo, puc
      sigcontext_32 (88 bytes)           compat siginfo (128 bytes)
      fpstate_unused (624, not written)  ucontext_ia32: flags, link, stack,
      extramask (the mask's high word)     sigcontext_32, sigmask (2 words)
      retcode (8 bytes, for old gdbs)    retcode
    ... FP state: the 112-byte FSAVE header (x87 environment, ST0-7, status, magic 0),
        then the 512-byte fxsave area, 64-byte aligned, its sw_reserved filled in.

The handler is entered in compatibility mode with eax = sig, edx and ecx the info and
ucontext pointers (-mregparm=3 handlers read them there), and esp on the frame, aligned
as the i386 ABI wants a function entry: (esp + 4) % 16 == 0. Its `ret` lands in the
32-bit vDSO's trampoline, which makes the sigreturn call that reads it all back.
"""
import struct

from glasskernel.arch.x86 import fpu
from glasskernel.arch.x86.entry.vdso.vma import vdso32_sym
from glasskernel.arch.x86.segment import USER32_CS, USER_CS, USER_DS
from glasskernel.arch.x86.kernel.thread_info import _TIF_NEED_REGS_LOAD
from glasskernel.arch.x86.kernel.signal import (
    FIX_EFLAGS, MINSIGSTKSZ, _sas, do_sigaltstack, fault_in_frame, sas_ss_flags)
from glasskernel.kernel.signal import (
    SA_ONSTACK, SA_RESTORER, SA_SIGINFO, SIGSEGV, force_sig, set_current_blocked)
from glasskernel.kernel.signal_compat import copy_siginfo_to_external32
from glasskernel.kernel.trace.tracepoint import traced
from glasskernel.uapi.signal import signal_name
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.arch.x86.kernel.process_64 import get_user_reg, read_fpstate, sync_pt_regs, write_fpstate

NR_ia32_restart_syscall, NR_ia32_sigreturn, NR_ia32_rt_sigreturn = 0, 119, 173
_MASK32, _MASK64 = 0xFFFFFFFF, (1 << 64) - 1

# struct sigcontext_32: selectors (as 32-bit words), the eight registers, trapno, err,
# eip, cs, eflags, esp at signal, ss, then the fpstate pointer, oldmask and cr2.
SC32_FIELDS = ("gs", "fs", "es", "ds", "di", "si", "bp", "sp", "bx", "dx", "cx", "ax",
               "trapno", "err", "ip", "cs", "flags", "sp_at_signal", "ss", "fpstate",
               "oldmask", "cr2")
_SC32 = struct.Struct("<22I")
# pt_regs names of the sigcontext's general registers.
SC32_REGS = {"di": "rdi", "si": "rsi", "bp": "rbp", "sp": "rsp", "bx": "rbx", "dx": "rdx",
             "cx": "rcx", "ax": "rax", "ip": "rip"}
_COMPAT_STACK = struct.Struct("<III")          # compat_stack_t: ss_sp, ss_flags, ss_size

SIGFRAME_SIZE = 4 + 4 + _SC32.size + 624 + 4 + 8         # sizeof(struct sigframe_ia32): 732
SIGFRAME_EXTRAMASK = 8 + _SC32.size + 624                 # 720
UC_STACK, UC_MCONTEXT = 8, 20                             # within ucontext_ia32
UC_SIGMASK = UC_MCONTEXT + _SC32.size                     # 108
UC_SIZE = UC_SIGMASK + 8                                  # 116
RT_INFO, RT_UC = 16, 16 + 128                             # within rt_sigframe_ia32
RT_SIGFRAME_SIZE = RT_UC + UC_SIZE + 8                    # 268
# The retcode of each frame: popl %eax (sigframe only); movl $NR, %eax; int $0x80.
SIGFRAME_RETCODE = struct.pack("<HIH", 0xB858, NR_ia32_sigreturn, 0x80CD)
RT_SIGFRAME_RETCODE = struct.pack("<BIHx", 0xB8, NR_ia32_rt_sigreturn, 0x80CD)

# The FP state (fpu__alloc_mathframe with ia32_frame, no XSAVE): what the frame holds and
# what _fpx_sw_bytes says about it.
FXSAVE_SIZE = fpu.FXSAVE_SIZE
FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2_SIZE, XFEATURE_MASK_FPSSE = 0x46505853, 4, 0x3
X86_FXSR_MAGIC = 0x0000
MXCSR_FEATURE_MASK = 0xFFFF
_SW_BYTES_OFFSET = 464


# ----- the task's segment registers ---------------------------------------------------------

def get_user_seg(task, regs: dict, name: str) -> int:
    """savesegment: the selector the task has in cs, ss, ds, es, fs or gs. cs is the
    task's mode, ss the flat user stack segment of either mode; the data segments are in
    the CPU while the task is loaded there, else fs and gs are those its context had when
    it was decoded (thread.user_segs, loaded again when it runs)."""
    if name == "cs":
        return task.thread.user_cs
    if name == "ss":
        return USER_DS
    kernel = task.kernel
    if kernel.cpu_task is task:
        return kernel.cpu.read_segment(name)
    for seg, selector in task.thread.user_segs:     # decoded off the CPU, or a first run's
        if seg == name:
            return selector
    return USER_DS if name in ("ds", "es") else 0


def set_user_seg(task, regs: dict, name: str, value: int) -> None:
    """loadsegment, or the cs and ss the return to user mode loads. The task's mode
    follows cs (thread.user_cs: __USER32_CS compatibility mode, __USER_CS 64-bit mode);
    both modes' stack segment is the flat __USER_DS. A data segment register is loaded
    from the GDT (a selector that names no usable segment loads the null one, as the
    kernel's fixup does); fs and gs bring their base, which pt_regs carries."""
    if name == "cs":
        task.thread.user_cs = value
        return
    kernel = task.kernel
    if name == "ss" or kernel.cpu_task is not task:
        return
    cpu = kernel.cpu
    if not cpu.load_segment(name, value):
        cpu.load_segment(name, 0)
    if name in ("fs", "gs"):
        regs[name + "_base"] = cpu.read_reg(name + "_base")


# ----- the FP state -------------------------------------------------------------------------

def fpu__alloc_mathframe(sp: int) -> tuple:
    """(fsave header address, fxsave address): the fxsave area 64-byte aligned below sp,
    the 112-byte header just under it."""
    buf_fx = (sp - FXSAVE_SIZE) & ~63
    return buf_fx - fpu.FREGS_STATE_SIZE, buf_fx


def _sw_bytes() -> bytes:
    """_fpx_sw_bytes of a frame without XSAVE: the fxsave area and the header only."""
    extended = FXSAVE_SIZE + FP_XSTATE_MAGIC2_SIZE + fpu.FREGS_STATE_SIZE
    return struct.pack("<IIQI", FP_XSTATE_MAGIC1, extended, XFEATURE_MASK_FPSSE,
                       FXSAVE_SIZE).ljust(48, b"\0")


def copy_fpstate_to_sigframe(task, buf: int, regs: dict) -> None:
    """Write the FSAVE header (made from the fxsave state, status and magic after it)
    and the fxsave area with its sw_reserved bytes."""
    area = read_fpstate(task)
    area = area[:_SW_BYTES_OFFSET] + _sw_bytes()
    env = fpu.convert_from_fxsr(area, get_user_seg(task, regs, "cs"),
                                get_user_seg(task, regs, "ds"))
    fsw = struct.unpack_from("<H", area, 2)[0]
    copy_to_user(task, buf, env + struct.pack("<HH", fsw, X86_FXSR_MAGIC) + area)


def fpu__restore_sig(task, buf: int) -> bool:
    """The FP state back from an ia32 frame: the x87 part from the FSAVE header, the rest
    from the fxsave area. No state (a null pointer) means a fresh FPU; an unreadable
    one, or an MXCSR with reserved bits set, fails with a fresh FPU too."""
    kernel = task.kernel
    if buf:
        try:
            env = copy_from_user(task, buf, fpu.I387_ENV_SIZE)
            area = copy_from_user(task, buf + fpu.FREGS_STATE_SIZE, FXSAVE_SIZE)
        except KernelError:
            area = None
        if area is not None and not struct.unpack_from("<I", area, 24)[0] & ~MXCSR_FEATURE_MASK:
            write_fpstate(task, fpu.convert_to_fxsr(area, env))
            return True
    write_fpstate(task, kernel.cpu.default_fxsave())        # fpu__clear_user_states
    return not buf


# ----- the frames ---------------------------------------------------------------------------

def get_sigframe(task, regs: dict, action, frame_size: int) -> tuple:
    """(frame, fpstate): the FP state below esp (or the top of the alternate stack for
    SA_ONSTACK when not on it), then the frame, aligned for a function entry.
    KernelError EFAULT if it cannot be written."""
    sp = regs["rsp"]
    if task.thread.user_cs == USER32_CS:
        sp &= _MASK32                       # a compat task's esp: nothing above 4 GiB
    if action.flags & SA_ONSTACK and sas_ss_flags(task, sp) == 0:
        ss_sp, _flags, size = _sas(task)
        sp = ss_sp + size                                   # sigsp
    fpstate, _buf_fx = fpu__alloc_mathframe(sp)
    frame = (((fpstate - frame_size) + 4) & ~15) - 4
    if frame < 0:
        raise KernelError(Errno.EFAULT)
    fault_in_frame(task, frame)
    copy_fpstate_to_sigframe(task, fpstate, regs)
    return frame, fpstate


def _restorer(task, action, name: str, fallback: int) -> int:
    """Where the handler returns: sa_restorer, else the 32-bit vDSO's trampoline (for a
    process without a vDSO, the sigframe's own retcode)."""
    if action.flags & SA_RESTORER:
        return action.restorer & _MASK32
    if task.mm.vdso:
        return (task.mm.vdso + vdso32_sym(name)) & _MASK32
    return fallback & _MASK32


def setup_sigcontext32(task, regs: dict, fpstate: int, mask: int) -> bytes:
    """The sigcontext_32 of the interrupted context."""
    thread = task.thread
    values = {name: get_user_seg(task, regs, name) for name in ("gs", "fs", "es", "ds", "cs", "ss")}
    values.update({field: regs[reg] & _MASK32 for field, reg in SC32_REGS.items()})
    values.update(trapno=thread.trap_nr, err=thread.error_code, flags=regs["rflags"] & _MASK32,
                  sp_at_signal=regs["rsp"] & _MASK32, fpstate=fpstate & _MASK32,
                  oldmask=mask & _MASK32,
                  cr2=thread.cr2 & _MASK32)
    return _SC32.pack(*(values[name] for name in SC32_FIELDS))


def _enter_handler(task, regs: dict, action, frame: int, signo: int, info: int, uc: int) -> None:
    """The registers the handler starts with, in compatibility mode."""
    regs.update(rsp=frame, rip=action.handler & _MASK32, rax=signo, rdx=info, rcx=uc)
    for name, value in (("ds", USER_DS), ("es", USER_DS), ("cs", USER32_CS), ("ss", USER_DS)):
        set_user_seg(task, regs, name, value)


def _frame_args(task, ksig, mask, regs) -> dict:
    return {"sig": signal_name(ksig.signo), "handler": f"{ksig.action.handler:#x}",
            "esp": f"{regs['rsp']:#x}"}


def _frame_ret(frame) -> dict:
    return {"frame": f"{frame:#x}"}


@traced(args=_frame_args, ret=_frame_ret)
def ia32_setup_frame(task, ksig, mask: int, regs: dict) -> int:
    """The sigframe of a handler without SA_SIGINFO; returns its address."""
    action = ksig.action
    frame, fpstate = get_sigframe(task, regs, action, SIGFRAME_SIZE)
    restorer = _restorer(task, action, "__kernel_sigreturn", frame + SIGFRAME_EXTRAMASK + 4)
    head = struct.pack("<Ii", restorer, ksig.signo) + setup_sigcontext32(task, regs, fpstate, mask)
    copy_to_user(task, frame, head)
    copy_to_user(task, frame + SIGFRAME_EXTRAMASK,
                 struct.pack("<I", mask >> 32 & _MASK32) + SIGFRAME_RETCODE)
    _enter_handler(task, regs, action, frame, ksig.signo, 0, 0)
    return frame


@traced(args=_frame_args, ret=_frame_ret)
def ia32_setup_rt_frame(task, ksig, mask: int, regs: dict) -> int:
    """The rt_sigframe of an SA_SIGINFO handler: the compat siginfo and a ucontext;
    returns its address."""
    action = ksig.action
    frame, fpstate = get_sigframe(task, regs, action, RT_SIGFRAME_SIZE)
    restorer = _restorer(task, action, "__kernel_rt_sigreturn", frame + RT_UC + UC_SIZE)
    info, uc = frame + RT_INFO, frame + RT_UC
    ss_sp, ss_flags, ss_size = _sas(task)
    ucontext = (struct.pack("<II", 0, 0)          # uc_flags (no XSAVE frame), uc_link
                + _COMPAT_STACK.pack(ss_sp & _MASK32, ss_flags & _MASK32, ss_size & _MASK32)
                + setup_sigcontext32(task, regs, fpstate, mask) + struct.pack("<Q", mask))
    head = struct.pack("<IiII", restorer, ksig.signo, info & _MASK32, uc & _MASK32)
    copy_to_user(task, frame, head + copy_siginfo_to_external32(ksig.info) + ucontext
                 + RT_SIGFRAME_RETCODE)
    _enter_handler(task, regs, action, frame, ksig.signo, info, uc)
    return frame


# ----- sigreturn ----------------------------------------------------------------------------

def reload_segments(task, regs: dict, sc: dict) -> None:
    """gs, fs, ds and es as the frame has them (RPL 3), where they changed.

    A null selector is not reloaded as another null one (0 and 3): whether that clears
    the base depends on the CPU (Intel clears it, AMD keeps it: X86_BUG_NULL_SEG), and
    the emulator's null gs of a task that never loaded its own (a new child's first run
    in a CPU last in 64-bit mode) still has the task's TLS base."""
    for name in ("gs", "fs", "ds", "es"):
        value = sc[name] & 0xFFFF | 3
        if value != get_user_seg(task, regs, name) | 3:
            set_user_seg(task, regs, name, value)


def ia32_restore_sigcontext(task, regs: dict, usc: int) -> bool:
    """Registers, flags, segments and FP state back from a sigcontext_32."""
    task.restart_block = None          # a restarted sleep must not resume after a handler
    sc = dict(zip(SC32_FIELDS, _SC32.unpack(copy_from_user(task, usc, _SC32.size))))
    for field, reg in SC32_REGS.items():
        regs[reg] = sc[field]
    cs, ss = sc["cs"] & 0xFFFF | 3, sc["ss"] & 0xFFFF | 3
    if cs not in (USER32_CS, USER_CS):
        return False                  # the return to user mode would fault on it
    set_user_seg(task, regs, "cs", cs)
    set_user_seg(task, regs, "ss", ss)
    regs["rflags"] = (regs["rflags"] & ~FIX_EFLAGS) | (sc["flags"] & FIX_EFLAGS) | 0x2
    reload_segments(task, regs, sc)
    task.thread.flags |= _TIF_NEED_REGS_LOAD
    return fpu__restore_sig(task, sc["fpstate"])


def compat_sys_sigreturn(task) -> int:
    """Return from a handler's sigframe: the trampoline popped sig, so the frame is 8
    bytes under esp. A frame that cannot be read costs the task a SIGSEGV."""
    regs = sync_pt_regs(task)
    frame = (regs["rsp"] - 8) & _MASK64
    try:
        oldmask = struct.unpack("<I", copy_from_user(task, frame + 8 + 80, 4))[0]
        extramask = struct.unpack("<I", copy_from_user(task, frame + SIGFRAME_EXTRAMASK, 4))[0]
        set_current_blocked(task, oldmask | extramask << 32)
        if not ia32_restore_sigcontext(task, regs, frame + 8):
            raise KernelError(Errno.EFAULT)
    except KernelError:
        force_sig(task, SIGSEGV)                            # signal_fault
        return 0
    return regs["rax"]


def compat_sys_rt_sigreturn(task) -> int:
    """Return from a handler's rt_sigframe (4 bytes under esp): mask, registers, FP
    state and the alternate stack."""
    regs = sync_pt_regs(task)
    frame = (regs["rsp"] - 4) & _MASK64
    try:
        mask = struct.unpack("<Q", copy_from_user(task, frame + RT_UC + UC_SIGMASK, 8))[0]
        set_current_blocked(task, mask)
        if not ia32_restore_sigcontext(task, regs, frame + RT_UC + UC_MCONTEXT):
            raise KernelError(Errno.EFAULT)
        compat_restore_altstack(task, frame + RT_UC + UC_STACK, regs["rsp"])
    except KernelError:
        force_sig(task, SIGSEGV)
        return 0
    return regs["rax"]


# ----- the alternate stack ------------------------------------------------------------------

def compat_sys_sigaltstack(task, uss, uoss) -> int:
    """sigaltstack with a compat_stack_t (12 bytes: sp, flags, size)."""
    new = _COMPAT_STACK.unpack(copy_from_user(task, uss, _COMPAT_STACK.size)) if uss else None
    old = do_sigaltstack(task, new, get_user_reg(task, "rsp") & _MASK32, MINSIGSTKSZ)
    if uoss:
        copy_to_user(task, uoss, _COMPAT_STACK.pack(*(v & _MASK32 for v in old)))
    return 0


def compat_restore_altstack(task, uss: int, sp: int) -> None:
    """sigreturn puts back the compat_stack_t saved in the frame; only EFAULT counts."""
    new = _COMPAT_STACK.unpack(copy_from_user(task, uss, _COMPAT_STACK.size))
    try:
        do_sigaltstack(task, new, sp, MINSIGSTKSZ)
    except KernelError as err:
        if err.errno == Errno.EFAULT:
            raise
