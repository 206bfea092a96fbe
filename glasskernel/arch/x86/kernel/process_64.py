"""64-bit specifics of process state (arch/x86/kernel/process_64.c).

The user-context half of ``__switch_to`` lives here: a task leaving the CPU has its whole
user context (pt_regs, FPU state, segment bases, CR3) saved in one copy
(``save_user_regs``), the task that runs again gets it back (``restore_user_regs``), and
the return to user mode loads whatever the kernel changed meanwhile (``enter_user_mode``).
A task off the CPU that someone looks at has its saved context decoded
(``unload_context``); the accessors below read or change a task's registers and FPU
state wherever they are: in the CPU, in its saved context, or in pt_regs.
"""
from glasskernel.arch.x86.fpu import FP_RAW_SIZE, fxsave_from_raw
from glasskernel.arch.x86.kernel.process import X86_EFLAGS_IF, empty_pt_regs
from glasskernel.arch.x86.segment import USER32_CS, USER_CS
from glasskernel.arch.x86.kernel.thread_info import _TIF_NEED_REGS_LOAD, _TIF_NOTSC
from glasskernel.kernel.trace import tracepoint
from glasskernel.kernel.trace.events import charge_vdso_reads
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
    write_fpstate(task, task.kernel.cpu.default_fxsave())   # fpu__clear


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
        set_user_reg(task, "fs_base" if option == ARCH_SET_FS else "gs_base", arg2)
        return 0
    if option in (ARCH_GET_FS, ARCH_GET_GS):
        value = get_user_reg(task, "fs_base" if option == ARCH_GET_FS else "gs_base")
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


# ----- __switch_to: the user context leaving and entering the CPU -----------------------------

def save_user_regs(kernel, task) -> None:
    """switch_to's save (the pt_regs and switch_fpu_prepare): the outgoing task's whole
    user context goes into its saved context in one copy. Its pt_regs dict is not
    updated: the task loads the context back when it runs again
    (``restore_user_regs``), and whoever looks at it meanwhile decodes it
    (``unload_context``)."""
    if kernel.cpu_task is task:
        if tracepoint._active is not None:
            charge_vdso_reads(task)
        thread = task.thread
        thread.context = kernel.cpu.save_context(thread.context)
        thread.context_cr3 = kernel.cpu.current_cr3
        thread.context_saved = True
        kernel.cpu_task = None


def restore_user_regs(kernel, task) -> None:
    """switch_to's other half, in the task that runs again: its saved context goes
    back into the CPU (the next return to user mode only writes what the kernel
    changed meanwhile, see ``enter_user_mode``)."""
    thread = task.thread
    if thread is not None and thread.context_saved:
        kernel.cpu.restore_context(thread.context, thread.context_cr3)
        thread.context_saved = False
        kernel.cpu_task = task
        if thread.user_cs != USER_CS:
            kernel.cpu.load_tls(thread.tls_array)     # switch_to's load_TLS


def switch_user_context(kernel, prev, nxt) -> None:
    """save_user_regs, switch_mm and restore_user_regs in one CPU call, for a switch
    inside the syscall hook (park.py): prev's context is saved, nxt's (saved when it
    parked) is loaded with its address space."""
    cpu, pthread, nthread, mm = kernel.cpu, prev.thread, nxt.thread, nxt.mm
    if tracepoint._active is not None:
        charge_vdso_reads(prev)
    mm.cpu = cpu
    pgd, loaded = mm.pgtable.pgd, cpu.current_cr3
    cr3 = pgd if pgd != loaded or nthread.context_cr3 != pgd else 0
    pthread.context_cr3 = loaded
    pthread.context = cpu.switch_context(pthread.context, nthread.context, cr3)
    pthread.context_saved = True
    nthread.context_saved = False
    kernel.cpu_task = nxt


def unload_context(task) -> None:
    """A task off the CPU is looked at (its registers or FPU state): decode its saved
    context into pt_regs and the FPU area, which become the truth until it runs."""
    thread = task.thread
    if thread is not None and thread.context_saved:
        regs, fpu, segs = task.kernel.cpu.read_context(thread.context)
        if not thread.flags & _TIF_NEED_REGS_LOAD:
            thread.regs = regs
            thread.flags |= _TIF_NEED_REGS_LOAD
        thread.fpstate = fpu
        if thread.user_cs != USER_CS:
            thread.user_segs = segs         # its TLS selectors, loaded when it runs
        thread.context_saved = False


