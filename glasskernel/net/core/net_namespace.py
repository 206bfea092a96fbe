"""Network namespaces (net/core/net_namespace.c, include/net/net_namespace.h).

A ``Net`` is struct net reduced to what a machine whose only interface is ``lo`` needs:
the loopback device (net/core/dev.c's loopback_dev), the TCP and UDP port tables
(inet_hashinfo and udp_table, keyed by port), and the per-namespace sysctls
(ip_local_port_range, ip_unprivileged_port_start, the ipv4 devconf of "all", "default"
and "lo"). The first namespace comes up with lo UP and 127.0.0.1/8, ::1/128 configured
(what the init scripts of any Linux system do); ``copy_net_ns`` (CLONE_NEWNET, from
kernel/nsproxy.py) makes a fresh one whose lo is DOWN, as Linux does. Each has its owning
user namespace and nsfs inode number (/proc/PID/ns/net, setns).
"""
from __future__ import annotations

from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.sched import CLONE_NEWNET

IFF_UP, IFF_BROADCAST, IFF_LOOPBACK, IFF_RUNNING = 0x1, 0x2, 0x8, 0x40
IFF_LOWER_UP = 0x10000
LOOPBACK_MTU = 65536
# IPV4_DEVCONF defaults (net/ipv4/devinet.c ipv4_devconf_dflt): the ones /proc shows
_DEVCONF_DEFAULTS = {
    "accept_local": 0, "accept_redirects": 1, "accept_source_route": 1, "arp_accept": 0,
    "arp_announce": 0, "arp_filter": 0, "arp_ignore": 0, "arp_notify": 0,
    "bootp_relay": 0, "disable_policy": 0, "disable_xfrm": 0, "forwarding": 0,
    "log_martians": 0, "mc_forwarding": 0, "medium_id": 0, "promote_secondaries": 0,
    "proxy_arp": 0, "route_localnet": 0, "rp_filter": 0, "secure_redirects": 1,
    "send_redirects": 1, "shared_media": 1, "src_valid_mark": 0, "tag": 0,
}


class NetDevice:
    """struct net_device for lo: name, index, flags, MTU and its counters."""

    __slots__ = ("name", "ifindex", "flags", "mtu", "rx_packets", "rx_bytes",
                 "tx_packets", "tx_bytes")

    def __init__(self, name: str, ifindex: int, flags: int):
        self.name, self.ifindex, self.flags = name, ifindex, flags
        self.mtu = LOOPBACK_MTU
        self.rx_packets = self.rx_bytes = self.tx_packets = self.tx_bytes = 0

    def set_up(self, net, up: bool) -> None:
        """dev_change_flags(IFF_UP): bringing lo up adds its local routes."""
        self.flags = (self.flags | IFF_UP) if up else (self.flags & ~IFF_UP)
        if up:
            net.fib_tables = True

    @property
    def up(self) -> bool:
        return bool(self.flags & IFF_UP)

    def get_flags(self) -> int:
        """dev_get_flags: RUNNING and LOWER_UP follow UP for a loopback."""
        flags = self.flags & ~(IFF_RUNNING | IFF_LOWER_UP)
        if self.up:
            flags |= IFF_RUNNING | IFF_LOWER_UP
        return flags

    def count(self, nbytes: int) -> None:
        """One packet through lo: sent and received by the same device."""
        self.tx_packets += 1
        self.rx_packets += 1
        self.tx_bytes += nbytes
        self.rx_bytes += nbytes


class Net:
    """struct net: the loopback device, port tables and sysctls of one namespace."""

    __slots__ = ("user_ns", "inum", "loopback_dev", "tcp_ports", "udp_ports",
                 "ip_local_port_range", "ip_unprivileged_port_start", "devconf", "nl_ports",
                 "fib_tables")

    def __init__(self, user_ns, inum: int, lo_up: bool = False):
        self.user_ns, self.inum = user_ns, inum
        self.loopback_dev = NetDevice("lo", 1, IFF_LOOPBACK | (IFF_UP if lo_up else 0))
        self.tcp_ports: dict[int, list] = {}
        self.udp_ports: dict[int, list] = {}
        self.ip_local_port_range = [32768, 60999]
        self.ip_unprivileged_port_start = 1024
        self.devconf = {name: dict(_DEVCONF_DEFAULTS) for name in ("all", "default", "lo")}
        self.nl_ports: dict[int, object] = {}      # netlink port ids bound
        # the IPv4 local routing table exists once lo has been up (fib_new_table);
        # before that every IPv4 address counts as bindable (inet_addr_type: no table)
        self.fib_tables = lo_up

    def dev_get_by_name(self, name: str):
        return self.loopback_dev if name == self.loopback_dev.name else None

    def dev_get_by_index(self, ifindex: int):
        return self.loopback_dev if ifindex == self.loopback_dev.ifindex else None

    def devices(self) -> list:
        return [self.loopback_dev]


