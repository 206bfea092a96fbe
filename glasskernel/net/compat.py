"""The socket calls of i386 (net/compat.c, the compat part of net/socket.c).

``compat_sys_socketcall`` is i386's multiplexer: a call number and a pointer to its
arguments as u32 words. The message calls read ``struct compat_msghdr`` (28 bytes) and
compat iovecs; a sender's control messages are ``compat_cmsghdr``s (12-byte headers,
4-byte alignment), turned into native ones before scm_send parses them
(cmsghdr_from_user_compat_to_kern); a receiver's are written in the compat layout
(RecvControl with compat=True).
"""
import struct

from glasskernel.arch.x86.entry.args import uint_arg
from glasskernel.kernel.compat import get_old_timespec32
from glasskernel.mm.uaccess import copy_from_user, copy_to_user, put_user_u32
from glasskernel.net import socket
from glasskernel.net.core.scm import COMPAT_CMSGHDR, MSG_CMSG_CLOEXEC, RecvControl, cmsg_align
from glasskernel.net.socket import RecvMsg, SendMsg, move_addr_to_user, sockfd_lookup_light
from glasskernel.net.socket_msg import (INT_MAX, MSG_CMSG_COMPAT, UserMsghdr, copy_msghdr, do_recvmmsg,
                                        do_sendmmsg)
from glasskernel.kernel.time import monotonic_ns
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.uio import UIO_MAXIOV

_COMPAT_MSGHDR = struct.Struct("<IiIIIII")  # name, namelen, iov, iovlen, control, controllen, flags
COMPAT_MSGHDR_SIZE = _COMPAT_MSGHDR.size     # 28
COMPAT_MMSGHDR_SIZE = 32                     # the compat_msghdr and a u32 msg_len
_NATIVE_CMSGHDR = struct.Struct("<QiI")
_TIMESPEC64 = struct.Struct("<qq")


def get_compat_msghdr(task, umsg: int, for_recv: bool) -> UserMsghdr:
    """__get_compat_msghdr: the same checks as the native header, on the 28-byte struct."""
    name, namelen, iov, iovlen, control, controllen, flags = \
        _COMPAT_MSGHDR.unpack(copy_from_user(task, umsg, COMPAT_MSGHDR_SIZE))
    return copy_msghdr(task, name, namelen, iov, iovlen, control, controllen, flags, for_recv)


def cmsghdr_from_user_compat_to_kern(control: bytes) -> bytes:
    """The sender's compat control messages as native ones: EINVAL for a header whose
    length is shorter than a header or runs past the buffer, or for no header at all."""
    size, off, out = len(control), 0, bytearray()
    hdr = COMPAT_CMSGHDR.size
    while size - off >= hdr:
        length, level, type_ = COMPAT_CMSGHDR.unpack_from(control, off)
        if length < hdr or length > size - off:        # CMSG_COMPAT_OK
            raise KernelError(Errno.EINVAL)
        data = control[off + hdr:off + length]
        klen = _NATIVE_CMSGHDR.size + len(data)
        out += (_NATIVE_CMSGHDR.pack(klen, level, type_) + data).ljust(cmsg_align(klen), b"\0")
        off += (length + 3) & ~3
    if not out:
        raise KernelError(Errno.EINVAL)
    return bytes(out)


def _compat_sendmsg_one(task, sock, umsg: int, flags: int, allowed: int) -> tuple:
    """____sys_sendmsg for a compat header: (bytes sent, all of it sent?)."""
    m = get_compat_msghdr(task, umsg, False)
    if m.controllen > INT_MAX:
        raise KernelError(Errno.ENOBUFS)
    flags |= m.flags & allowed
    control = b""
    if m.controllen:
        control = cmsghdr_from_user_compat_to_kern(copy_from_user(task, m.control, m.controllen))
    msg = SendMsg(task, flags, name=m.name, control=control, iovs=m.iovs)
    sent = sock.sendmsg(task, msg)
    return sent, sent >= msg.len


def _compat_recvmsg_one(task, sock, umsg: int, flags: int) -> int:
    """____sys_recvmsg for a compat header: namelen, flags and controllen written back."""
    m = get_compat_msghdr(task, umsg, True)
    ctl = RecvControl(m.control, m.controllen, flags & MSG_CMSG_CLOEXEC, compat=True)
    msg = RecvMsg(task, m.iovs, want_name=True, ctl=ctl)
    ret = sock.recvmsg(task, msg, sum(n for _b, n in m.iovs), flags)
    if m.name:
        move_addr_to_user(task, msg.name or b"", m.name, umsg + 4)
    put_user_u32(task, umsg + 24, (msg.flags | ctl.flags) & ~MSG_CMSG_COMPAT)
    put_user_u32(task, umsg + 20, ctl.used())
    return ret


# compat_sys_sendmsg: sendmsg(2) with a compat_msghdr.
def compat_sys_sendmsg(task, fd, msg, flags) -> int:
    flags = uint_arg(flags)
    sock = sockfd_lookup_light(task, fd)
    return _compat_sendmsg_one(task, sock, msg, flags & ~MSG_CMSG_COMPAT, 0)[0]


# compat_sys_recvmsg: recvmsg(2) with a compat_msghdr.
def compat_sys_recvmsg(task, fd, msg, flags) -> int:
    flags = uint_arg(flags)
    sock = sockfd_lookup_light(task, fd)
    return _compat_recvmsg_one(task, sock, msg, flags & ~MSG_CMSG_COMPAT)


