"""The kernel half of every address space, as the CPU boots it (arch/x86/kernel/head_64.S).

Linux's head_64.S builds the early page tables and the GDT before anything else runs;
here the CPU backend does it once per emulated CPU: the kernel text page holding the
sysret trampolines, the GDT page above it, and the exit page where Linux has the
vsyscall page. It sits at the bottom of the layers with cpu.py, which calls it.
"""
from glasskernel.arch.x86.mm.pgtable import PageTable, pte_flags
from glasskernel.arch.x86.page_types import PAGE_SIZE
from glasskernel.arch.x86.segment import GDT_ENTRIES, boot_gdt

# Kernel text lives where Linux puts it; only the sysretq/sysretl trampolines are mapped
# there, and the GDT on the page above them.
KERNEL_TEXT = 0xFFFF_FFFF_8100_0000
SYSRETL = KERNEL_TEXT + 3             # sysretq is 48 0f 07, sysretl (to compatibility mode) 0f 07
COMPAT_STOP = 0xFFFF_F000             # above IA32_PAGE_OFFSET: never mapped for a 32-bit task
GDT_ADDR = KERNEL_TEXT + PAGE_SIZE
# The exit page: where Linux has the vsyscall page. Unicorn translates `until - 1` as a user
# instruction fetch after every stop, so that page must be present, user and executable in
# every address space, or each stop leaves a phantom #PF behind (the next real #PF would
# arrive as a double fault). It is filled with int3 and never reached: `until` is in its
# middle, not at a page start, so Unicorn never probes the page before it.
EXIT_PAGE = 0xFFFF_FFFF_FF60_0000
NEVER_REACHED = EXIT_PAGE + 0x800
# A user address that is never mapped at boot: the self-test faults on it.
SELFTEST_FAULT_ADDR = 0x1000


def map_kernel_text(phys) -> PageTable:
    """Map the kernel half every mm shares (its PML4 entry is the CPU's ``kernel_pgd_entry``).

    Three pages: the supervisor-only page holding `sysretq`/`sysretl` (how user mode is
    entered), the GDT, and the user-visible exit page of int3 instructions (EXIT_PAGE).
    """
    ktable = PageTable(phys)
    page = phys.alloc_page()
    phys.view[page:page + 5] = b"\x48\x0f\x07\x0f\x07"  # sysretq; sysretl
    ktable.set_pte(KERNEL_TEXT, page | pte_flags(False, True, user=False))
    gdt = phys.alloc_page()
    phys.view[gdt:gdt + GDT_ENTRIES * 8] = boot_gdt()
    ktable.set_pte(GDT_ADDR, gdt | pte_flags(True, False, user=False))
    exit_page = phys.alloc_page()
    phys.view[exit_page:exit_page + PAGE_SIZE] = b"\xcc" * PAGE_SIZE
    ktable.set_pte(EXIT_PAGE, exit_page | pte_flags(False, True, user=True))
    return ktable
