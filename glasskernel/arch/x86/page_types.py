"""The page size of x86-64 (arch/x86/include/asm/page_types.h).

Here, at the bottom of the layers, so the CPU and the page tables need nothing from mm/.
"""
PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = ~(PAGE_SIZE - 1)
