"""Which ABI a handler was installed from (arch/x86/kernel/signal_compat.c).

A handler installed by a compat (i386) sigaction, rt_sigaction or signal call is marked
SA_IA32_ABI; its signals get i386 frames (arch/x86/ia32/ia32_signal.py) whatever mode
the task is in when they arrive, as in Linux. The flag is the kernel's own: sigaction
never shows it to user space.
"""
SA_IA32_ABI = 0x02000000


def in_ia32_syscall(task) -> bool:
    """Is task in a syscall made through the i386 table (TS_COMPAT)?"""
    try:
        from glasskernel.arch.x86.kernel.process import in_ia32_syscall as ts_compat
    except ImportError:               # before the compat entry paths: no i386 syscalls
        return False
    return ts_compat(task)


def sigaction_compat_abi(task, flags: int) -> int:
    """The flags of an action being installed, marked with the caller's ABI."""
    return flags | SA_IA32_ABI if in_ia32_syscall(task) else flags
