"""sendmsg, recvmsg, sendmmsg and recvmmsg (net/socket.c): copying struct msghdr in
and out with Linux's checks, in Linux's order.

The header is read whole (EFAULT), a negative msg_namelen is EINVAL and a longer one is
cut to sizeof(struct sockaddr_storage), more than UIO_MAXIOV buffers is EMSGSIZE, and a
control length past INT_MAX is ENOBUFS. recvmsg writes back msg_namelen, msg_flags and
the control bytes used.
"""
import struct

from glasskernel.arch.x86.entry.args import uint_arg
from glasskernel.fs.read_write import import_iovec
from glasskernel.kernel.time import monotonic_ns
from glasskernel.mm.uaccess import copy_from_user, copy_to_user, put_user_u32
from glasskernel.net.core.scm import MSG_CMSG_CLOEXEC, RecvControl
from glasskernel.net.socket import (MAX_SOCK_ADDR, RecvMsg, SendMsg, move_addr_to_kernel,
                                    move_addr_to_user, sockfd_lookup_light)
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.uio import UIO_MAXIOV

_MSGHDR = struct.Struct("<QiiQQQQii")     # name, namelen, pad, iov, iovlen, control, controllen, flags, pad
MSGHDR_SIZE = _MSGHDR.size                # 56
MMSGHDR_SIZE = 64                         # struct mmsghdr: the msghdr and msg_len
MSG_EOR, MSG_ERRQUEUE, MSG_WAITFORONE = 0x80, 0x2000, 0x10000
MSG_CMSG_COMPAT = 0x80000000
MSG_DONTWAIT = 0x40
INT_MAX = 0x7FFFFFFF
_TIMESPEC = struct.Struct("<qq")


class UserMsghdr:
    """struct user_msghdr as read from the caller (__copy_msghdr's checks done)."""

    __slots__ = ("name", "namelen", "iovs", "control", "controllen", "flags")


def copy_msghdr_from_user(task, umsg: int, for_recv: bool) -> UserMsghdr:
    name, namelen, _pad, iov, iovlen, control, controllen, flags, _pad2 = \
        _MSGHDR.unpack(copy_from_user(task, umsg, MSGHDR_SIZE))
    return copy_msghdr(task, name, namelen, iov, iovlen, control, controllen, flags, for_recv)


def copy_msghdr(task, name, namelen, iov, iovlen, control, controllen, flags,
                for_recv: bool) -> UserMsghdr:
    """The checks of a message header read in either ABI's layout (the iovecs are read
    in the caller's: import_iovec knows a compat syscall)."""
    m = UserMsghdr()
    if not name:
        namelen = 0
    if namelen < 0:
        raise KernelError(Errno.EINVAL)
    namelen = min(namelen, MAX_SOCK_ADDR)
    m.name, m.namelen = name, namelen
    if name and namelen and not for_recv:
        m.name = move_addr_to_kernel(task, name, namelen)
    elif not for_recv:
        m.name = None
    if iovlen > UIO_MAXIOV:
        raise KernelError(Errno.EMSGSIZE)
    m.iovs = import_iovec(task, iov, iovlen)
    m.control, m.controllen, m.flags = control, controllen, flags
    return m


def ___sys_sendmsg(task, sock, umsg: int, flags: int, allowed: int) -> tuple:
    """One message: (bytes sent, all of it sent?)."""
    m = copy_msghdr_from_user(task, umsg, False)
    if m.controllen > INT_MAX:
        raise KernelError(Errno.ENOBUFS)
    flags |= m.flags & allowed
    control = copy_from_user(task, m.control, m.controllen) if m.controllen else b""
    msg = SendMsg(task, flags, name=m.name, control=control, iovs=m.iovs)
    sent = sock.sendmsg(task, msg)
    return sent, sent >= msg.len


def sys_sendmsg(task, fd, umsg, flags) -> int:
    flags = uint_arg(flags)
    if flags & MSG_CMSG_COMPAT:
        raise KernelError(Errno.EINVAL)
    sock = sockfd_lookup_light(task, fd)
    return ___sys_sendmsg(task, sock, umsg, flags, 0)[0]


def sys_sendmmsg(task, fd, mmsg, vlen, flags) -> int:
    """Send up to vlen messages; the count sent if any was, else the error."""
    flags, vlen = uint_arg(flags), min(uint_arg(vlen), UIO_MAXIOV)
    if flags & MSG_CMSG_COMPAT:
        raise KernelError(Errno.EINVAL)
    return do_sendmmsg(task, fd, mmsg, vlen, flags, MMSGHDR_SIZE, MSGHDR_SIZE, ___sys_sendmsg)


