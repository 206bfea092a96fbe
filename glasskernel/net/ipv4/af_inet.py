"""AF_INET and AF_INET6 sockets over the loopback (net/ipv4/af_inet.c, net/ipv6/af_inet6.c).

An ``InetSock`` is struct inet_sock (and ipv6_pinfo) over the namespace's lo: no packets
and no IP headers are made. A TCP connect finds the listener in the port table and makes
the server's end at once (queued on the listener until accept), so the two ends are a
connected pair, as AF_UNIX's; UDP delivers a datagram straight into the receiving socket's
queue. The rules of bind, connect, listen, accept, getname and shutdown, and the socket()
type/protocol matrix, are Linux's; the data paths are tcp.py and udp.py, the options
ip_sockglue.py, the v6 addresses net/ipv6/af_inet6.py.
"""
import collections
import struct

from glasskernel.kernel.capability import ns_capable
from glasskernel.kernel.sched.wait import WaitQueue
from glasskernel.net.core.net_namespace import sock_net_of
from glasskernel.net.core.sock import (RCV_SHUTDOWN, SHUTDOWN_MASK, SOCK_DGRAM,
                                       SOCK_RAW, SO_REUSEADDR, SO_REUSEPORT, SOCK_STREAM, TCP_CLOSE,
                                       TCP_LISTEN, ProtoOps, Sock)
from glasskernel.net.ipv4 import inet_hashtables as ih
from glasskernel.net.ipv4.inet_hashtables import ANY4, ANY6, LOOPBACK4, LOOPBACK6, is_v4
from glasskernel.uapi.capability import CAP_NET_BIND_SERVICE, CAP_NET_RAW
from glasskernel.uapi.errno import Errno, KernelError

AF_UNSPEC, AF_INET, AF_INET6 = 0, 2, 10
IPPROTO_IP, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP = 0, 1, 6, 17
IPPROTO_ICMPV6, IPPROTO_UDPLITE, IPPROTO_RAW, IPPROTO_MAX = 58, 136, 255, 256
TCP_SYN_SENT, TCP_CLOSE_WAIT = 2, 8
SO_LINGER = 13
SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED = 1, 2, 3
SIN_SIZE, SIN6_SIZE, SIN6_LEN_RFC2133 = 16, 28, 24
TCP_WMEM_DEFAULT, TCP_RMEM_DEFAULT = 16384, 131072      # net.ipv4.tcp_wmem/rmem[1]
_SIN = struct.Struct("<H2s4s8x")
_SIN6 = struct.Struct("<H2sI16sI")
# inetsw: the protocols each type offers (IPPROTO_IP in a request means "the default")
_INETSW = {SOCK_STREAM: (IPPROTO_TCP,), SOCK_DGRAM: (IPPROTO_UDP, IPPROTO_ICMP,
                                                    IPPROTO_UDPLITE)}
_INET6SW = {SOCK_STREAM: (IPPROTO_TCP,), SOCK_DGRAM: (IPPROTO_UDP, IPPROTO_ICMPV6,
                                                     IPPROTO_UDPLITE)}


class InetSock(Sock):
    """struct inet_sock + tcp/udp state: addresses, port, peer, queues."""

    def __init__(self, kernel, net, family: int, type_: int, protocol: int, uid: int):
        super().__init__(kernel, type_)
        self.net, self.family, self.protocol, self.uid = net, family, protocol, uid
        self.num = 0                        # local port (inet_num); 0: not bound
        self.rcv_saddr = ANY4 if family == AF_INET else ANY6
        self.saddr = self.rcv_saddr         # source address of a connected socket
        self.daddr, self.dport = None, 0
        self.bound_addr = self.bound_port = False   # SOCK_BINDADDR_LOCK, _BINDPORT_LOCK
        self.ipv6only = False
        self.peer = None                    # TCP: the other end of the connection
        self.done = False                   # SOCK_DONE: the connection has ended
        self.ss_state = SS_UNCONNECTED      # struct socket's state (socket_state)
        self.rcv_buf = bytearray()          # TCP bytes to read
        self.corked = bytearray()           # TCP bytes held by MSG_MORE / TCP_CORK
        self.udp_cork = None                # UDP: (data, daddr, dport) of a corked datagram
        self.mc_list = set()                # multicast groups joined (not inherited)
        self.receive_queue = collections.deque()   # UDP (data, source sockaddr)
        self.rcv_queued = 0                 # UDP: truesize of the queued datagrams
        self.accept_queue = collections.deque()
        self.max_ack_backlog = 0
        self.ipopts = {}                    # IP/IPv6/TCP level options kept for getsockopt
        self.peer_wait = WaitQueue("inet_accept_wait")
        if type_ == SOCK_STREAM:
            self.sndbuf, self.rcvbuf = TCP_WMEM_DEFAULT, TCP_RMEM_DEFAULT

    @property
    def tcp(self) -> bool:
        return self.type == SOCK_STREAM

    @property
    def reuseaddr(self) -> bool:
        return bool(self.opts.get(SO_REUSEADDR))

    @property
    def reuseport(self) -> bool:
        return bool(self.opts.get(SO_REUSEPORT))


