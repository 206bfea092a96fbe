"""siginfo_t as user space sees it (include/uapi/asm-generic/siginfo.h): 128 bytes of
signo, errno, code, then a union whose fields depend on the signal and the code."""
import struct

_SIGINFO_HEAD = struct.Struct("<iii4x")
SIGINFO_SIZE = 128
KERNEL_SIGINFO_SIZE = 48              # what the kernel keeps of a user-supplied siginfo


def make_siginfo(signo: int, code: int, pid: int = 0, uid: int = 0, extra: bytes = b"") -> bytes:
    """siginfo_t bytes: signo, errno, code, then the union (pid and uid for kill)."""
    body = struct.pack("<iI", pid, uid) + extra
    return (_SIGINFO_HEAD.pack(signo, 0, code) + body).ljust(SIGINFO_SIZE, b"\0")


def fault_siginfo(signo: int, code: int, addr: int) -> bytes:
    return (_SIGINFO_HEAD.pack(signo, 0, code) + struct.pack("<Q", addr)).ljust(SIGINFO_SIZE, b"\0")


def siginfo_code(info: bytes) -> int:
    return struct.unpack_from("<i", info, 8)[0]


def siginfo_fields(info: bytes) -> tuple:
    """(si_code, si_addr, the other fields strace shows) of a siginfo."""
    code = siginfo_code(info)
    pid, uid, status, utime, stime = struct.unpack_from("<iIi4xqq", info, 16)
    fields = {"si_pid": pid, "si_uid": uid, "si_status": status, "si_utime": utime, "si_stime": stime}
    return code, struct.unpack_from("<Q", info, 16)[0], fields
