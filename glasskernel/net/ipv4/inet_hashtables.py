"""Port tables and addresses of inet sockets (net/ipv4/inet_hashtables.c,
inet_connection_sock.c's bind conflict rules, udp.c's udp_lib_get_port).

Every address is kept as 16 bytes in the IPv6 space: an IPv4 address a.b.c.d is the
v4-mapped ::ffff:a.b.c.d (so 0.0.0.0 is ANY4), IPv6's wildcard is ANY6. A table maps a
port to the sockets bound to it, in bind order; a socket is hashed there from bind (or
autobind) until it is released.
"""
import random

from glasskernel.uapi.errno import Errno, KernelError

V4MAPPED_PREFIX = b"\0" * 10 + b"\xff\xff"
ANY4 = V4MAPPED_PREFIX + b"\0\0\0\0"
ANY6 = b"\0" * 16
LOOPBACK4 = V4MAPPED_PREFIX + bytes((127, 0, 0, 1))
LOOPBACK6 = b"\0" * 15 + b"\1"


def v4(addr4: bytes) -> bytes:
    return V4MAPPED_PREFIX + addr4


def is_v4(addr: bytes) -> bool:
    return addr[:12] == V4MAPPED_PREFIX


def is_any(addr: bytes) -> bool:
    return addr in (ANY4, ANY6)


def ipv4_is_loopback(addr: bytes) -> bool:
    return is_v4(addr) and addr[12] == 127


def is_local(net, addr: bytes) -> bool:
    """inet_addr_type == RTN_LOCAL / ipv6_chk_addr: lo's 127.0.0.0/8 and ::1, while lo
    is up (a down lo has its local routes removed)."""
    if not net.loopback_dev.up:
        return False
    return ipv4_is_loopback(addr) or addr == LOOPBACK6


def is_multicast_or_broadcast(addr: bytes) -> bool:
    if is_v4(addr):
        return addr[12] >= 224
    return addr[0] == 0xFF


def saddr_match(a, b) -> bool:
    """inet_rcv_saddr_equal with wildcards: do two bound sockets' addresses overlap?"""
    if is_v4(a.rcv_saddr) and is_v4(b.rcv_saddr):
        return a.rcv_saddr == b.rcv_saddr or a.rcv_saddr == ANY4 or b.rcv_saddr == ANY4
    if not is_v4(a.rcv_saddr) and not is_v4(b.rcv_saddr):
        return a.rcv_saddr == b.rcv_saddr or a.rcv_saddr == ANY6 or b.rcv_saddr == ANY6
    six, four = (a, b) if not is_v4(a.rcv_saddr) else (b, a)
    # :: without IPV6_V6ONLY also takes IPv4; 0.0.0.0 clashes only with that
    return six.rcv_saddr == ANY6 and not six.ipv6only


def addr_accepts(sk, daddr: bytes) -> bool:
    """Does a socket bound to sk.rcv_saddr receive what is sent to daddr?"""
    if sk.rcv_saddr == daddr:
        return True
    if is_v4(daddr):
        return sk.rcv_saddr == ANY4 or sk.rcv_saddr == ANY6 and not sk.ipv6only
    return sk.rcv_saddr == ANY6


def _conflict(sk, other, tcp: bool) -> bool:
    """inet_csk_bind_conflict / udp_lib_lport_inuse for one pair on the same port."""
    if other is sk or not saddr_match(sk, other):
        return False
    if sk.reuseaddr and other.reuseaddr and (not tcp or other.state != 10):
        return False                                  # 10: TCP_LISTEN
    if sk.reuseport and other.reuseport and sk.uid == other.uid:
        return False
    return True


def ports_table(net, tcp: bool) -> dict:
    return net.tcp_ports if tcp else net.udp_ports


def port_in_use(net, sk, port: int, tcp: bool) -> bool:
    return any(_conflict(sk, o, tcp) for o in ports_table(net, tcp).get(port, ()))


def inet_get_port(net, sk, port: int, tcp: bool) -> None:
    """Hash sk on port, or on a free ephemeral port for 0 (EADDRINUSE if none)."""
    if port == 0:
        low, high = net.ip_local_port_range
        span = high - low + 1
        start = random.randrange(span)
        for i in range(span):
            candidate = low + (start + i) % span
            table = ports_table(net, tcp).get(candidate)
            # an ephemeral port is one nobody holds at all (no sharing by reuse)
            if not table:
                port = candidate
                break
        else:
            raise KernelError(Errno.EADDRINUSE)
    elif port_in_use(net, sk, port, tcp):
        raise KernelError(Errno.EADDRINUSE)
    ports_table(net, tcp).setdefault(port, []).append(sk)
    sk.num = port


def inet_unhash(net, sk, tcp: bool) -> None:
    """Take sk out of its port's list (release, or a failed autobind)."""
    bucket = ports_table(net, tcp).get(sk.num)
    if bucket and sk in bucket:
        bucket.remove(sk)
        if not bucket:
            del ports_table(net, tcp)[sk.num]


def inet_lookup(net, daddr: bytes, dport: int, tcp: bool, pred):
    """The socket bound to (daddr, dport) that pred accepts: an exact address before a
    wildcard one (compute_score's preference)."""
    best = None
    for sk in ports_table(net, tcp).get(dport, ()):
        if sk.dead or not addr_accepts(sk, daddr) or not pred(sk):
            continue
        if sk.rcv_saddr == daddr:
            return sk
        if best is None:
            best = sk
    return best