# compat_sys_sendmmsg: sendmmsg(2) over an array of compat_mmsghdr (32 bytes each).
def compat_sys_sendmmsg(task, fd, mmsg, vlen, flags) -> int:
    flags, vlen = uint_arg(flags) & ~MSG_CMSG_COMPAT, min(uint_arg(vlen), UIO_MAXIOV)
    return do_sendmmsg(task, fd, mmsg, vlen, flags, COMPAT_MMSGHDR_SIZE, COMPAT_MSGHDR_SIZE,
                       _compat_sendmsg_one)


def _recvmmsg(task, fd, mmsg, vlen, flags, timeout, time32: bool) -> int:
    """do_recvmmsg over compat_mmsghdrs; the timeout an old_timespec32 (time32) or a
    64-bit timespec, written back with the time left."""
    flags, vlen = uint_arg(flags) & ~MSG_CMSG_COMPAT, uint_arg(vlen)
    end = None
    if timeout:
        sec, nsec = (get_old_timespec32(task, timeout) if time32 else
                     _TIMESPEC64.unpack(copy_from_user(task, timeout, _TIMESPEC64.size)))
        if sec < 0 or not 0 <= nsec < 10**9:
            raise KernelError(Errno.EINVAL)
        end = monotonic_ns(task) + sec * 10**9 + nsec
    datagrams = do_recvmmsg(task, fd, mmsg, vlen, flags, end, COMPAT_MMSGHDR_SIZE, COMPAT_MSGHDR_SIZE,
                            _compat_recvmsg_one)
    if end is not None and datagrams:
        left = max(end - monotonic_ns(task), 0)
        fmt = "<Ii" if time32 else "<qq"
        sec = left // 10**9
        copy_to_user(task, timeout, struct.pack(fmt, sec & 0xFFFFFFFF if time32 else sec,
                                                left % 10**9))
    return datagrams


# compat_sys_recvmmsg_time32: recvmmsg(2) of i386 with an old_timespec32 timeout.
def compat_sys_recvmmsg_time32(task, fd, mmsg, vlen, flags, timeout) -> int:
    return _recvmmsg(task, fd, mmsg, vlen, flags, timeout, True)


# compat_sys_recvmmsg_time64: recvmmsg_time64(2) (number 417): a 64-bit timespec.
def compat_sys_recvmmsg_time64(task, fd, mmsg, vlen, flags, timeout) -> int:
    return _recvmmsg(task, fd, mmsg, vlen, flags, timeout, False)


# compat_sys_recvfrom: recvfrom(2) of i386 (the native call; its arguments have no compat form).
def compat_sys_recvfrom(task, fd, buf, size, flags, addr, addr_len) -> int:
    return socket.sys_recvfrom(task, fd, buf, size & 0xFFFFFFFF, flags, addr, addr_len)


# ----- socketcall ------------------------------------------------------------------------

SYS_SOCKET, SYS_SENDMMSG = 1, 20
# the argument count of each call (include/uapi/linux/net.h order), as compat's nas[]
_NARGS = (0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4)
_CALLS = {
    1: lambda t, a: socket.sys_socket(t, a[0], a[1], a[2]),
    2: lambda t, a: socket.sys_bind(t, a[0], a[1], a[2]),
    3: lambda t, a: socket.sys_connect(t, a[0], a[1], a[2]),
    4: lambda t, a: socket.sys_listen(t, a[0], a[1]),
    5: lambda t, a: socket.sys_accept4(t, a[0], a[1], a[2], 0),
    6: lambda t, a: socket.sys_getsockname(t, a[0], a[1], a[2]),
    7: lambda t, a: socket.sys_getpeername(t, a[0], a[1], a[2]),
    8: lambda t, a: socket.sys_socketpair(t, a[0], a[1], a[2], a[3]),
    9: lambda t, a: socket.sys_sendto(t, a[0], a[1], a[2], a[3], 0, 0),
    10: lambda t, a: compat_sys_recvfrom(t, a[0], a[1], a[2], a[3], 0, 0),
    11: lambda t, a: socket.sys_sendto(t, a[0], a[1], a[2], a[3], a[4], a[5]),
    12: lambda t, a: compat_sys_recvfrom(t, a[0], a[1], a[2], a[3], a[4], a[5]),
    13: lambda t, a: socket.sys_shutdown(t, a[0], a[1]),
    14: lambda t, a: socket.sys_setsockopt(t, a[0], a[1], a[2], a[3], a[4]),
    15: lambda t, a: socket.sys_getsockopt(t, a[0], a[1], a[2], a[3], a[4]),
    16: lambda t, a: compat_sys_sendmsg(t, a[0], a[1], a[2]),
    17: lambda t, a: compat_sys_recvmsg(t, a[0], a[1], a[2]),
    18: lambda t, a: socket.sys_accept4(t, a[0], a[1], a[2], a[3]),
    19: lambda t, a: compat_sys_recvmmsg_time32(t, a[0], a[1], a[2], a[3], a[4]),
    20: lambda t, a: compat_sys_sendmmsg(t, a[0], a[1], a[2], a[3]),
}


# compat_sys_socketcall: socketcall(2): EINVAL for a call outside 1..20, EFAULT for the
# argument words, then the call with each word as its 32-bit argument.
def compat_sys_socketcall(task, call, args) -> int:
    call = uint_arg(call)
    if not SYS_SOCKET <= call <= SYS_SENDMMSG:
        raise KernelError(Errno.EINVAL)
    n = _NARGS[call]
    words = struct.unpack(f"<{n}I", copy_from_user(task, args, 4 * n))
    return _CALLS[call](task, words)
