"""The GDT and its selectors (arch/x86/include/asm/segment.h, desc.h, kernel/tls.c's fill).

A 64-bit kernel still has a GDT: compatibility mode is chosen by the code segment a task
returns to (``__USER32_CS``: L=0, D=1), and 32-bit programs find their thread-local storage
through a data segment in one of three per-task TLS slots (``set_thread_area``), loaded into
%gs by the C library. Only the layout lives here; cpu.py maps the table and loads GDTR.
"""
import struct

GDT_ENTRY_KERNEL32_CS, GDT_ENTRY_KERNEL_CS, GDT_ENTRY_KERNEL_DS = 1, 2, 3
GDT_ENTRY_DEFAULT_USER32_CS, GDT_ENTRY_DEFAULT_USER_DS, GDT_ENTRY_DEFAULT_USER_CS = 4, 5, 6
GDT_ENTRY_TLS_MIN, GDT_ENTRY_TLS_ENTRIES = 12, 3
GDT_ENTRY_TLS_MAX = GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES - 1
GDT_ENTRIES = 16

# Linux's __KERNEL_CS, __USER32_CS, __USER_DS, __USER_CS (without the underscores, which
# Python would mangle inside a class).
KERNEL_CS = GDT_ENTRY_KERNEL_CS * 8
USER32_CS = GDT_ENTRY_DEFAULT_USER32_CS * 8 + 3            # 0x23: compatibility mode
USER_DS = GDT_ENTRY_DEFAULT_USER_DS * 8 + 3                # 0x2b: every user data/stack segment
USER_CS = GDT_ENTRY_DEFAULT_USER_CS * 8 + 3                # 0x33: 64-bit mode

# Access byte: present, DPL, S (code/data), type. Flags nibble: G, D/B, L.
_ACC_P, _ACC_S, _ACC_CODE, _ACC_RW, _ACC_ACCESSED = 0x80, 0x10, 0x08, 0x02, 0x01
_FLAG_G, _FLAG_DB, _FLAG_L = 0x8, 0x4, 0x2


def make_desc(base: int, limit: int, access: int, flags: int) -> bytes:
    """One 8-byte segment descriptor."""
    return struct.pack("<HHBBBB", limit & 0xFFFF, base & 0xFFFF, (base >> 16) & 0xFF, access,
                       ((limit >> 16) & 0xF) | (flags << 4), (base >> 24) & 0xFF)


def _flat(dpl: int, code: bool, flags: int) -> bytes:
    access = _ACC_P | (dpl << 5) | _ACC_S | _ACC_RW | _ACC_ACCESSED | (_ACC_CODE if code else 0)
    return make_desc(0, 0xFFFFF, access, flags)


def boot_gdt() -> bytes:
    """The table every CPU starts with (cpu/common.c's gdt_page), TLS slots empty."""
    entries = [bytes(8)] * GDT_ENTRIES
    entries[GDT_ENTRY_KERNEL32_CS] = _flat(0, True, _FLAG_G | _FLAG_DB)
    entries[GDT_ENTRY_KERNEL_CS] = _flat(0, True, _FLAG_G | _FLAG_L)
    entries[GDT_ENTRY_KERNEL_DS] = _flat(0, False, _FLAG_G | _FLAG_DB)
    entries[GDT_ENTRY_DEFAULT_USER32_CS] = _flat(3, True, _FLAG_G | _FLAG_DB)
    entries[GDT_ENTRY_DEFAULT_USER_DS] = _flat(3, False, _FLAG_G | _FLAG_DB)
    entries[GDT_ENTRY_DEFAULT_USER_CS] = _flat(3, True, _FLAG_G | _FLAG_L)
    return b"".join(entries)


def user_64bit_mode(cs: int) -> bool:
    """Is a task whose saved CS is cs in 64-bit mode (asm/ptrace.h: user_64bit_mode)?"""
    return cs == USER_CS
