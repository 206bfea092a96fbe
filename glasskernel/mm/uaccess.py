"""User memory access: the only way kernel code touches guest memory.

Mirrors include/linux/uaccess.h and arch/x86/lib/usercopy_64.c. Every function takes the
task whose address space is meant and raises ``KernelError(EFAULT)`` for an address that is
not mapped with the needed permission, after giving the fault handler a chance to bring the
page in (demand paging, copy-on-write), exactly as a kernel copy faults and fixes up.

The address space object (``task.mm``) provides ``read(addr, n) -> bytes`` and
``write(addr, data)`` with those semantics; these wrappers add the typed helpers.
"""
import struct

from glasskernel.uapi.errno import Errno, KernelError

USER_HALF_END = 0x0000_8000_0000_0000    # end of the canonical lower half: access_ok's bound
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")


def copy_from_user(task, addr: int, n: int) -> bytes:
    """Read n bytes of the task's user memory at addr (EFAULT if any byte is unmapped)."""
    if n == 0:
        return b""
    return task.mm.read(addr, n)


def copy_to_user(task, addr: int, data: bytes) -> None:
    """Write data into the task's user memory at addr (EFAULT if not writable)."""
    if data:
        task.mm.write(addr, data)


def strncpy_from_user(task, addr: int, limit: int) -> bytes:
    """Read a NUL-terminated string of at most limit bytes (without the NUL).

    Raises ENAMETOOLONG when no NUL is found within limit bytes, EFAULT on a bad pointer.
    """
    return task.mm.read_cstring(addr, limit)


def get_user_u64(task, addr: int) -> int:
    return _U64.unpack(copy_from_user(task, addr, 8))[0]


def get_user_u32(task, addr: int) -> int:
    return _U32.unpack(copy_from_user(task, addr, 4))[0]


def put_user_u64(task, addr: int, value: int) -> None:
    copy_to_user(task, addr, _U64.pack(value & 0xFFFFFFFFFFFFFFFF))


def put_user_u32(task, addr: int, value: int) -> None:
    copy_to_user(task, addr, _U32.pack(value & 0xFFFFFFFF))


def get_user_i32(task, addr: int) -> int:
    return _I32.unpack(copy_from_user(task, addr, 4))[0]


def put_user_i32(task, addr: int, value: int) -> None:
    copy_to_user(task, addr, _I32.pack(value))


def check_user_ptr(addr: int) -> None:
    """Reject kernel-half and non-canonical pointers before any access (access_ok)."""
    if addr >= USER_HALF_END:
        raise KernelError(Errno.EFAULT)
