"""64-bit specifics of process state (arch/x86/kernel/process_64.c)."""
from glasskernel.arch.x86.kernel.process import X86_EFLAGS_IF, empty_pt_regs
from glasskernel.arch.x86.segment import USER32_CS, USER_CS
from glasskernel.arch.x86.kernel.thread_info import _TIF_NEED_REGS_LOAD
from glasskernel.mm.mm_types import IA32_MMAP_BASE, IA32_PAGE_OFFSET
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
    start_thread_common(task, new_ip, new_sp, USER_CS)


@traced(args=lambda task, new_ip, new_sp: {"eip": f"{new_ip:#x}", "esp": f"{new_sp:#x}"},
        ret=lambda _r: {})
def compat_start_thread(task, new_ip: int, new_sp: int) -> None:
    """start_thread for an i386 program: the same, with the 32-bit code segment, so the
    return to user mode enters compatibility mode."""
    start_thread_common(task, new_ip, new_sp, USER32_CS)


def start_thread_common(task, new_ip: int, new_sp: int, cs: int) -> None:
    regs = empty_pt_regs()
    regs["rip"] = new_ip
    regs["rsp"] = new_sp
    regs["rflags"] = X86_EFLAGS_IF
    thread = task.thread
    thread.regs = regs
    thread.user_cs = cs
    thread.tls_array = bytes(len(thread.tls_array))     # no TLS descriptors survive exec
    thread.flags |= _TIF_NEED_REGS_LOAD
    thread.regs_replaced = True
    task.kernel.write_fpstate(task, task.kernel.cpu.default_fxsave())   # fpu__clear


def set_personality_ia32(task, mm) -> None:
    """An i386 program's exec, past the point of no return: a 4 GiB address space
    (TIF_ADDR32) with its mmap area below the 32-bit stack, and the execve finishing as a
    32-bit syscall (TS_COMPAT)."""
    mm.task_size = IA32_PAGE_OFFSET
    mm.mmap_base = mm.free_area_cache = IA32_MMAP_BASE
    task.thread.ts_compat = True


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
    return do_arch_prctl_common(task, option, arg2)


def do_arch_prctl_common(task, option: int, arg2: int) -> int:
    """The options both ABIs have (arch/x86/kernel/process.c): CPUID faulting, which the
    CPU here does not offer; EINVAL for the rest."""
    if option == ARCH_GET_CPUID:
        return 1
    if option == ARCH_SET_CPUID:
        raise KernelError(Errno.ENODEV)
    raise KernelError(Errno.EINVAL)


def compat_sys_arch_prctl(task, option, arg2) -> int:
    """arch_prctl(2) of i386: only the common options (an i386 program sets its TLS with
    set_thread_area; ARCH_SET_FS and the others are EINVAL)."""
    return do_arch_prctl_common(task, option & 0xFFFFFFFF, arg2 & 0xFFFFFFFF)