# --- addresses ------------------------------------------------------------------------------
def inet_sockaddr(family: int, addr: bytes, port: int) -> bytes:
    """The sockaddr_in (of a v4 address) or sockaddr_in6 a socket of family reports."""
    if family == AF_INET:
        return _SIN.pack(AF_INET, port.to_bytes(2, "big"), addr[12:])
    return _SIN6.pack(AF_INET6, port.to_bytes(2, "big"), 0, addr, 0)


def sockaddr_family(addr: bytes) -> int:
    return int.from_bytes(addr[:2], "little") if len(addr) >= 2 else -1


def parse_dest(sk, addr: bytes) -> tuple:
    """A destination sockaddr for sk's family: (16-byte address, port); EINVAL for a
    short one, EAFNOSUPPORT for another family."""
    family = sockaddr_family(addr)
    if sk.family == AF_INET:
        if len(addr) < SIN_SIZE:
            raise KernelError(Errno.EINVAL)
        if family != AF_INET:
            raise KernelError(Errno.EAFNOSUPPORT)
        return ih.v4(addr[4:8]), int.from_bytes(addr[2:4], "big")
    if len(addr) < SIN6_LEN_RFC2133:
        raise KernelError(Errno.EINVAL)
    if family != AF_INET6:
        raise KernelError(Errno.EAFNOSUPPORT)
    daddr = addr[8:24]
    if is_v4(daddr) and sk.ipv6only:
        raise KernelError(Errno.ENETUNREACH)
    return daddr, int.from_bytes(addr[2:4], "big")


def ip_route_connect(sk, daddr: bytes) -> tuple:
    """The route to daddr over lo: (destination, our source address). A wildcard means
    the loopback itself; anything not on lo is ENETUNREACH (no other route exists)."""
    if daddr == ANY4:
        daddr = LOOPBACK4
    elif daddr == ANY6:
        daddr = LOOPBACK6
    if not ih.is_local(sk.net, daddr):
        raise KernelError(Errno.ENETUNREACH)
    if not ih.is_any(sk.rcv_saddr):
        return daddr, sk.rcv_saddr
    return daddr, LOOPBACK4 if is_v4(daddr) else LOOPBACK6


# --- creation -------------------------------------------------------------------------------
def inet_create(task, family: int, type_: int, protocol: int) -> InetSock:
    """inet_create / inet6_create: the type must have an entry (ESOCKTNOSUPPORT), the
    protocol must be one of its (EPROTONOSUPPORT); raw sockets need CAP_NET_RAW."""
    if protocol < 0 or protocol >= IPPROTO_MAX:
        raise KernelError(Errno.EINVAL)
    if type_ == SOCK_RAW:
        # inetsw's raw entry is a wildcard that protocol 0 does not select
        if protocol == IPPROTO_IP:
            raise KernelError(Errno.EPROTONOSUPPORT)
        if not ns_capable(task, sock_net_of(task).user_ns, CAP_NET_RAW):
            raise KernelError(Errno.EPERM)
        raise KernelError(Errno.EPROTONOSUPPORT)    # raw IP is not modelled
    protos = (_INETSW if family == AF_INET else _INET6SW).get(type_)
    if protos is None:
        raise KernelError(Errno.ESOCKTNOSUPPORT)
    if protocol == IPPROTO_IP:
        protocol = protos[0]
    if protocol not in protos:
        raise KernelError(Errno.EPROTONOSUPPORT)
    if protocol in (IPPROTO_ICMP, IPPROTO_ICMPV6):
        raise KernelError(Errno.EACCES)     # ping_init_sock: ping_group_range is "1 0"
    net = sock_net_of(task)
    return InetSock(task.kernel, net, family, type_, protocol, task.cred.euid)


