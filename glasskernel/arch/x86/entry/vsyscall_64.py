"""The legacy vsyscall page (arch/x86/entry/vsyscall/vsyscall_64.c), vsyscall=xonly.

Linux 6.1 keeps 0xffffffffff600000 for old binaries that call gettimeofday, time and
getcpu at fixed addresses (+0x000, +0x400, +0x800). The page is not really there: the
instruction fetch faults and the kernel emulates the call, returning to the address on
top of the stack. A fetch anywhere else in the page, a bad stack or a faulting argument
end in SIGSEGV.

Here the page holds int3 instructions and the emulator's stop address (head_64.EXIT_PAGE,
NEVER_REACHED, which is the getcpu entry): a fetch there comes back as a breakpoint or
as a run that stopped at that address, and is handed to ``emulate_vsyscall``. A data
read of the page still reads the int3 bytes where Linux faults: the page must stay
readable for the emulator (see cpu.py).
"""
from glasskernel.arch.x86.head_64 import EXIT_PAGE, NEVER_REACHED
from glasskernel.mm.uaccess import USER_HALF_END, get_user_u64, put_user_i32
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.arch.x86.kernel.process_64 import get_user_reg, set_user_reg

VSYSCALL_ADDR = EXIT_PAGE
SIGSEGV, SI_KERNEL = 11, 0x80
_VSYSCALL_NAMES = ("gettimeofday", "time", "getcpu")


def in_vsyscall_page(addr: int) -> bool:
    return VSYSCALL_ADDR <= addr < VSYSCALL_ADDR + 4096


def stopped_in_vsyscall_page(kernel, task) -> bool:
    """Did the run end on the emulator's stop address, which a guest jumped to?"""
    return get_user_reg(task, "rip") == NEVER_REACHED


def addr_to_vsyscall_nr(addr: int) -> int:
    """0, 1 or 2 for the three entry points; -1 for any other address."""
    if addr & ~0xC00 != VSYSCALL_ADDR:
        return -1
    nr = (addr & 0xC00) >> 10
    return nr if nr < 3 else -1


def _write_ok(ptr: int, size: int) -> bool:
    """write_ok_or_segv's range check: NULL is fine, a kernel address is not."""
    return ptr == 0 or ptr + size <= USER_HALF_END


def _vsyscall(task, nr: int, di: int, si: int) -> int:
    """The syscall behind entry nr, with Linux's errno return."""
    from glasskernel.kernel.time import sys_gettimeofday, sys_time
    sizes = ((16, 8), (8, 0), (4, 4))[nr]
    if not _write_ok(di, sizes[0]) or (sizes[1] and not _write_ok(si, sizes[1])):
        return -Errno.EFAULT
    try:
        if nr == 0:
            return sys_gettimeofday(task, di, si)
        if nr == 1:
            return sys_time(task, di)
        for ptr in (di, si):                # getcpu: one CPU, one node
            if ptr:
                put_user_i32(task, ptr, 0)
        return 0
    except KernelError as err:
        return -err.errno


def emulate_vsyscall(kernel, task, address: int) -> None:
    """A fetch at address in the vsyscall page: do the call and return to the caller,
    or SIGSEGV (force_sig: SI_KERNEL, no address) as Linux does."""
    from glasskernel.kernel.signal import force_sig_fault
    nr = addr_to_vsyscall_nr(address)
    sp = get_user_reg(task, "rsp")
    ret = -Errno.EFAULT
    if nr >= 0:
        try:
            caller = get_user_u64(task, sp)
        except KernelError:
            nr = -1                          # "vsyscall with bad stack"
    if nr >= 0:
        ret = _vsyscall(task, nr, get_user_reg(task, "rdi"), get_user_reg(task, "rsi"))
    if ret == -Errno.EFAULT:
        force_sig_fault(task, SIGSEGV, SI_KERNEL, 0)
        return
    set_user_reg(task, "rax", ret & 0xFFFF_FFFF_FFFF_FFFF)
    set_user_reg(task, "rip", caller)
    set_user_reg(task, "rsp", sp + 8)
