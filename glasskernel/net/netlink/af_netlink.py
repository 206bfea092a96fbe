"""AF_NETLINK sockets talking to the kernel (net/netlink/af_netlink.c), NETLINK_ROUTE only.

A ``NetlinkSock`` has a port id (bound explicitly, or automatically to the task's tgid
or, if that is taken, a negative number as Linux's netlink_autobind does) and a queue of
replies. A message sent to port 0 is handed to rtnetlink (net/core/rtnetlink.py), whose
answers, acks and errors are queued for the sender; nothing is ever multicast. The
SOL_NETLINK options are kept and read back. Other netlink protocols are
EPROTONOSUPPORT, as on a kernel without them.
"""
import collections
import struct

from glasskernel.fs.select import poll_wait
from glasskernel.kernel.sched.wait import SlowPathRequired
from glasskernel.mm.uaccess import get_user_i32, put_user_i32
from glasskernel.net.core.net_namespace import sock_net_of
from glasskernel.net.core.sock import SOCK_DGRAM, SOCK_RAW, ProtoOps, Sock
from glasskernel.uapi.errno import Errno, KernelError

AF_NETLINK, NETLINK_ROUTE, MAX_LINKS = 16, 0, 32
SOL_NETLINK = 270
# NETLINK_ADD_MEMBERSHIP .. NETLINK_GET_STRICT_CHK: the int options
_NL_OPTS = {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12}
MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT = 0x2, 0x20, 0x40
POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM = 0x1, 0x4, 0x40, 0x100
_SOCKADDR_NL = struct.Struct("<HHIi")          # family, pad, pid, groups (groups as u32)


class NetlinkSock(Sock):
    """struct netlink_sock: protocol, port id, groups, reply queue, options."""

    def __init__(self, kernel, net, type_: int, protocol: int):
        super().__init__(kernel, type_)
        self.net, self.protocol = net, protocol
        self.family = AF_NETLINK
        self.portid = 0
        self.groups = 0
        self.bound = False
        self.receive_queue = collections.deque()
        self.nlopts = {}


def _ports(net) -> dict:
    return net.nl_ports


def netlink_create(task, type_: int, protocol: int) -> NetlinkSock:
    if type_ not in (SOCK_RAW, SOCK_DGRAM):
        raise KernelError(Errno.ESOCKTNOSUPPORT)
    if protocol < 0 or protocol >= MAX_LINKS:
        raise KernelError(Errno.EPROTONOSUPPORT)
    if protocol != NETLINK_ROUTE:
        raise KernelError(Errno.EPROTONOSUPPORT)
    sk = NetlinkSock(task.kernel, sock_net_of(task), type_, protocol)
    sk.ops = NETLINK_OPS
    return sk


def _insert(sk: NetlinkSock, portid: int) -> None:
    table = _ports(sk.net)
    if portid in table:
        raise KernelError(Errno.EADDRINUSE)
    table[portid] = sk
    sk.portid, sk.bound = portid, True


def netlink_autobind(task, sk: NetlinkSock) -> None:
    """The tgid if free, else a negative id counting down (netlink_autobind)."""
    if sk.bound:
        return
    table = _ports(sk.net)
    portid = task.tgid
    candidate = -4097
    while portid in table:
        portid, candidate = candidate, candidate - 1
    _insert(sk, portid)


def netlink_bind(task, sock, addr: bytes) -> None:
    sk = sock.sk
    if len(addr) < _SOCKADDR_NL.size:
        raise KernelError(Errno.EINVAL)
    family, _pad, pid, groups = _SOCKADDR_NL.unpack(addr[:_SOCKADDR_NL.size])
    if family != AF_NETLINK:
        raise KernelError(Errno.EINVAL)
    if sk.bound:
        if pid and pid != sk.portid:
            raise KernelError(Errno.EINVAL)
    elif pid:
        _insert(sk, pid)
    else:
        netlink_autobind(task, sk)
    sk.groups = groups


def netlink_getname(sock, peer: bool) -> bytes:
    sk = sock.sk
    if peer:
        return _SOCKADDR_NL.pack(AF_NETLINK, 0, 0, 0)
    return _SOCKADDR_NL.pack(AF_NETLINK, 0, sk.portid & 0xFFFFFFFF, sk.groups)


