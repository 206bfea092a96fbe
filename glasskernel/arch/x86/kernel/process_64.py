"""64-bit specifics of process state (arch/x86/kernel/process_64.c)."""
from glasskernel.arch.x86.kernel.process import X86_EFLAGS_IF, empty_pt_regs
from glasskernel.mm.uaccess import put_user_u64
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.kernel.trace.tracepoint import traced

ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004
ARCH_GET_CPUID, ARCH_SET_CPUID = 0x1011, 0x1012
_TASK_SIZE_MAX = 0x0000_7FFF_FFFF_F000


@traced(args=lambda task, new_ip, new_sp: {"rip": f"{new_ip:#x}", "rsp": f"{new_sp:#x}"},
        ret=lambda _r: {})
def start_thread(task, new_ip: int, new_sp: int) -> None:
    """Point the saved user context at a new program: clean registers, new rip and rsp.

    This is what makes execve "return" into the new program: the syscall's return to user
    mode loads these registers instead of the caller's.
    """
    regs = empty_pt_regs()
    regs["rip"] = new_ip
    regs["rsp"] = new_sp
    regs["rflags"] = X86_EFLAGS_IF
    task.thread.regs = regs
    task.thread.regs_dirty = True
    task.thread.regs_replaced = True
    task.kernel.write_fpstate(task, task.kernel.cpu.default_fxsave())   # fpu__clear


def sys_arch_prctl(task, option, arg2) -> int:
    """arch_prctl(2): the FS/GS bases that libc uses for thread-local storage."""
    option &= 0xFFFFFFFF
    if option in (ARCH_SET_FS, ARCH_SET_GS):
        if arg2 >= _TASK_SIZE_MAX:
            raise KernelError(Errno.EPERM)
        task.kernel.set_user_reg(task, "fs_base" if option == ARCH_SET_FS else "gs_base", arg2)
        return 0
    if option in (ARCH_GET_FS, ARCH_GET_GS):
        value = task.kernel.get_user_reg(task, "fs_base" if option == ARCH_GET_FS else "gs_base")
        put_user_u64(task, arg2, value)
        return 0
    if option == ARCH_GET_CPUID:
        return 1
    if option == ARCH_SET_CPUID:
        raise KernelError(Errno.ENODEV)
    raise KernelError(Errno.EINVAL)
