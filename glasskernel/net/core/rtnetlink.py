"""NETLINK_ROUTE requests (net/core/rtnetlink.c, net/ipv4/devinet.c, net/ipv6/addrconf.c):
what ``ip link`` and ``ip addr`` ask of a namespace whose one device is lo.

RTM_GETLINK (one device by index or IFLA_IFNAME, or a dump), RTM_NEWLINK on an existing
device (its IFF_UP flag and MTU; CAP_NET_ADMIN), RTM_GETADDR (a dump of 127.0.0.1/8 and
::1/128 while lo is up). Any other request type is EOPNOTSUPP. Every request is
answered as Linux does: the reply messages, NLMSG_DONE after a dump, an NLMSG_ERROR with
the errno (0 as an ack when NLM_F_ACK asked for one).
"""
import struct

from glasskernel.kernel.capability import ns_capable
from glasskernel.net.core.net_namespace import IFF_UP
from glasskernel.uapi.capability import CAP_NET_ADMIN
from glasskernel.uapi.errno import Errno, KernelError

NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE = 1, 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 0x1, 0x2, 0x4
NLM_F_DUMP = 0x300
NLM_F_CAPPED = 0x100
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK = 16, 17, 18
RTM_NEWADDR, RTM_GETADDR = 20, 22
NETLINK_CAP_ACK = 10
IFLA_ADDRESS, IFLA_BROADCAST, IFLA_IFNAME, IFLA_MTU, IFLA_QDISC, IFLA_STATS = 1, 2, 3, 4, 6, 7
IFLA_TXQLEN, IFLA_OPERSTATE, IFLA_LINKMODE, IFLA_STATS64, IFLA_GROUP = 13, 16, 17, 23, 27
IFLA_PROMISCUITY, IFLA_NUM_TX_QUEUES, IFLA_NUM_RX_QUEUES, IFLA_CARRIER = 30, 31, 32, 33
IFLA_MIN_MTU, IFLA_MAX_MTU = 50, 51
IFA_ADDRESS, IFA_LOCAL, IFA_LABEL, IFA_CACHEINFO, IFA_FLAGS = 1, 2, 3, 6, 8
IF_OPER_UNKNOWN, IF_OPER_DOWN = 0, 2
ARPHRD_LOOPBACK = 772
RT_SCOPE_HOST = 254
IFA_F_PERMANENT = 0x80
INFINITY_LIFE_TIME = 0xFFFFFFFF
AF_UNSPEC, AF_INET, AF_INET6 = 0, 2, 10
_NLMSGHDR = struct.Struct("<IHHII")
_IFINFOMSG = struct.Struct("<BxHiII")
_IFADDRMSG = struct.Struct("<BBBBi")


def nla(kind: int, payload: bytes) -> bytes:
    """One attribute, padded to 4 bytes."""
    length = 4 + len(payload)
    return struct.pack("<HH", length, kind) + payload + b"\0" * (-length % 4)


def parse_attrs(data: bytes) -> dict:
    attrs, off = {}, 0
    while off + 4 <= len(data):
        length, kind = struct.unpack_from("<HH", data, off)
        if length < 4:
            break
        attrs[kind & 0x3FFF] = data[off + 4:off + length]
        off += (length + 3) & ~3
    return attrs


def nlmsg(kind: int, flags: int, seq: int, portid: int, payload: bytes) -> bytes:
    return _NLMSGHDR.pack(16 + len(payload), kind, flags, seq, portid & 0xFFFFFFFF) + payload


def _link_msg(dev, seq: int, portid: int, flags: int) -> bytes:
    """RTM_NEWLINK describing dev (rtnl_fill_ifinfo, the attributes ip(8) shows)."""
    stats = (dev.rx_packets, dev.tx_packets, dev.rx_bytes, dev.tx_bytes) + (0,) * 20
    attrs = b"".join((
        nla(IFLA_IFNAME, dev.name.encode() + b"\0"), nla(IFLA_TXQLEN, struct.pack("<I", 1000)),
        nla(IFLA_OPERSTATE, bytes((IF_OPER_UNKNOWN if dev.up else IF_OPER_DOWN,))),
        nla(IFLA_LINKMODE, b"\0"), nla(IFLA_MTU, struct.pack("<I", dev.mtu)),
        nla(IFLA_MIN_MTU, struct.pack("<I", 0)), nla(IFLA_MAX_MTU, struct.pack("<I", 0)),
        nla(IFLA_GROUP, struct.pack("<I", 0)), nla(IFLA_PROMISCUITY, struct.pack("<I", 0)),
        nla(IFLA_NUM_TX_QUEUES, struct.pack("<I", 1)),
        nla(IFLA_NUM_RX_QUEUES, struct.pack("<I", 1)),
        nla(IFLA_CARRIER, b"\1"), nla(IFLA_QDISC, b"noqueue\0"),
        nla(IFLA_ADDRESS, bytes(6)), nla(IFLA_BROADCAST, bytes(6)),
        nla(IFLA_STATS64, struct.pack("<24Q", *stats)),
        nla(IFLA_STATS, struct.pack("<24I", *(v & 0xFFFFFFFF for v in stats)))))
    body = _IFINFOMSG.pack(AF_UNSPEC, ARPHRD_LOOPBACK, dev.ifindex, dev.get_flags(), 0)
    return nlmsg(RTM_NEWLINK, flags, seq, portid, body + attrs)


