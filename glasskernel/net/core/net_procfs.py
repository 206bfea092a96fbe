"""/proc/net of the reader's network namespace (net/core/net-procfs.c dev_seq_show,
net/ipv4/tcp_ipv4.c tcp4_seq_show, udp.c udp4_seq_show, net/ipv6's tcp6/udp6).

``dev`` has lo's counters, ``if_inet6`` its ::1; ``tcp``/``tcp6``/``udp``/``udp6`` list
the sockets of the port tables in Linux's columns (addresses as the hex of the network-order words, the
owner's uid, the socket inode). Timers, queues of unacked data and retransmits do not
exist on this loopback and read as zero. (Linux makes /proc/net a link to self/net;
here it is a directory showing the reader's namespace, which reads the same.)
"""
from glasskernel.fs.libfs import SimpleDir, SimpleFile
from glasskernel.net.core.net_namespace import sock_net_of

_DEV_HEADER = ("Inter-|   Receive                                                |  Transmit\n"
               " face |bytes    packets errs drop fifo frame compressed multicast|bytes    "
               "packets errs drop fifo colls carrier compressed\n")
_TCP_HEADER4 = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
                "retrnsmt   uid  timeout inode")
_TCP_HEADER6 = ("  sl  local_address                         remote_address                "
                "        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
TCP_ESTABLISHED, TCP_CLOSE, TCP_LISTEN = 1, 7, 10


def proc_net_dev(viewer) -> bytes:
    lines = [_DEV_HEADER]
    for d in sock_net_of(viewer).devices():
        lines.append("%6s:%8d %7d %4d %4d %4d %5d %10d %9d %8d %7d %4d %4d %4d %5d %7d %10d\n" % (
            d.name, d.rx_bytes, d.rx_packets, 0, 0, 0, 0, 0, 0,
            d.tx_bytes, d.tx_packets, 0, 0, 0, 0, 0, 0))
    return "".join(lines).encode()


def _hex_addr(addr: bytes, v6: bool) -> str:
    """The address words as the kernel prints them: each 32-bit word in host order."""
    words = addr if v6 else addr[12:]
    return "".join("%08X" % int.from_bytes(words[i:i + 4], "little")
                   for i in range(0, len(words), 4))


def _inode(sk) -> int:
    return sk.socket.dentry.ino if sk.socket is not None else 0


def _rows(net, tcp: bool, v6: bool) -> list:
    from glasskernel.net.ipv4.af_inet import AF_INET6
    table = net.tcp_ports if tcp else net.udp_ports
    seen = []
    for port in sorted(table):
        for sk in table[port]:
            if (sk.family == AF_INET6) == v6 and sk not in seen and not sk.dead:
                seen.append(sk)
    return seen


def _socket_table(viewer, tcp: bool, v6: bool) -> bytes:
    net = sock_net_of(viewer)
    zero = bytes(16)
    if tcp:
        header = _TCP_HEADER6 if v6 else _TCP_HEADER4.ljust(149) + "\n"
    elif v6:
        header = _TCP_HEADER6.rstrip("\n") + " ref pointer drops\n"
    else:
        header = (" " + _TCP_HEADER4 + " ref pointer drops").ljust(127) + "\n"
    lines = [header]
    for i, sk in enumerate(_rows(net, tcp, v6)):
        state = sk.state
        if not tcp:
            state = TCP_ESTABLISHED if sk.daddr is not None else TCP_CLOSE
        local = sk.saddr if sk.daddr is not None else sk.rcv_saddr
        remote = sk.daddr if sk.daddr is not None else zero
        rx = len(sk.rcv_buf) if tcp else sk.rcv_queued
        if tcp and state == TCP_LISTEN:
            rx = len(sk.accept_queue)
        line = "%4d: %s:%04X %s:%04X %02X %08X:%08X 00:00000000 00000000 %5d %8d %d " % (
            i, _hex_addr(local, v6), sk.num, _hex_addr(remote, v6), sk.dport, state,
            0, rx, sk.uid, 0, _inode(sk))
        if tcp:
            line += "1 0000000000000000 100 0 0 10 0"
        else:
            line = " " + line + "2 0000000000000000 0"
        lines.append((line if v6 else line.ljust(149 if tcp else 127)) + "\n")
    return "".join(lines).encode()


def proc_if_inet6(viewer) -> bytes:
    """if6_seq_show: lo's ::1 (index, prefix 128, host scope, permanent) while it is up."""
    dev = sock_net_of(viewer).loopback_dev
    if not dev.up:
        return b""
    return ("%s %02x %02x %02x %02x %8s\n" % ("0" * 31 + "1", dev.ifindex, 128, 0x10, 0x80,
                                            dev.name)).encode()


_FILES = {
    "if_inet6": proc_if_inet6,
    "dev": proc_net_dev,
    "tcp": lambda v: _socket_table(v, True, False),
    "tcp6": lambda v: _socket_table(v, True, True),
    "udp": lambda v: _socket_table(v, False, False),
    "udp6": lambda v: _socket_table(v, False, True),
}


class ProcNet(SimpleDir):
    """/proc/net: the files above."""

    def children(self, task) -> dict:
        from glasskernel.fs.proc.internal import viewer_of
        return {name: (lambda parent, name=name, render=render: SimpleFile(
            self.sb, name, parent, lambda t, render=render: render(viewer_of(t))))
            for name, render in _FILES.items()}


def proc_net_entry(sb):
    return lambda parent: ProcNet(sb, "net", parent)
