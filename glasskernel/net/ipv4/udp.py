"""UDP over the loopback (net/ipv4/udp.c, datagram.c, net/ipv6/udp.c).

A datagram goes straight into the queue of the socket bound to its destination (an exact
address before a wildcard; a connected receiver takes only its peer's), with the sender's
address as the receiver's family writes it. A full receive buffer drops it, as Linux
does; nobody bound answers with ICMP port unreachable, which a connected sender sees as
ECONNREFUSED on its next call.
"""
from glasskernel.fs.select import poll_wait
from glasskernel.kernel.sched.wait import SlowPathRequired
from glasskernel.mm.uaccess import put_user_i32
from glasskernel.net.core.sock import (RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, TCP_CLOSE,
                                       TCP_ESTABLISHED, skb_truesize)
from glasskernel.net.ipv4 import inet_hashtables as ih
from glasskernel.net.ipv4.af_inet import (AF_INET, AF_UNSPEC, InetSock, inet_autobind,
                                          inet_sockaddr, ip_route_connect, parse_dest,
                                          sockaddr_family)
from glasskernel.net.unix.af_unix import sk_wait
from glasskernel.uapi.errno import Errno, KernelError

MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT = 0x1, 0x2, 0x20, 0x40
MSG_ERRQUEUE, MSG_MORE = 0x2000, 0x8000
SOL_UDP, UDP_CORK = 17, 1
POLLIN, POLLOUT, POLLERR, POLLHUP = 0x1, 0x4, 0x8, 0x10
POLLRDNORM, POLLWRNORM, POLLWRBAND, POLLRDHUP = 0x40, 0x100, 0x200, 0x2000
SIOCOUTQ, SIOCINQ = 0x5411, 0x541B
UDP_MAX4 = 65535 - 20 - 8                  # IP and UDP headers
UDP_MAX6 = 65535 - 8                       # the payload length field (no jumbograms)


def ip4_datagram_connect(task, sock, addr: bytes) -> None:
    """inet_dgram_connect: AF_UNSPEC disconnects; else autobind, route and remember."""
    sk = sock.sk
    if len(addr) < 2:
        raise KernelError(Errno.EINVAL)
    if sockaddr_family(addr) == AF_UNSPEC:
        udp_disconnect(sk)
        return
    daddr, dport = parse_dest(sk, addr)
    inet_autobind(sk)
    daddr, saddr = ip_route_connect(sk, daddr)
    if ih.is_any(sk.rcv_saddr):
        sk.saddr = saddr
    sk.daddr, sk.dport = daddr, dport
    sk.state = TCP_ESTABLISHED


def udp_disconnect(sk: InetSock) -> None:
    """__udp_disconnect: forget the peer (and an autobound port)."""
    sk.state = TCP_CLOSE
    sk.daddr, sk.dport = None, 0
    if not sk.bound_addr:
        sk.saddr = sk.rcv_saddr
    if not sk.bound_port and sk.num:
        ih.inet_unhash(sk.net, sk, False)
        sk.num = 0


def _receiver(sk: InetSock, daddr: bytes, dport: int, saddr: bytes):
    """The socket a datagram from (saddr, sk.num) to (daddr, dport) lands in."""
    def accepts(r):
        return r.daddr is None or (r.daddr == saddr and r.dport == sk.num)
    return ih.inet_lookup(sk.net, daddr, dport, False, accepts)


def udp_sendmsg(task, sock, msg) -> int:
    sk = sock.sk
    if msg.flags & MSG_OOB:
        raise KernelError(Errno.EOPNOTSUPP)
    pending = sk.udp_cork[0] if sk.udp_cork else b""
    if len(pending) + msg.len > (UDP_MAX4 if sk.family == AF_INET else UDP_MAX6):
        raise KernelError(Errno.EMSGSIZE)
    if sk.udp_cork:                                 # the corked datagram's destination
        daddr, dport = sk.udp_cork[1], sk.udp_cork[2]
    elif msg.name is not None:
        if sk.family == AF_INET and sockaddr_family(msg.name) == AF_UNSPEC \
                and len(msg.name) >= 16:
            msg.name = b"\x02\0" + msg.name[2:]           # AF_UNSPEC is taken as AF_INET
        daddr, dport = parse_dest(sk, msg.name)
        if not dport:
            raise KernelError(Errno.EINVAL)
    else:
        if sk.state != TCP_ESTABLISHED:
            raise KernelError(Errno.EDESTADDRREQ)
        daddr, dport = sk.daddr, sk.dport
    inet_autobind(sk)
    daddr, saddr = ip_route_connect(sk, daddr)
    if sk.shutdown & SEND_SHUTDOWN:
        raise KernelError(Errno.EPIPE)
    err = sk.sock_error()
    if err:
        raise KernelError(err)
    data = pending + msg.copy_from_iter(msg.len)
    if msg.flags & MSG_MORE or sk.ipopts.get((SOL_UDP, UDP_CORK)):
        sk.udp_cork = (data, daddr, dport)          # appended to until uncorked
        return msg.len
    sk.udp_cork = None
    udp_deliver(sk, data, daddr, dport, saddr)
    return msg.len


