"""The IP, IPv6, TCP and UDP level socket options (net/ipv4/ip_sockglue.c, tcp.c's
do_tcp_setsockopt, udp.c's udp_lib_setsockopt, net/ipv6/ipv6_sockglue.c).

Options that only change what a real network stack would put in headers or timers (TTL,
TOS, keepalive times, TCP_NODELAY ...) are kept, range-checked as Linux does, and read
back; the ones with an effect here are IPV6_V6ONLY (which addresses a v6 socket takes),
IP_FREEBIND/IP_TRANSPARENT (bind to an address that is not ours) and IP_MTU/IPV6_MTU
(lo's MTU once connected). An unknown option is ENOPROTOOPT, an unknown level
EOPNOTSUPP.
"""
import struct

from glasskernel.kernel.capability import capable
from glasskernel.mm.uaccess import copy_from_user, copy_to_user, get_user_i32, put_user_i32
from glasskernel.net.core.sock import TCP_ESTABLISHED
from glasskernel.net.ipv4.af_inet import AF_INET6
from glasskernel.uapi.capability import CAP_NET_ADMIN, CAP_NET_RAW
from glasskernel.uapi.errno import Errno, KernelError

SOL_IP, SOL_TCP, SOL_UDP, SOL_IPV6, SOL_UDPLITE = 0, 6, 17, 41, 136
IP_TOS, IP_TTL, IP_HDRINCL, IP_OPTIONS = 1, 2, 3, 4
IP_RECVOPTS, IP_RETOPTS, IP_PKTINFO, IP_MTU_DISCOVER, IP_RECVERR = 6, 7, 8, 10, 11
IP_RECVTTL, IP_RECVTOS, IP_MTU, IP_FREEBIND, IP_PASSSEC, IP_TRANSPARENT = 12, 13, 14, 15, 18, 19
IP_BIND_ADDRESS_NO_PORT, IP_MULTICAST_TTL, IP_MULTICAST_LOOP = 24, 33, 34
TCP_CORK, TCP_INFO, TCP_CONGESTION, UDP_CORK = 3, 11, 13, 1
IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP = 35, 36, 42, 45
IPV6_UNICAST_HOPS, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_LOOP = 16, 18, 19
IPV6_MTU_DISCOVER, IPV6_MTU, IPV6_RECVERR, IPV6_V6ONLY = 23, 24, 25, 26
IPV6_RECVPKTINFO, IPV6_RTHDR, IPV6_TCLASS = 49, 57, 67
IPV6_MIN_MTU, IPV6_SRCRT_TYPE_2 = 1280, 2
LOOPBACK_MTU = 65536

# level -> {option: (default, lo, hi)}; None bounds: any int is stored as 0/1 or as is
_IP = {IP_TOS: (0, 0, 255), IP_TTL: (64, -1, 255), IP_RECVOPTS: (0, None, None),
       IP_RETOPTS: (0, None, None), IP_PKTINFO: (0, None, None),
       IP_MTU_DISCOVER: (1, 0, 5), IP_RECVERR: (0, None, None), IP_RECVTTL: (0, None, None),
       IP_RECVTOS: (0, None, None), IP_FREEBIND: (0, None, None), IP_PASSSEC: (0, None, None),
       IP_TRANSPARENT: (0, None, None), IP_BIND_ADDRESS_NO_PORT: (0, None, None),
       IP_MULTICAST_TTL: (1, -1, 255), IP_MULTICAST_LOOP: (1, None, None)}
_TCP = {1: (0, None, None), 2: (536, 0, 65535), 3: (0, None, None), 4: (7200, 1, 32767),
        5: (75, 1, 32767), 6: (9, 1, 127), 7: (6, 1, 127), 8: (60, None, None),
        9: (0, None, None), 10: (0, 0, None), 12: (1, None, None), 18: (0, 0, None),
        23: (0, 0, None), 25: (0, None, None), 30: (0, None, None)}
_UDP = {1: (0, None, None), 100: (0, None, None), 101: (0, None, None),
        102: (0, None, None), 103: (0, 0, 65535), 104: (0, None, None)}
_IPV6 = {IPV6_UNICAST_HOPS: (64, -1, 255), IPV6_MULTICAST_HOPS: (1, -1, 255),
         IPV6_MULTICAST_LOOP: (1, 0, 1), IPV6_MTU_DISCOVER: (1, 0, 5),
         IPV6_MTU: (0, None, None), IPV6_RECVERR: (0, None, None),
         IPV6_V6ONLY: (0, None, None), IPV6_RECVPKTINFO: (0, None, None),
         IPV6_TCLASS: (0, -1, 255), 2: (0, None, None), 3: (0, None, None)}