# --- bind -----------------------------------------------------------------------------------
def inet_bind(task, sk: InetSock, addr: bytes) -> None:
    """__inet_bind / __inet6_bind's checks in Linux's order, then the port."""
    if sk.family == AF_INET:
        if len(addr) < SIN_SIZE:
            raise KernelError(Errno.EINVAL)
        family = sockaddr_family(addr)
        raddr = ih.v4(addr[4:8])
        if family != AF_INET and not (family == AF_UNSPEC and raddr == ANY4):
            raise KernelError(Errno.EAFNOSUPPORT)
        _check_local(sk, raddr)
        port = int.from_bytes(addr[2:4], "big")
        _check_port_privilege(task, sk, port)
    else:
        if len(addr) < SIN6_LEN_RFC2133:
            raise KernelError(Errno.EINVAL)
        if sockaddr_family(addr) != AF_INET6:
            raise KernelError(Errno.EAFNOSUPPORT)
        raddr = addr[8:24]
        port = int.from_bytes(addr[2:4], "big")
        _check_port_privilege(task, sk, port)
        if is_v4(raddr) and sk.ipv6only:
            raise KernelError(Errno.EINVAL)
        if raddr[0] == 0xFE and raddr[1] & 0xC0 == 0x80 and \
                (len(addr) < SIN6_SIZE or not int.from_bytes(addr[24:28], "little")):
            raise KernelError(Errno.EINVAL)      # link-local needs sin6_scope_id
        _check_local(sk, raddr)
    if sk.state != TCP_CLOSE or sk.num:
        raise KernelError(Errno.EINVAL)
    old = sk.rcv_saddr
    sk.rcv_saddr = sk.saddr = raddr
    try:
        ih.inet_get_port(sk.net, sk, port, sk.tcp)
    except KernelError:
        sk.rcv_saddr = sk.saddr = old
        raise
    sk.bound_addr = not ih.is_any(raddr)
    sk.bound_port = bool(port)


def _check_local(sk, addr: bytes) -> None:
    """EADDRNOTAVAIL unless the address is ours, a wildcard, multicast or broadcast
    (IP_FREEBIND / IP_TRANSPARENT lift it)."""
    if ih.is_any(addr) or ih.is_local(sk.net, addr) or ih.is_multicast_or_broadcast(addr):
        return
    if is_v4(addr) and not sk.net.fib_tables:
        return                                  # no routing table yet: not judged
    if sk.ipopts.get("freebind") or sk.ipopts.get("transparent"):
        return
    raise KernelError(Errno.EADDRNOTAVAIL)


def _check_port_privilege(task, sk, port: int) -> None:
    """inet_port_requires_bind_service: below ip_unprivileged_port_start needs
    CAP_NET_BIND_SERVICE."""
    if port and port < sk.net.ip_unprivileged_port_start and \
            not ns_capable(task, sk.net.user_ns, CAP_NET_BIND_SERVICE):
        raise KernelError(Errno.EACCES)


def inet_autobind(sk: InetSock) -> None:
    """An ephemeral port for a socket that sends or connects unbound."""
    if not sk.num:
        ih.inet_get_port(sk.net, sk, 0, sk.tcp)


# --- names ----------------------------------------------------------------------------------
def inet_getname(sk: InetSock, peer: bool) -> bytes:
    """getsockname / getpeername: ENOTCONN for a peer that is not (or no longer) there."""
    if peer:
        if not sk.dport or (sk.tcp and sk.state in (TCP_CLOSE, TCP_SYN_SENT)):
            raise KernelError(Errno.ENOTCONN)
        return inet_sockaddr(sk.family, sk.daddr, sk.dport)
    # the bound address, or once connected the source the route chose
    addr = sk.saddr if sk.daddr is not None else sk.rcv_saddr
    if sk.family == AF_INET6 and addr == ANY4:
        addr = ANY6
    return inet_sockaddr(sk.family, addr, sk.num)