def udp_push_pending(sk: InetSock) -> None:
    """UDP_CORK cleared: the datagram built so far goes."""
    if sk.udp_cork:
        data, daddr, dport = sk.udp_cork
        sk.udp_cork = None
        daddr, saddr = ip_route_connect(sk, daddr)
        udp_deliver(sk, data, daddr, dport, saddr)


def udp_deliver(sk: InetSock, data: bytes, daddr: bytes, dport: int, saddr: bytes) -> None:
    """The datagram lands in its receiver's queue, is dropped, or is refused."""
    sk.net.loopback_dev.count(len(data) + 8)
    other = _receiver(sk, daddr, dport, saddr)
    if other is None:
        if sk.state == TCP_ESTABLISHED:
            sk.err = Errno.ECONNREFUSED            # the ICMP port unreachable
            sk.state_change()
        return
    truesize = skb_truesize(len(data))
    if other.rcv_queued + truesize > other.rcvbuf and other.receive_queue:
        return                                      # dropped: the receive buffer is full
    src = inet_sockaddr(other.family, saddr, sk.num)
    other.receive_queue.append((data, src, truesize))
    other.rcv_queued += truesize
    other.state_change()


def udp_recvmsg(task, sock, msg, size: int, flags: int) -> int:
    """One datagram, cut to size (MSG_TRUNC set; with MSG_TRUNC asked, its full length)."""
    sk = sock.sk
    if flags & MSG_ERRQUEUE:
        raise KernelError(Errno.EAGAIN)          # ip_recv_error: nothing is ever queued
    if flags & MSG_OOB:
        raise KernelError(Errno.EOPNOTSUPP)
    timeo = 0 if flags & MSG_DONTWAIT else sk.rcvtimeo
    while not sk.receive_queue:
        err = sk.sock_error()
        if err:
            raise KernelError(err)
        if sk.shutdown & RCV_SHUTDOWN:
            return 0
        if timeo != 0 and sk.kernel.in_fast_syscall:
            raise SlowPathRequired()
        sk_wait(task, sk.wait, lambda: bool(sk.receive_queue) or sk.err or
                sk.shutdown & RCV_SHUTDOWN, timeo)
    data, src, truesize = sk.receive_queue[0]
    if not flags & MSG_PEEK:
        sk.receive_queue.popleft()
        sk.rcv_queued -= truesize
    n = min(size, len(data))
    if n < len(data):
        msg.flags |= MSG_TRUNC
    msg.copy_to_iter(data[:n])
    if msg.want_name:
        msg.name = src
    return len(data) if flags & MSG_TRUNC else n


def udp_poll(file, sock, pt) -> int:
    """datagram_poll."""
    sk = sock.sk
    poll_wait(file, sk.wait, pt)
    mask = 0
    if sk.err:
        mask |= POLLERR
    if sk.shutdown & RCV_SHUTDOWN:
        mask |= POLLRDHUP | POLLIN | POLLRDNORM
    if sk.shutdown == SHUTDOWN_MASK:
        mask |= POLLHUP
    if sk.receive_queue:
        mask |= POLLIN | POLLRDNORM
    return mask | POLLOUT | POLLWRNORM | POLLWRBAND


def udp_ioctl(sock, cmd: int, arg: int, task) -> int:
    """SIOCINQ: the first datagram's length; SIOCOUTQ: nothing is waiting to go out."""
    sk = sock.sk
    if cmd == SIOCINQ:
        put_user_i32(task, arg, len(sk.receive_queue[0][0]) if sk.receive_queue else 0)
        return 0
    if cmd == SIOCOUTQ:
        put_user_i32(task, arg, 0)
        return 0
    from glasskernel.net.core.dev_ioctl import dev_ioctl
    return dev_ioctl(sk.net, cmd, arg, task)