def _addr_msgs(net, family: int, seq: int, portid: int) -> list:
    """RTM_NEWADDR for lo's addresses (they exist while lo is up)."""
    dev = net.loopback_dev
    if not dev.up:
        return []
    cache = struct.pack("<IIII", INFINITY_LIFE_TIME, INFINITY_LIFE_TIME, 0, 0)
    out = []
    if family in (AF_UNSPEC, AF_INET):
        addr = bytes((127, 0, 0, 1))
        body = _IFADDRMSG.pack(AF_INET, 8, IFA_F_PERMANENT, RT_SCOPE_HOST, dev.ifindex)
        body += nla(IFA_ADDRESS, addr) + nla(IFA_LOCAL, addr) + nla(IFA_LABEL, b"lo\0") + \
            nla(IFA_FLAGS, struct.pack("<I", IFA_F_PERMANENT)) + nla(IFA_CACHEINFO, cache)
        out.append(nlmsg(RTM_NEWADDR, NLM_F_MULTI, seq, portid, body))
    if family in (AF_UNSPEC, AF_INET6):
        body = _IFADDRMSG.pack(AF_INET6, 128, IFA_F_PERMANENT, RT_SCOPE_HOST, dev.ifindex)
        body += nla(IFA_ADDRESS, bytes(15) + b"\1") + nla(IFA_CACHEINFO, cache) + \
            nla(IFA_FLAGS, struct.pack("<I", IFA_F_PERMANENT))
        out.append(nlmsg(RTM_NEWADDR, NLM_F_MULTI, seq, portid, body))
    return out


def _find_dev(net, body: bytes):
    """The device an ifinfomsg names by index or IFLA_IFNAME (ENODEV if none)."""
    if len(body) < _IFINFOMSG.size:
        raise KernelError(Errno.EINVAL)
    index = _IFINFOMSG.unpack_from(body)[2]
    attrs = parse_attrs(body[_IFINFOMSG.size:])
    if index > 0:
        dev = net.dev_get_by_index(index)
    elif IFLA_IFNAME in attrs:
        dev = net.dev_get_by_name(attrs[IFLA_IFNAME].split(b"\0")[0].decode("latin-1"))
    else:
        dev = None
    if dev is None:
        raise KernelError(Errno.ENODEV)
    return dev, attrs


def _newlink(task, net, body: bytes) -> None:
    """rtnl_newlink on an existing device: flags (combined with ifi_change) and MTU."""
    if not ns_capable(task, net.user_ns, CAP_NET_ADMIN):
        raise KernelError(Errno.EPERM)
    dev, attrs = _find_dev(net, body)
    _family, _type, _index, flags, change = _IFINFOMSG.unpack_from(body)
    if IFLA_MTU in attrs:
        mtu = struct.unpack("<i", attrs[IFLA_MTU][:4])[0]
        if mtu < 0:
            raise KernelError(Errno.EINVAL)
        dev.mtu = mtu
    if flags or change:
        if change:
            flags = (flags & change) | (dev.flags & ~change)
        dev.set_up(net, bool(flags & IFF_UP))


def _handle(task, sk, kind: int, flags: int, seq: int, body: bytes) -> list:
    net, portid = sk.net, sk.portid
    if kind == RTM_GETLINK:
        if flags & NLM_F_DUMP == NLM_F_DUMP:
            return [_link_msg(d, seq, portid, NLM_F_MULTI) for d in net.devices()] + \
                [nlmsg(NLMSG_DONE, NLM_F_MULTI, seq, portid, struct.pack("<i", 0))]
        dev, _attrs = _find_dev(net, body)
        return [_link_msg(dev, seq, portid, 0)]
    if kind == RTM_GETADDR:
        if flags & NLM_F_DUMP != NLM_F_DUMP:
            raise KernelError(Errno.EOPNOTSUPP)
        family = body[0] if body else AF_UNSPEC
        return _addr_msgs(net, family, seq, portid) + \
            [nlmsg(NLMSG_DONE, NLM_F_MULTI, seq, portid, struct.pack("<i", 0))]
    if kind == RTM_NEWLINK:
        _newlink(task, net, body)
        return []
    raise KernelError(Errno.EOPNOTSUPP)


def _ack(sk, header: bytes, request: bytes, err: int) -> bytes:
    """netlink_ack: the errno and the request (just its header on success or when
    NETLINK_CAP_ACK is on)."""
    _length, _kind, _flags, seq, _pid = _NLMSGHDR.unpack(header)
    if err and not sk.nlopts.get(NETLINK_CAP_ACK):
        echoed, flags = request, 0
    else:
        echoed, flags = header, NLM_F_CAPPED
    return nlmsg(NLMSG_ERROR, flags, seq, sk.portid, struct.pack("<i", -err) + echoed)


def rtnetlink_rcv(task, sk, data: bytes) -> list:
    """netlink_rcv_skb: every request in the buffer, in order; the replies."""
    out, off = [], 0
    while off + _NLMSGHDR.size <= len(data):
        length, kind, flags, seq, _pid = _NLMSGHDR.unpack_from(data, off)
        if length < _NLMSGHDR.size or off + length > len(data):
            break
        request = data[off:off + length]
        off += (length + 3) & ~3
        if not flags & NLM_F_REQUEST or kind < RTM_NEWLINK:
            continue                              # control messages are skipped
        try:
            replies = _handle(task, sk, kind, flags, seq, request[_NLMSGHDR.size:])
            err = 0
        except KernelError as e:
            replies, err = [], e.errno
        if replies and flags & NLM_F_DUMP == NLM_F_DUMP:
            out.append(b"".join(replies))          # a dump's messages arrive together
        else:
            out.extend(replies)
        if err or flags & NLM_F_ACK:
            out.append(_ack(sk, request[:_NLMSGHDR.size], request, err))
    return out