_BOOLEAN = {(SOL_IP, o) for o in (IP_RECVOPTS, IP_RETOPTS, IP_PKTINFO, IP_RECVERR, IP_RECVTTL,
                                  IP_RECVTOS, IP_FREEBIND, IP_PASSSEC, IP_TRANSPARENT,
                                  IP_BIND_ADDRESS_NO_PORT, IP_MULTICAST_LOOP)}
_BOOLEAN |= {(SOL_TCP, o) for o in (1, 3, 12)} | {(SOL_IPV6, o) for o in (
    IPV6_RECVERR, IPV6_V6ONLY, IPV6_RECVPKTINFO)}


def _table(sk, level: int, setting: bool = False):
    """The option table a level reaches on this socket; none is ENOPROTOOPT to set and
    EOPNOTSUPP to get (ip_setsockopt / ip_getsockopt)."""
    if level == SOL_IP:
        return _IP
    if level == SOL_TCP and sk.tcp:
        return _TCP
    if level in (SOL_UDP, SOL_UDPLITE) and not sk.tcp:
        return _UDP
    if level == SOL_IPV6 and sk.family == AF_INET6:
        return _IPV6
    raise KernelError(Errno.ENOPROTOOPT if setting else Errno.EOPNOTSUPP)


def _get_int(task, level: int, optval: int, optlen: int) -> int:
    """The value: an int, or for IP options a lone byte (ip_setsockopt's short form)."""
    if optlen >= 4:
        return get_user_i32(task, optval)
    if level == SOL_IP and optlen >= 1:
        return copy_from_user(task, optval, 1)[0]
    raise KernelError(Errno.EINVAL)


def inet_setsockopt(sock, level: int, optname: int, task, optval: int, optlen: int) -> int:
    sk = sock.sk
    table = _table(sk, level, True)
    if level == SOL_TCP and optname == TCP_CONGESTION:
        name = copy_from_user(task, optval, min(optlen, 16)).split(b"\0")[0]
        if name not in (b"cubic", b"reno"):
            raise KernelError(Errno.ENOENT)
        sk.ipopts[(level, optname)] = name
        return 0
    if level == SOL_IPV6 and optname == IPV6_RTHDR:
        return _set_rthdr(sk, task, optval, optlen)
    if level == SOL_IP and optname in _MCAST:
        return _ip_mc(sk, task, optname, optval, optlen)
    if level == SOL_IP and optname == IP_OPTIONS:
        if optlen > 40:
            raise KernelError(Errno.EINVAL)
        sk.ipopts[(level, optname)] = copy_from_user(task, optval, optlen) if optlen else b""
        return 0
    if optname not in table:
        raise KernelError(Errno.ENOPROTOOPT)
    val = _get_int(task, level, optval, optlen)
    _default, lo, hi = table[optname]
    if (lo is not None and val < lo) or (hi is not None and val > hi):
        raise KernelError(Errno.EINVAL)
    if (level, optname) in ((SOL_IP, IP_TTL), (SOL_IP, IP_MULTICAST_TTL)) and val == 0:
        raise KernelError(Errno.EINVAL)
    _special_set(sk, task, level, optname, val)
    sk.ipopts[(level, optname)] = int(bool(val)) if (level, optname) in _BOOLEAN else val
    if (level, optname) == (SOL_IP, IP_FREEBIND):
        sk.ipopts["freebind"] = bool(val)
    if (level, optname) == (SOL_IP, IP_TRANSPARENT):
        sk.ipopts["transparent"] = bool(val)
    if (level, optname) == (SOL_TCP, TCP_CORK) and not val:
        from glasskernel.net.ipv4.tcp import tcp_flush
        tcp_flush(sk)
    if (level, optname) == (SOL_UDP, UDP_CORK) and not val:
        from glasskernel.net.ipv4.udp import udp_push_pending
        udp_push_pending(sk)
    return 0


def _special_set(sk, task, level: int, optname: int, val: int) -> None:
    """The options with rules beyond a range."""
    if level == SOL_IPV6 and optname == IPV6_V6ONLY:
        if sk.num:
            raise KernelError(Errno.EINVAL)          # only before the socket is bound
        sk.ipv6only = bool(val)
    elif level == SOL_IPV6 and optname == IPV6_MTU:
        if val and val < IPV6_MIN_MTU:
            raise KernelError(Errno.EINVAL)
    elif level == SOL_IP and optname == IP_TRANSPARENT and val and \
            not capable(task, CAP_NET_RAW) and not capable(task, CAP_NET_ADMIN):
        raise KernelError(Errno.EPERM)


_MCAST = (IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP)
GROUP_REQ_SIZE, IP_MREQ_SIZE = 136, 8


