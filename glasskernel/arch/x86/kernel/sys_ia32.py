"""Wrappers for i386 syscalls whose arguments differ from the 64-bit ones
(arch/x86/kernel/sys_ia32.c, and the compat argument orders of kernel/fork.c)."""
from glasskernel.kernel.fork import sys_clone


def sys_ia32_clone(task, clone_flags, newsp, parent_tidptr, tls, child_tidptr) -> int:
    """clone(2) as i386 passes it (CONFIG_CLONE_BACKWARDS): tls before child_tid."""
    return sys_clone(task, clone_flags, newsp, parent_tidptr, child_tidptr, tls)
