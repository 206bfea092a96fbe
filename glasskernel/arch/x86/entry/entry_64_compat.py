"""The 32-bit system call entries of a 64-bit kernel (arch/x86/entry/entry_64_compat.S).

An i386 program enters the kernel two ways: ``int $0x80`` (the CPU's interrupt hook sees
vector 0x80) and ``sysenter``, which the C library reaches through the vDSO's
``__kernel_vsyscall``. Both save the 32-bit registers as the syscall's pt_regs (eax is the
number; ebx, ecx, edx, esi, edi, ebp the arguments, each zero-extended) and leave the
emulator, to run the syscall on the task's kernel stack in ``do_int80_syscall_32``
or ``do_fast_syscall_32`` (common.py). Calls that cannot sleep and are not traced run
inside the CPU hook instead, as 64-bit ones do (``_fast_syscall_32``).

``int $0x80`` from a 64-bit program takes the same path, with the 32-bit table, as Linux
allows.
"""
from glasskernel.arch.x86.entry_shim import SYSCALL_INSN_LEN
from glasskernel.arch.x86.entry.common import _RESTART_CODES
from glasskernel.arch.x86.kernel.thread_info import (_TIF_NEED_REGS_LOAD, _TIF_NEED_RESCHED,
                                                     _TIF_SLOW_SYSCALL, _TIF_SYSCALL_INTERRUPTED)
from glasskernel.kernel.sched.park import ERESTART_PARK
from glasskernel.kernel.sched.wait import SlowPathRequired
from glasskernel.kernel.trace import tracepoint
from glasskernel.mm.uaccess import get_user_u32
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.arch.x86.kernel.dumpstack import internal_error

IA32_SYSCALL_VECTOR = 0x80
_MASK = 0xFFFF_FFFF_FFFF_FFFF


def _save_compat_regs(kernel, task, args: list, how: str) -> None:
    """Leave the emulator for the slow path with the syscall's number and arguments."""
    thread = task.thread
    thread.slow_args = args
    thread.flags |= _TIF_SLOW_SYSCALL
    thread.compat_entry = how
    thread.ts_compat = True
    if tracepoint._active is not None:
        read = kernel.cpu.read_reg
        regs = dict(zip(("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"), (f"{v:#x}" for v in args)))
        tracepoint.trace_event(how, task=task, nr=args[0], eip=f"{read('rip'):#x}",
                               esp=f"{read('rsp') & 0xFFFF_FFFF:#x}", **regs)


def entry_INT80_compat(kernel) -> bool:
    """int $0x80: the exception hook's vector 0x80. True: the syscall ran in the hook and
    user code goes on; False: the run stops, for the slow path (do_int80_syscall_32) or
    for the work the way out has (a signal, a switch)."""
    task = kernel.current
    args = kernel.cpu.compat_syscall_args()
    keep = _fast_syscall_32(kernel, task, args, None)
    if keep is None:
        _save_compat_regs(kernel, task, args, "entry_INT80_compat")
        return False
    return keep


def entry_SYSENTER_compat(kernel) -> bool:
    """sysenter, from __kernel_vsyscall: as entry_INT80_compat, with the sixth argument
    on the user stack and the return at the vDSO's landing pad (do_fast_syscall_32)."""
    task = kernel.current
    args = kernel.cpu.compat_syscall_args()
    keep = _fast_syscall_32(kernel, task, args, args[6])
    if keep is None:
        _save_compat_regs(kernel, task, args, "entry_SYSENTER_compat")
        return False
    return keep


_table = None               # ia32_sys_call_table(), once built (it imports every handler)
_landing_pad = None         # the offset of int80_landing_pad in the 32-bit vDSO


def _fast_syscall_32(kernel, task, args: list, stack):
    """A 32-bit syscall inside the CPU hook, when it need not sleep, switch or be traced:
    True to keep running, False to stop (work on the way out), None: take the slow path
    (nothing was done). stack: sysenter's ebp (the sixth argument's address), else None."""
    global _table, _landing_pad
    if tracepoint._active is not None or kernel.strace is not None or kernel.debugger is not None:
        return None
    if _table is None:
        from glasskernel.arch.x86.entry.vdso.vma import vdso32_sym
        _table, _landing_pad = kernel.ia32_sys_call_table(), vdso32_sym("int80_landing_pad")
    entry = _table.get(args[0])
    if entry is None or entry.slow:
        return None
    cpu = kernel.cpu
    if stack is not None:
        try:                                  # a copy: the slow path, if it must run, reads
            args = args[:6] + [get_user_u32(task, stack)]     # the stack from ebp itself
        except KernelError:
            return None                       # the slow path reports it
    thread = task.thread
    thread.orig_rax = args[0]
    thread.ts_compat = True
    kernel.in_fast_syscall = True
    try:
        ret = entry.call(task, args)
    except KernelError as err:
        ret = -err.errno
    except SlowPathRequired:
        ret = None
    except Exception as exc:                  # an internal bug: report and contain it
        internal_error(task, exc, syscall=entry.name)
        ret = -Errno.ENOSYS
    finally:
        kernel.in_fast_syscall = False
        thread.orig_rax = -1
    if ret is None or ret == ERESTART_PARK:
        return None                           # it must sleep: from scratch, on its stack
    if stack is not None:                     # do_fast_syscall_32's return to the pad
        pad = task.mm.vdso + _landing_pad
        set_regs = (("rip", pad - SYSCALL_INSN_LEN), ("rsp", stack), ("rbp", args[6]))
    else:
        set_regs = ()
    if thread.flags & _TIF_NEED_REGS_LOAD:    # the handler took the saved context as truth
        thread.regs["rax"] = ret & _MASK
        for name, value in set_regs:
            thread.regs[name] = value + (SYSCALL_INSN_LEN if name == "rip" else 0)
        return False
    cpu.write_reg("rax", ret & _MASK)
    for name, value in set_regs:
        cpu.write_reg(name, value)
    if ret in _RESTART_CODES:
        thread.last_syscall_nr = args[0]
        thread.flags |= _TIF_SYSCALL_INTERRUPTED
        return False
    if task.exiting or task.pending & ~task.blocked or thread.flags & _TIF_NEED_RESCHED:
        return False
    thread.ts_compat = False
    return True