def _ip_mc(sk, task, optname: int, optval: int, optlen: int) -> int:
    """Join or leave an IPv4 multicast group (ip_mc_join_group / ip_mc_leave_group):
    the membership is the socket's own (an accepted socket has none); the group goes
    through lo, the one interface."""
    if optname in (MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP):
        if optlen < GROUP_REQ_SIZE:
            raise KernelError(Errno.EINVAL)
        req = copy_from_user(task, optval, GROUP_REQ_SIZE)
        if int.from_bytes(req[8:10], "little") != 2:           # gr_group.ss_family
            raise KernelError(Errno.EINVAL)
        group, ifindex = req[12:16], int.from_bytes(req[:4], "little")
    else:
        if optlen < IP_MREQ_SIZE:
            raise KernelError(Errno.EINVAL)
        req = copy_from_user(task, optval, IP_MREQ_SIZE)
        group, ifindex = req[:4], 0
    if ifindex and sk.net.dev_get_by_index(ifindex) is None:
        raise KernelError(Errno.ENODEV)
    if optname in (MCAST_JOIN_GROUP, IP_ADD_MEMBERSHIP):
        if group[0] < 224 or group[0] > 239:
            raise KernelError(Errno.EINVAL)
        if not sk.net.loopback_dev.up:
            raise KernelError(Errno.ENODEV)
        if group in sk.mc_list:
            raise KernelError(Errno.EADDRINUSE)
        sk.mc_list.add(group)
    else:
        if group not in sk.mc_list:
            raise KernelError(Errno.EADDRNOTAVAIL)
        sk.mc_list.discard(group)
    return 0


def _set_rthdr(sk, task, optval: int, optlen: int) -> int:
    """IPV6_RTHDR: a type 2 routing header is kept; other types are EINVAL."""
    if optlen == 0:
        sk.ipopts.pop((SOL_IPV6, IPV6_RTHDR), None)
        return 0
    if optlen < 8 or optlen & 7:
        raise KernelError(Errno.EINVAL)
    hdr = copy_from_user(task, optval, optlen)
    if (hdr[1] + 1) * 8 != optlen or hdr[2] != IPV6_SRCRT_TYPE_2:
        raise KernelError(Errno.EINVAL)
    sk.ipopts[(SOL_IPV6, IPV6_RTHDR)] = hdr
    return 0


def inet_getsockopt(sock, level: int, optname: int, task, optval: int, optlen: int) -> int:
    sk = sock.sk
    table = _table(sk, level)
    length = get_user_i32(task, optlen)
    if length < 0:
        raise KernelError(Errno.EINVAL)
    value = _bytes_option(sk, level, optname)
    if value is None:
        if optname not in table and (level, optname) != (SOL_IP, IP_MTU):
            raise KernelError(Errno.ENOPROTOOPT)
        val = _int_value(sk, level, optname, table)
        if level == SOL_IP and 0 < length < 4 and 0 <= val <= 255:
            value = bytes((val,))
        else:
            value = struct.pack("<i", val)
            if level != SOL_IP:
                length = min(length, 4)
    length = min(length, len(value))
    copy_to_user(task, optval, value[:length])
    put_user_i32(task, optlen, length)
    return 0


def _bytes_option(sk, level: int, optname: int):
    """The options whose value is not an int (None: an int one)."""
    if level == SOL_IP and optname == IP_OPTIONS:
        return sk.ipopts.get((level, optname), b"")
    if level == SOL_TCP and optname == TCP_CONGESTION and sk.tcp:
        return sk.ipopts.get((level, optname), b"cubic").ljust(16, b"\0")
    if level == SOL_TCP and optname == TCP_INFO and sk.tcp:
        return bytes((sk.state,)) + bytes(231)           # tcpi_state, the rest zero
    if level == SOL_IPV6 and optname == IPV6_RTHDR and sk.family == AF_INET6:
        return sk.ipopts.get((level, optname), b"")
    return None


def _int_value(sk, level: int, optname: int, table) -> int:
    if level == SOL_IP and optname == IP_MTU or level == SOL_IPV6 and optname == IPV6_MTU:
        if sk.daddr is None or sk.state != TCP_ESTABLISHED:
            raise KernelError(Errno.ENOTCONN)
        return LOOPBACK_MTU
    if level == SOL_IPV6 and optname == IPV6_V6ONLY:
        return int(sk.ipv6only)
    if level == SOL_TCP and optname == 2 and sk.state == TCP_ESTABLISHED:
        # lo's MSS: the MTU less the IP and TCP headers and the timestamp option
        return LOOPBACK_MTU - (40 if sk.family == AF_INET6 else 20) - 20 - 12
    val = sk.ipopts.get((level, optname), table[optname][0])
    if level == SOL_IP and optname == IP_TTL and val == -1:
        return 64
    return val

