"""The 32-bit system call entries of a 64-bit kernel (arch/x86/entry/entry_64_compat.S).

An i386 program enters the kernel two ways: ``int $0x80`` (the CPU's interrupt hook sees
vector 0x80) and ``sysenter``, which the C library reaches through the vDSO's
``__kernel_vsyscall``. Both save the 32-bit registers as the syscall's pt_regs (eax is the
number; ebx, ecx, edx, esi, edi, ebp the arguments, each zero-extended) and leave the
emulator: every 32-bit syscall runs on the task's kernel stack, in ``do_int80_syscall_32``
or ``do_fast_syscall_32`` (common.py), never inside the CPU hook.

``int $0x80`` from a 64-bit program takes the same path, with the 32-bit table, as Linux
allows.
"""
from glasskernel.kernel.trace import tracepoint

IA32_SYSCALL_VECTOR = 0x80
_COMPAT_REGS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp")


def _save_compat_regs(kernel, how: str) -> None:
    """The syscall's number and arguments from the live registers, for the slow path."""
    task = kernel.current
    read = kernel.cpu.read_reg
    thread = task.thread
    thread.slow_args = [read(name) & 0xFFFF_FFFF for name in _COMPAT_REGS]
    thread.slow_syscall = True
    thread.compat_entry = how
    thread.ts_compat = True
    if tracepoint._active is not None:
        tracepoint.trace_event(how, nr=thread.slow_args[0])


def entry_INT80_compat(kernel) -> bool:
    """int $0x80: the exception hook's vector 0x80. Returns False: the run stops, and
    the return-to-user loop calls do_int80_syscall_32."""
    _save_compat_regs(kernel, "entry_INT80_compat")
    return False


def entry_SYSENTER_compat(kernel) -> None:
    """sysenter, from __kernel_vsyscall: the run stops in the CPU's sysenter hook, and the
    return-to-user loop calls do_fast_syscall_32."""
    _save_compat_regs(kernel, "entry_SYSENTER_compat")
