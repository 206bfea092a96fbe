"""Thread-local storage descriptors of 32-bit programs (arch/x86/kernel/tls.c).

An i386 C library asks for a data segment whose base is its thread control block
(``set_thread_area``, a ``struct user_desc``) and loads its selector into %gs. The three
slots are per task (``thread.tls_array``, copied at fork, cleared at exec) and are written
into the GDT when the task runs (``load_TLS`` at each switch).
"""
import struct

from glasskernel.arch.x86.segment import (GDT_ENTRY_TLS_ENTRIES, GDT_ENTRY_TLS_MAX, GDT_ENTRY_TLS_MIN,
                                          USER_CS)
from glasskernel.mm.uaccess import copy_from_user, copy_to_user, put_user_u32
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.arch.x86.kernel.process_64 import set_user_reg

USER_DESC = struct.Struct("<IIII")      # entry_number, base_addr, limit, the flag bits
_SEG_32BIT, _CONTENTS_SHIFT, _READ_EXEC_ONLY = 1, 1, 1 << 3
_LIMIT_IN_PAGES, _SEG_NOT_PRESENT, _USEABLE = 1 << 4, 1 << 5, 1 << 6
_FLAG_BITS = 0x7F                       # `lm` (bit 7) is ignored from 32-bit callers


class UserDesc:
    """struct user_desc, decoded."""

    __slots__ = ("entry_number", "base_addr", "limit", "flags")

    def __init__(self, raw: bytes):
        self.entry_number, self.base_addr, self.limit, flags = USER_DESC.unpack(raw)
        self.flags = flags & _FLAG_BITS

    @property
    def contents(self) -> int:
        return (self.flags >> _CONTENTS_SHIFT) & 3

    def empty(self) -> bool:
        """LDT_empty, or LDT_zero (all zero, which programs use to mean "no segment")."""
        if self.base_addr or self.limit:
            return False
        return self.flags in (_READ_EXEC_ONLY | _SEG_NOT_PRESENT, 0)

    def okay(self) -> bool:
        """tls_desc_okay: only present 32-bit data segments, or an empty one."""
        if self.empty():
            return True
        return bool(self.flags & _SEG_32BIT) and self.contents <= 1 \
            and not self.flags & _SEG_NOT_PRESENT


def fill_ldt(info: UserDesc) -> bytes:
    """The 8-byte descriptor for info (desc.h: fill_ldt), DPL 3, accessed bit set."""
    flags = info.flags
    access = 0x10 | (3 << 5) | 1 | (0 if flags & _READ_EXEC_ONLY else 2) | (info.contents << 2)
    if not flags & _SEG_NOT_PRESENT:
        access |= 0x80
    high = (info.limit >> 16) & 0xF
    high |= (0x10 if flags & _USEABLE else 0) | (0x40 if flags & _SEG_32BIT else 0)
    high |= 0x80 if flags & _LIMIT_IN_PAGES else 0
    base = info.base_addr
    return struct.pack("<HHBBBB", info.limit & 0xFFFF, base & 0xFFFF, (base >> 16) & 0xFF, access,
                       high, base >> 24)


def desc_base(desc: bytes) -> int:
    return desc[2] | desc[3] << 8 | desc[4] << 16 | desc[7] << 24


def fill_user_desc(idx: int, desc: bytes) -> bytes:
    """The user_desc that describes a descriptor (get_thread_area)."""
    limit = desc[0] | desc[1] << 8 | (desc[6] & 0xF) << 16
    access, high = desc[5], desc[6]
    flags = (1 if high & 0x40 else 0) | ((access >> 2) & 3) << _CONTENTS_SHIFT
    flags |= 0 if access & 2 else _READ_EXEC_ONLY
    flags |= (_LIMIT_IN_PAGES if high & 0x80 else 0) | (0 if access & 0x80 else _SEG_NOT_PRESENT)
    flags |= (_USEABLE if high & 0x10 else 0) | (0x80 if high & 0x20 else 0)
    return USER_DESC.pack(idx, desc_base(desc), limit, flags)


def get_free_idx(task) -> int:
    tls = task.thread.tls_array
    for i in range(GDT_ENTRY_TLS_ENTRIES):
        if not any(tls[8 * i:8 * i + 8]):
            return i + GDT_ENTRY_TLS_MIN
    raise KernelError(Errno.ESRCH)


def set_tls_desc(task, idx: int, info: UserDesc) -> None:
    """Write slot idx and, for the running task, the GDT (load_TLS)."""
    thread = task.thread
    desc = bytes(8) if info.empty() else fill_ldt(info)
    off = 8 * (idx - GDT_ENTRY_TLS_MIN)
    thread.tls_array = thread.tls_array[:off] + desc + thread.tls_array[off + 8:]
    kernel = task.kernel
    if kernel.cpu_task is task:
        kernel.cpu.load_tls(thread.tls_array)


def do_set_thread_area(task, idx: int, u_info: int, can_allocate: bool) -> int:
    """set_thread_area's work, also clone's CLONE_SETTLS for a 32-bit caller (idx -1:
    the entry_number of u_info; -1 there: the first free slot, written back)."""
    info = UserDesc(copy_from_user(task, u_info, USER_DESC.size))
    if not info.okay():
        raise KernelError(Errno.EINVAL)
    if idx == -1:
        idx = info.entry_number if info.entry_number < 1 << 31 else info.entry_number - (1 << 32)
    if idx == -1 and can_allocate:
        idx = get_free_idx(task)
        put_user_u32(task, u_info, idx)
    if not GDT_ENTRY_TLS_MIN <= idx <= GDT_ENTRY_TLS_MAX:
        raise KernelError(Errno.EINVAL)
    set_tls_desc(task, idx, info)
    _refresh_segments(task, idx, info)
    return 0


def _refresh_segments(task, idx: int, info: UserDesc) -> None:
    """A data segment register that holds the rewritten selector reloads it: its base
    (what the emulator keeps of a loaded segment) follows the new descriptor."""
    kernel = task.kernel
    if kernel.cpu_task is not task or task.thread.user_cs == USER_CS:
        return
    selector = idx << 3 | 3
    for seg in ("gs", "fs"):
        if kernel.cpu.read_segment(seg) == selector:
            set_user_reg(task, f"{seg}_base", 0 if info.empty() else info.base_addr)


def set_new_tls_ia32(p, current, u_info: int) -> None:
    """clone's CLONE_SETTLS from a 32-bit caller: the child's slot from a user_desc. The
    child's %gs keeps the parent's selector; if that is the slot, its base is the new one."""
    info = UserDesc(copy_from_user(current, u_info, USER_DESC.size))
    do_set_thread_area(p, -1, u_info, False)
    idx = info.entry_number
    if current.kernel.cpu_task is current and current.kernel.cpu.read_segment("gs") == (idx << 3 | 3):
        p.thread.regs["gs_base"] = 0 if info.empty() else info.base_addr


def sys_set_thread_area(task, u_info) -> int:
    return do_set_thread_area(task, -1, u_info, True)


def do_get_thread_area(task, idx: int, u_info: int) -> int:
    if idx == -1:
        idx = int.from_bytes(copy_from_user(task, u_info, 4), "little", signed=True)
    if not GDT_ENTRY_TLS_MIN <= idx <= GDT_ENTRY_TLS_MAX:
        raise KernelError(Errno.EINVAL)
    off = 8 * (idx - GDT_ENTRY_TLS_MIN)
    copy_to_user(task, u_info, fill_user_desc(idx, task.thread.tls_array[off:off + 8]))
    return 0


def sys_get_thread_area(task, u_info) -> int:
    return do_get_thread_area(task, -1, u_info)