# --- listen, connect, accept ------------------------------------------------------------------
def inet_listen(task, sock, backlog: int) -> None:
    sk = sock.sk
    if not sk.tcp:
        raise KernelError(Errno.EOPNOTSUPP)
    if sk.state not in (TCP_CLOSE, TCP_LISTEN) or sk.daddr is not None:
        raise KernelError(Errno.EINVAL)
    if sk.state == TCP_CLOSE:
        sk.state = TCP_LISTEN               # conflicts are judged as a listener
        try:
            if not sk.num:
                inet_autobind(sk)
            elif ih.port_in_use(sk.net, sk, sk.num, True):
                raise KernelError(Errno.EADDRINUSE)
        except KernelError:
            sk.state = TCP_CLOSE
            raise
    if backlog > sk.max_ack_backlog:
        sk.peer_wait.wake_up(sk.kernel)
    sk.max_ack_backlog = backlog


def inet_stream_connect(task, sock, addr: bytes, nonblock: bool) -> None:
    """__inet_stream_connect: the state first (EISCONN, EALREADY), then the address;
    a nonblocking connect reports EINPROGRESS and its outcome later (SO_ERROR, poll)."""
    from glasskernel.net.ipv4.tcp import tcp_connect
    sk = sock.sk
    if len(addr) < 2:
        raise KernelError(Errno.EINVAL)
    if sockaddr_family(addr) == AF_UNSPEC:
        tcp_disconnect(sk)
        return
    if sk.ss_state == SS_CONNECTED:
        raise KernelError(Errno.EISCONN)
    if sk.ss_state == SS_CONNECTING:
        # the connection was made (or refused) when it was asked for: report that
        if sk.state == TCP_CLOSE:
            sk.ss_state = SS_UNCONNECTED
            raise KernelError(sk.sock_error() or Errno.ECONNABORTED)
        sk.ss_state = SS_CONNECTED
        return
    if sk.state != TCP_CLOSE:
        raise KernelError(Errno.EISCONN)
    daddr, dport = parse_dest(sk, addr)
    tcp_connect(task, sk, daddr, dport, nonblock)


def tcp_disconnect(sk: InetSock) -> None:
    """connect(AF_UNSPEC): drop the connection (the peer gets a reset)."""
    from glasskernel.net.ipv4.tcp import tcp_reset_peer
    if sk.state == TCP_LISTEN:
        inet_release_listener(sk)
    elif sk.peer is not None:
        tcp_reset_peer(sk)
    sk.state = TCP_CLOSE
    sk.ss_state = SS_UNCONNECTED
    sk.daddr, sk.dport = None, 0
    sk.done = False
    sk.shutdown = 0
    sk.rcv_buf.clear()


def inet_accept(task, sock, nonblock: bool) -> InetSock:
    """inet_csk_accept: EINVAL unless listening; wait for a queued connection."""
    from glasskernel.net.unix.af_unix import sk_wait
    sk = sock.sk
    if not sk.tcp:
        raise KernelError(Errno.EOPNOTSUPP)
    while True:
        if sk.state != TCP_LISTEN:
            raise KernelError(Errno.EINVAL)
        if sk.accept_queue:
            break
        sk_wait(task, sk.wait, lambda: bool(sk.accept_queue) or sk.state != TCP_LISTEN,
                0 if nonblock else sk.rcvtimeo)
    newsk = sk.accept_queue.popleft()
    sk.peer_wait.wake_up(sk.kernel)
    return newsk