def netlink_connect(task, sock, addr: bytes, nonblock: bool) -> None:
    """Only the kernel (port 0) is a peer here; AF_UNSPEC disconnects."""
    if len(addr) < 2:
        raise KernelError(Errno.EINVAL)
    family = int.from_bytes(addr[:2], "little")
    if family == 0:
        return
    if family != AF_NETLINK or len(addr) < _SOCKADDR_NL.size:
        raise KernelError(Errno.EINVAL)
    netlink_autobind(task, sock.sk)


def netlink_sendmsg(task, sock, msg) -> int:
    from glasskernel.net.core.rtnetlink import rtnetlink_rcv
    sk = sock.sk
    if msg.name is not None:
        if len(msg.name) < _SOCKADDR_NL.size or \
                int.from_bytes(msg.name[:2], "little") != AF_NETLINK:
            raise KernelError(Errno.EINVAL)
        if _SOCKADDR_NL.unpack(msg.name[:_SOCKADDR_NL.size])[2]:
            raise KernelError(Errno.ECONNREFUSED)     # no user-space peer is modelled
    if msg.len > sk.sndbuf - 32:
        raise KernelError(Errno.EMSGSIZE)
    netlink_autobind(task, sk)
    data = msg.copy_from_iter(msg.len)
    for reply in rtnetlink_rcv(task, sk, data):
        sk.receive_queue.append(reply)
    sk.state_change()
    return msg.len


def netlink_recvmsg(task, sock, msg, size: int, flags: int) -> int:
    sk = sock.sk
    from glasskernel.net.unix.af_unix import sk_wait
    timeo = 0 if flags & MSG_DONTWAIT else sk.rcvtimeo
    while not sk.receive_queue:
        if timeo != 0 and sk.kernel.in_fast_syscall:
            raise SlowPathRequired()
        sk_wait(task, sk.wait, lambda: bool(sk.receive_queue), timeo)
    data = sk.receive_queue[0]
    if not flags & MSG_PEEK:
        sk.receive_queue.popleft()
    n = min(size, len(data))
    if n < len(data):
        msg.flags |= MSG_TRUNC
    msg.copy_to_iter(data[:n])
    if msg.want_name:
        msg.name = _SOCKADDR_NL.pack(AF_NETLINK, 0, 0, 0)
    return len(data) if flags & MSG_TRUNC else n


def netlink_poll(file, sock, pt) -> int:
    sk = sock.sk
    poll_wait(file, sk.wait, pt)
    mask = POLLOUT | POLLWRNORM
    if sk.receive_queue:
        mask |= POLLIN | POLLRDNORM
    return mask


def netlink_setsockopt(task, sock, level, optname, optval, optlen) -> int:
    if level != SOL_NETLINK:
        raise KernelError(Errno.ENOPROTOOPT)
    if optname not in _NL_OPTS:
        raise KernelError(Errno.ENOPROTOOPT)
    if optlen < 4:
        raise KernelError(Errno.EINVAL)
    sock.sk.nlopts[optname] = 1 if get_user_i32(task, optval) else 0
    return 0


def netlink_getsockopt(task, sock, level, optname, optval, optlen) -> int:
    if level != SOL_NETLINK:
        raise KernelError(Errno.ENOPROTOOPT)
    if optname not in _NL_OPTS:
        raise KernelError(Errno.ENOPROTOOPT)
    if get_user_i32(task, optlen) < 4:
        raise KernelError(Errno.EINVAL)
    put_user_i32(task, optval, sock.sk.nlopts.get(optname, 0))
    put_user_i32(task, optlen, 4)
    return 0


def netlink_release(sk: NetlinkSock) -> None:
    table = _ports(sk.net)
    if sk.bound and table.get(sk.portid) is sk:
        del table[sk.portid]
    sk.dead = True
    sk.receive_queue.clear()


def _eopnotsupp(*_args):
    raise KernelError(Errno.EOPNOTSUPP)


def _ioctl(sock, cmd, arg, task):
    from glasskernel.net.core.dev_ioctl import dev_ioctl
    return dev_ioctl(sock.sk.net, cmd, arg, task, inet=False)


NETLINK_OPS = ProtoOps(
    AF_NETLINK, bind=netlink_bind, connect=netlink_connect, listen=_eopnotsupp,
    accept=_eopnotsupp, getname=netlink_getname, shutdown=lambda sock, how: None,
    sendmsg=netlink_sendmsg, recvmsg=netlink_recvmsg, poll=netlink_poll, ioctl=_ioctl,
    release=netlink_release, setsockopt=netlink_setsockopt, getsockopt=netlink_getsockopt,
    socketpair=_eopnotsupp, unread=lambda sock, data: None)
