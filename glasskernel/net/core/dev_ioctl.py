"""Interface ioctls on a socket (net/core/dev_ioctl.c, net/ipv4/devinet.c's devinet_ioctl).

The one interface is the namespace's ``lo``: SIOCGIFCONF lists it while it has its
address (it is up), SIOCGIFFLAGS/SIOCSIFFLAGS read and set IFF_UP, SIOCSIFMTU the MTU
(CAP_NET_ADMIN in the namespace's user namespace to set), SIOCGIFINDEX/SIOCGIFNAME map name and index, SIOCGIFMTU, SIOCGIFADDR and
SIOCGIFNETMASK (inet sockets only, as devinet_ioctl) report 65536 and 127.0.0.1/8.
A name that is no interface is ENODEV; any other request ENOTTY.
"""
import struct

from glasskernel.kernel.capability import ns_capable
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.net.core.net_namespace import IFF_UP
from glasskernel.uapi.capability import CAP_NET_ADMIN
from glasskernel.uapi.errno import Errno, KernelError

SIOCGIFNAME, SIOCGIFCONF, SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCGIFADDR = \
    0x8910, 0x8912, 0x8913, 0x8914, 0x8915
SIOCGIFBRDADDR, SIOCGIFNETMASK, SIOCGIFMETRIC, SIOCGIFMTU = 0x8919, 0x891B, 0x891D, 0x8921
SIOCSIFMTU = 0x8922
SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFTXQLEN = 0x8927, 0x8933, 0x8942
IFNAMSIZ, IFREQ_SIZE = 16, 40
COMPAT_IFREQ_SIZE = 32               # struct compat_ifreq: its ifmap has 32-bit longs
ARPHRD_LOOPBACK = 772
AF_INET = 2
_IFCONF = struct.Struct("<i4xQ")
_COMPAT_IFCONF = struct.Struct("<iI")     # struct compat_ifconf: ifc_len, a 32-bit buffer pointer


def ifreq_size(task) -> int:
    """sizeof(struct ifreq), or of struct compat_ifreq in a compat syscall (get_user_ifreq,
    put_user_ifreq)."""
    from glasskernel.kernel.compat import in_compat_syscall
    return COMPAT_IFREQ_SIZE if in_compat_syscall(task) else IFREQ_SIZE
_INET_ONLY = (SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFBRDADDR)


def _sockaddr_in(addr: bytes) -> bytes:
    return struct.pack("<H2s4s8x", AF_INET, b"\0\0", addr)


def _ifreq_dev(net, task, arg: int):
    """The device an ifreq names (ENODEV if none)."""
    raw = copy_from_user(task, arg, ifreq_size(task))
    name = raw[:IFNAMSIZ].split(b"\0", 1)[0].decode("latin-1")
    dev = net.dev_get_by_name(name)
    if dev is None:
        raise KernelError(Errno.ENODEV)
    return raw, dev


def _put_ifru(task, arg: int, raw: bytes, value: bytes) -> None:
    copy_to_user(task, arg, raw[:IFNAMSIZ] + value.ljust(len(raw) - IFNAMSIZ, b"\0"))


def dev_ifconf(net, task, arg: int) -> int:
    """SIOCGIFCONF: one ifreq per interface with an IPv4 address; a NULL buffer asks
    for the length needed."""
    size = ifreq_size(task)                  # (both structs differ for a compat caller)
    ifconf = _COMPAT_IFCONF if size == COMPAT_IFREQ_SIZE else _IFCONF
    length, buf = ifconf.unpack(copy_from_user(task, arg, ifconf.size))
    devs = [d for d in net.devices() if d.up]
    if not buf:
        copy_to_user(task, arg, struct.pack("<i", size * len(devs)))
        return 0
    done = 0
    for dev in devs:
        if length - done < size:
            break
        entry = dev.name.encode().ljust(IFNAMSIZ, b"\0") + _sockaddr_in(bytes((127, 0, 0, 1)))
        copy_to_user(task, buf + done, entry.ljust(size, b"\0"))
        done += size
    copy_to_user(task, arg, struct.pack("<i", done))
    return 0


def dev_ioctl(net, cmd: int, arg: int, task, inet: bool = True) -> int:
    if cmd == SIOCGIFCONF:
        return dev_ifconf(net, task, arg)
    if cmd == SIOCGIFNAME:
        raw = copy_from_user(task, arg, ifreq_size(task))
        dev = net.dev_get_by_index(struct.unpack_from("<i", raw, IFNAMSIZ)[0])
        if dev is None:
            raise KernelError(Errno.ENODEV)
        copy_to_user(task, arg, dev.name.encode().ljust(IFNAMSIZ, b"\0"))
        return 0
    if cmd in _INET_ONLY and not inet or cmd not in _HANDLED:
        raise KernelError(Errno.ENOTTY)
    raw, dev = _ifreq_dev(net, task, arg)
    if cmd in (SIOCSIFFLAGS, SIOCSIFMTU):
        # CAP_NET_ADMIN over the namespace's owner (a user namespace's root has it)
        if not ns_capable(task, net.user_ns, CAP_NET_ADMIN):
            raise KernelError(Errno.EPERM)
        value = struct.unpack_from("<i", raw, IFNAMSIZ)[0]
        if cmd == SIOCSIFFLAGS:
            dev.set_up(net, bool(value & IFF_UP))
        elif value < 0:
            raise KernelError(Errno.EINVAL)             # lo has no MTU bounds beyond that
        else:
            dev.mtu = value
        return 0
    _put_ifru(task, arg, raw, _ifru_value(dev, cmd))
    return 0


def _ifru_value(dev, cmd: int) -> bytes:
    if cmd == SIOCGIFFLAGS:
        return struct.pack("<H", dev.get_flags() & 0xFFFF)
    if cmd == SIOCGIFINDEX:
        return struct.pack("<i", dev.ifindex)
    if cmd == SIOCGIFMTU:
        return struct.pack("<i", dev.mtu)
    if cmd == SIOCGIFMETRIC:
        return struct.pack("<i", 0)
    if cmd == SIOCGIFTXQLEN:
        return struct.pack("<i", 1000)
    if cmd == SIOCGIFHWADDR:
        return struct.pack("<H", ARPHRD_LOOPBACK) + bytes(6)
    if not dev.up:
        raise KernelError(Errno.EADDRNOTAVAIL)          # lo has its address while up
    if cmd == SIOCGIFADDR:
        return _sockaddr_in(bytes((127, 0, 0, 1)))
    if cmd == SIOCGIFNETMASK:
        return _sockaddr_in(bytes((255, 0, 0, 0)))
    return _sockaddr_in(bytes(4))                        # SIOCGIFBRDADDR: none on lo


_HANDLED = {SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCSIFMTU, SIOCGIFINDEX, SIOCGIFMTU, SIOCGIFMETRIC,
            SIOCGIFTXQLEN, SIOCGIFHWADDR, *_INET_ONLY}