def init_net(kernel) -> Net:
    """The run's first network namespace (lo up; numbered dynamically, as init_net is)."""
    net = kernel.init_net
    if net is None:
        from glasskernel.kernel.pid import ns_alloc_inum
        from glasskernel.kernel.user_namespace import init_user_ns
        net = kernel.init_net = Net(init_user_ns, ns_alloc_inum(), lo_up=True)
    return net


def copy_net_ns(flags: int, user_ns, old_net: Net) -> Net:
    """CLONE_NEWNET: a new namespace owned by user_ns, its own lo DOWN and default
    sysctls; otherwise old_net itself."""
    from glasskernel.kernel.pid import ns_alloc_inum
    if not flags & CLONE_NEWNET:
        return old_net
    return Net(user_ns, ns_alloc_inum())


def sock_net_of(task) -> Net:
    """The network namespace a task's new sockets live in (current->nsproxy->net_ns)."""
    net = getattr(task.nsproxy, "net_ns", None)
    return net if net is not None else init_net(task.kernel)


# --- /proc/sys/net (net/ipv4/sysctl_net_ipv4.c, devinet.c's devinet_sysctl) ---------------
def _reader_net(kernel) -> Net:
    return sock_net_of(kernel.current)


def _show_port_range(kernel) -> str:
    low, high = _reader_net(kernel).ip_local_port_range
    return f"{low}\t{high}"


def _store_port_range(kernel, text: str) -> None:
    """ipv4_local_port_range: two ports, low <= high, low not below 1 (EINVAL)."""
    words = text.split()
    try:
        low, high = int(words[0]), int(words[1])
    except (IndexError, ValueError):
        raise KernelError(Errno.EINVAL) from None
    net = _reader_net(kernel)
    # the range may not reach below the privileged ports
    if not 1 <= low <= high <= 65535 or low < net.ip_unprivileged_port_start:
        raise KernelError(Errno.EINVAL)
    net.ip_local_port_range = [low, high]


def _store_unpriv_port(kernel, text: str) -> None:
    """ipv4_privileged_ports: 0..65535, not above the local port range's start."""
    from glasskernel.fs.proc.proc_sysctl import parse_int
    net = _reader_net(kernel)
    value = parse_int(text, 0, 65535)
    if net.ip_local_port_range[0] < value:
        raise KernelError(Errno.EINVAL)
    net.ip_unprivileged_port_start = value


def _devconf_entry(dev: str, name: str):
    from glasskernel.fs.proc.proc_sysctl import CtlTable, parse_int

    def show(kernel):
        return str(_reader_net(kernel).devconf[dev][name])

    def store(kernel, text):
        _reader_net(kernel).devconf[dev][name] = parse_int(text, -2**31, 2**31 - 1)
    return CtlTable(name, 0o644, show, store)


def _conf_dirs(kernel) -> list:
    from glasskernel.fs.proc.proc_sysctl import CtlDir
    return [CtlDir(dev, lambda k, dev=dev: [_devconf_entry(dev, n) for n in _DEVCONF_DEFAULTS])
            for dev in _reader_net(kernel).devconf]


def net_sysctl_table(kernel) -> list:
    """/proc/sys/net as the reader's namespace has it."""
    from glasskernel.fs.proc.proc_sysctl import CtlDir, CtlTable
    ipv4 = [CtlDir("conf", _conf_dirs),
            CtlTable("ip_local_port_range", 0o644, _show_port_range, _store_port_range),
            CtlTable("ip_unprivileged_port_start", 0o644,
                     lambda k: str(_reader_net(k).ip_unprivileged_port_start),
                     _store_unpriv_port)]
    core = [CtlTable("somaxconn", 0o644, lambda k: "4096"),
            CtlTable("rmem_default", 0o644, lambda k: "212992"),
            CtlTable("rmem_max", 0o644, lambda k: "212992"),
            CtlTable("wmem_default", 0o644, lambda k: "212992"),
            CtlTable("wmem_max", 0o644, lambda k: "212992")]
    return [CtlDir("ipv4", lambda k: ipv4), CtlDir("core", lambda k: core)]
