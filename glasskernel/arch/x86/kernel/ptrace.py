"""A task's user registers as a debugger sees them (arch/x86/kernel/ptrace.c's getreg side).

pt_regs holds the general registers, rflags and the segment bases; the segment selectors
are the CPU's own (Linux keeps ds/es/fs/gs selectors in thread_struct and the CPU), and a
32-bit task's view of the registers is the low halves of the 64-bit ones
(``user_regs_struct32``: ebx, ecx, ... orig_eax, eip, xcs, eflags, esp, xss).
"""
from glasskernel.arch.x86.segment import GDT_ENTRY_TLS_ENTRIES, GDT_ENTRY_TLS_MIN, USER_CS, USER_DS
from glasskernel.arch.x86.kernel.process_64 import user_regs

SEGMENT_NAMES = ("cs", "ss", "ds", "es", "fs", "gs")


def user_mode_is_compat(task) -> bool:
    """Does the task run (or return to) compatibility mode (pt_regs->cs == __USER32_CS)?"""
    return task.thread is not None and task.thread.user_cs != USER_CS


def _tls_selector(task, base: int) -> int:
    """The selector of the task's TLS slot with this base (0 if none): what a 32-bit C
    library keeps in %gs for its thread pointer."""
    tls = task.thread.tls_array
    for i in range(GDT_ENTRY_TLS_ENTRIES):
        desc = int.from_bytes(tls[8 * i:8 * i + 8], "little")
        if not desc >> 47 & 1:                  # not present
            continue
        desc_base = (desc >> 16 & 0xFFFFFF) | (desc >> 56 & 0xFF) << 24
        if desc_base == base:
            return (GDT_ENTRY_TLS_MIN + i) << 3 | 3
    return 0


def get_segment_regs(kernel, task) -> dict:
    """The user segment selectors of task (get_segment_reg for each): the CPU's when it
    holds the task's context in the task's mode; otherwise what a return to user mode
    loads: the mode's code and stack segments, and for a 32-bit task %ds and %es on the
    flat user data segment (what the switch saved, thread.ds/es: an i386 C library never
    changes them) and %gs on the TLS slot whose base is its gs base."""
    cpu = kernel.cpu
    if kernel.cpu_task is task and cpu.user_cs() == task.thread.user_cs:
        return {name: cpu.read_segment(name) for name in SEGMENT_NAMES}
    segs = dict.fromkeys(SEGMENT_NAMES, 0)
    segs["cs"], segs["ss"] = task.thread.user_cs, USER_DS
    if user_mode_is_compat(task):
        gs_base = user_regs(task).get("gs_base", 0)     # decodes a saved context
        segs["ds"] = segs["es"] = USER_DS
        segs["gs"] = _tls_selector(task, gs_base) if gs_base else 0
        segs.update(task.thread.user_segs)      # the fs and gs that context had, if known
    return segs


def compat_orig_ax(task) -> int:
    """pt_regs->orig_ax of a compat task: the i386 call's number from its entry through
    the signal work on its way out (a fatal signal's core, a signal-delivery stop see it
    there), -1 otherwise (an exception's entry leaves no call to restart)."""
    thread = task.thread
    nr = thread.orig_rax
    if nr < 0 and thread.ts_compat:
        nr = thread.last_syscall_nr
    return nr


def getreg32_values(kernel, task) -> dict:
    """The 32-bit register set of a compat task (user_regs_struct32's names, orig_eax
    sign-extended as syscall_get_nr sees it), from pt_regs and the CPU's selectors."""
    regs = user_regs(task)
    out = {"e" + name[1:]: regs[name] & 0xFFFFFFFF
           for name in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "rip")}
    out["eflags"] = regs["rflags"] & 0xFFFFFFFF
    out.update(get_segment_regs(kernel, task))
    out["orig_eax"] = compat_orig_ax(task)
    out["fs_base"], out["gs_base"] = regs["fs_base"], regs["gs_base"]
    return out