def do_sendmmsg(task, fd, mmsg, vlen, flags, entry_size: int, hdr_size: int, send_one) -> int:
    """__sys_sendmmsg's loop over the mmsghdr array (entry_size each, msg_len at hdr_size),
    send_one sending one header: the number of messages sent (an error only if none was)."""
    sock = sockfd_lookup_light(task, fd)
    datagrams, err = 0, None
    while datagrams < vlen:
        entry = mmsg + datagrams * entry_size
        try:
            sent, whole = send_one(task, sock, entry, flags, MSG_EOR)
            put_user_u32(task, entry + hdr_size, sent)
        except KernelError as e:
            err = e
            break
        datagrams += 1
        if not whole:
            break
    if datagrams:
        return datagrams
    if err is not None:
        raise err
    return 0


def ___sys_recvmsg(task, sock, umsg: int, flags: int) -> int:
    m = copy_msghdr_from_user(task, umsg, True)
    ctl = RecvControl(m.control, m.controllen, flags & MSG_CMSG_CLOEXEC)
    msg = RecvMsg(task, m.iovs, want_name=True, ctl=ctl)
    ret = sock.recvmsg(task, msg, sum(n for _b, n in m.iovs), flags)
    if m.name:
        move_addr_to_user(task, msg.name or b"", m.name, umsg + 8)
    put_user_u32(task, umsg + 48, (msg.flags | ctl.flags) & ~MSG_CMSG_COMPAT)
    copy_to_user(task, umsg + 40, ctl.used().to_bytes(8, "little"))
    return ret


def sys_recvmsg(task, fd, umsg, flags) -> int:
    flags = uint_arg(flags)
    if flags & MSG_CMSG_COMPAT:
        raise KernelError(Errno.EINVAL)
    sock = sockfd_lookup_light(task, fd)
    return ___sys_recvmsg(task, sock, umsg, flags)


def _get_timeout(task, timeout: int):
    """recvmmsg's timeout: EFAULT, then EINVAL for a bad one (poll_select_set_timeout)."""
    if not timeout:
        return None
    sec, nsec = _TIMESPEC.unpack(copy_from_user(task, timeout, _TIMESPEC.size))
    if sec < 0 or not 0 <= nsec < 10**9:
        raise KernelError(Errno.EINVAL)
    return monotonic_ns(task) + sec * 10**9 + nsec


def sys_recvmmsg(task, fd, mmsg, vlen, flags, timeout) -> int:
    """Receive up to vlen messages; the timeout is looked at after each one (as Linux)."""
    flags, vlen = uint_arg(flags), uint_arg(vlen)
    end = _get_timeout(task, timeout)
    datagrams = do_recvmmsg(task, fd, mmsg, vlen, flags, end, MMSGHDR_SIZE, MSGHDR_SIZE, ___sys_recvmsg)
    if end is not None and datagrams:
        left = max(end - monotonic_ns(task), 0)          # the time left, written back
        copy_to_user(task, timeout, _TIMESPEC.pack(left // 10**9, left % 10**9))
    return datagrams


def do_recvmmsg(task, fd, mmsg, vlen, flags, end, entry_size: int, hdr_size: int, recv_one) -> int:
    """do_recvmmsg's loop over the mmsghdr array (entry_size each, msg_len at hdr_size),
    recv_one receiving into one header: the number of datagrams received."""
    sock = sockfd_lookup_light(task, fd)
    if not flags & MSG_ERRQUEUE:
        err = sock.sk.sock_error()
        if err:
            raise KernelError(err)
    datagrams, err = 0, None
    while datagrams < vlen:
        entry = mmsg + datagrams * entry_size
        try:
            n = recv_one(task, sock, entry, flags & ~MSG_WAITFORONE)
            put_user_u32(task, entry + hdr_size, n)
        except KernelError as e:
            err = e
            break
        datagrams += 1
        if flags & MSG_WAITFORONE:
            flags |= MSG_DONTWAIT
        if end is not None and monotonic_ns(task) >= end:
            break
    if err is not None and not datagrams:
        raise err
    if err is not None and err.errno != Errno.EAGAIN:
        sock.sk.err = err.errno
    return datagrams