def enter_user_mode(kernel, task) -> None:
    """Load the task's user context into the CPU unless it is there already."""
    thread = task.thread
    cpu = kernel.cpu
    thread.ts_compat = False                # arch_exit_to_user_mode_prepare
    if (kernel.cpu_task is not task or thread.flags & _TIF_NEED_REGS_LOAD) and cpu.user_cs() != thread.user_cs:
        # A new program of the other mode, or a task of it whose context is not loaded,
        # or the loaded task changing mode (a signal frame of the other ABI, sigreturn):
        # its FPU state, in the CPU, must survive the switch.
        if kernel.cpu_task is task:
            thread.fpstate = cpu.read_fxsave()
        cpu.set_user_mode(thread.user_cs, task.mm.pgtable.pgd, thread.regs["rip"])
        kernel.cpu_task = None
    if kernel.cpu_task is not task and thread.user_cs != USER_CS:
        cpu.load_tls(thread.tls_array)
        for name, selector in thread.user_segs:     # a new child: its parent's fs, gs
            cpu.load_segment(name, selector)
        thread.user_segs = ()
    if kernel.cpu_task is not task:
        cpu.write_fp_state(thread.fpstate or cpu.default_fxsave())
        # A context loaded at a switch brings its CR4; a task's first run does not.
        cpu.set_tsc_disabled(thread.flags & _TIF_NOTSC != 0)
    if kernel.cpu_task is not task or thread.flags & _TIF_NEED_REGS_LOAD:
        cpu.write_regs(thread.regs)
        thread.flags &= ~_TIF_NEED_REGS_LOAD
        kernel.cpu_task = task
    if cpu.current_cr3 != task.mm.pgtable.pgd:
        cpu.load_cr3(task.mm.pgtable.pgd)
    now = task.user_entered_ns = kernel.clock_ns()
    if task.kernel_entered_ns:          # the kernel's work since the task left user mode
        task.stime_ns += now - task.kernel_entered_ns
        task.kernel_entered_ns = 0


# ----- a task's registers and FPU state, wherever they are ------------------------------------

def regs_live(task) -> bool:
    """Are the task's registers the CPU's (it runs, and pt_regs has no change to load)?"""
    kernel = task.kernel
    return (task is kernel.cpu_task and task is kernel.current
            and not task.thread.flags & _TIF_NEED_REGS_LOAD)


def get_user_reg(task, name: str) -> int:
    """One user register of the task (getreg)."""
    if regs_live(task):
        return task.kernel.cpu.read_reg(name)
    unload_context(task)
    return task.thread.regs[name]


def set_user_reg(task, name: str, value: int) -> None:
    """Change one user register of the task (putreg)."""
    if regs_live(task):
        task.kernel.cpu.write_reg(name, value)
    else:
        unload_context(task)
        task.thread.regs[name] = value


def user_regs(task) -> dict:
    """A copy of the task's pt_regs, from wherever they are (the CPU, its saved
    context, or the dict)."""
    if regs_live(task):
        return task.kernel.cpu.read_regs()
    unload_context(task)
    return dict(task.thread.regs)


def sync_pt_regs(task) -> dict:
    """The task's pt_regs as the truth, ready to be changed (read from the CPU if live)."""
    if regs_live(task):
        task.thread.regs = task.kernel.cpu.read_regs()
    unload_context(task)
    task.thread.flags |= _TIF_NEED_REGS_LOAD
    return task.thread.regs


def read_fpstate(task) -> bytes:
    """The task's SSE state as a 512-byte fxsave area (live in the CPU: it ran last)."""
    cpu = task.kernel.cpu
    if task.kernel.cpu_task is task:
        return cpu.read_fxsave()
    unload_context(task)
    saved = task.thread.fpstate
    if saved is not None and len(saved) == FP_RAW_SIZE:
        return fxsave_from_raw(bytes(saved))   # saved at a switch in the CPU's layout
    return saved or cpu.default_fxsave()


def write_fpstate(task, area: bytes) -> None:
    """Replace the task's SSE state with a 512-byte fxsave area."""
    if task.kernel.cpu_task is task:
        task.kernel.cpu.write_fxsave(area)
    else:
        unload_context(task)
        task.thread.fpstate = area