def inet_shutdown(sk: InetSock, how: int) -> None:
    """inet_shutdown: SHUT_RD/WR/RDWR (else EINVAL); an unconnected socket is ENOTCONN
    but still gets the bits; a listener's SHUT_RD stops it listening."""
    from glasskernel.net.ipv4.tcp import tcp_shutdown
    if how < 0 or how > 2:
        raise KernelError(Errno.EINVAL)
    mode = how + 1
    err = 0
    if sk.state == TCP_LISTEN:
        if mode & RCV_SHUTDOWN:
            inet_release_listener(sk)
            sk.state = TCP_CLOSE
        sk.wait.wake_up(sk.kernel)
        return
    if sk.state == TCP_CLOSE:
        err = Errno.ENOTCONN
    sk.shutdown |= mode
    if sk.tcp and sk.state != TCP_CLOSE:
        tcp_shutdown(sk, mode)
    sk.state_change()
    if err:
        raise KernelError(err)


# --- release --------------------------------------------------------------------------------
def inet_release_listener(sk: InetSock) -> None:
    """A listener closes: the connections not yet accepted are reset."""
    from glasskernel.net.ipv4.tcp import tcp_close
    while sk.accept_queue:
        child = sk.accept_queue.popleft()
        tcp_close(child, reset=True)
        child.dead = True
        ih.inet_unhash(child.net, child, True)
    sk.peer_wait.wake_up(sk.kernel)


def inet_release(sk: InetSock) -> None:
    """inet_release: the last file is gone."""
    from glasskernel.net.ipv4.tcp import tcp_close
    if sk.tcp:
        if sk.state == TCP_LISTEN:
            inet_release_listener(sk)
        linger = sk.opts.get(SO_LINGER)
        tcp_close(sk, reset=bool(sk.rcv_buf) or bool(linger and linger[0] and not linger[1]))
    sk.dead = True
    sk.state = TCP_CLOSE
    sk.shutdown = SHUTDOWN_MASK
    ih.inet_unhash(sk.net, sk, sk.tcp)
    sk.receive_queue.clear()
    sk.wait.wake_up(sk.kernel)



# --- proto_ops ------------------------------------------------------------------------------
def _setsockopt(task, sock, level, optname, optval, optlen):
    from glasskernel.net.ipv4.ip_sockglue import inet_setsockopt
    return inet_setsockopt(sock, level, optname, task, optval, optlen)


def _getsockopt(task, sock, level, optname, optval, optlen):
    from glasskernel.net.ipv4.ip_sockglue import inet_getsockopt
    return inet_getsockopt(sock, level, optname, task, optval, optlen)


def _socketpair(task, ska, skb):
    raise KernelError(Errno.EOPNOTSUPP)              # sock_no_socketpair


def _tcp_unread(sock, data: bytes) -> None:
    sock.sk.rcv_buf[:0] = data


_OPS = {}


def inet_ops(family: int, type_: int) -> ProtoOps:
    """inet_stream_ops / inet_dgram_ops (and the inet6 ones: the same calls here)."""
    key = (family, type_)
    if key not in _OPS:
        from glasskernel.net.ipv4 import tcp, udp
        common = dict(bind=lambda task, sock, addr: inet_bind(task, sock.sk, addr),
                      getname=lambda sock, peer: inet_getname(sock.sk, peer),
                      shutdown=lambda sock, how: inet_shutdown(sock.sk, how),
                      release=inet_release, setsockopt=_setsockopt, getsockopt=_getsockopt,
                      socketpair=_socketpair)
        if type_ == SOCK_STREAM:
            _OPS[key] = ProtoOps(family, connect=inet_stream_connect, listen=inet_listen,
                                 accept=inet_accept, sendmsg=tcp.tcp_sendmsg,
                                 recvmsg=tcp.tcp_recvmsg, poll=tcp.tcp_poll,
                                 ioctl=tcp.tcp_ioctl, unread=_tcp_unread, **common)
        else:
            _OPS[key] = ProtoOps(family, connect=lambda task, sock, addr, nonblock:
                                 udp.ip4_datagram_connect(task, sock, addr),
                                 listen=lambda task, sock, backlog: _no_op(),
                                 accept=lambda task, sock, nonblock: _no_op(),
                                 sendmsg=udp.udp_sendmsg, recvmsg=udp.udp_recvmsg,
                                 poll=udp.udp_poll, ioctl=udp.udp_ioctl,
                                 unread=lambda sock, data: None, **common)
    return _OPS[key]


def _no_op():
    raise KernelError(Errno.EOPNOTSUPP)
