"""The protocol-independent half of a socket (net/core/sock.c, include/net/sock.h).

``Sock`` is struct sock reduced to what AF_UNIX uses: the state, the shutdown bits, the
pending error, the buffer sizes, the bytes of its own that are in flight (sk_wmem_alloc),
the peer's credentials, and the wait queue its file sleeps on (sk_sleep). The SOL_SOCKET
options are ``sock_setsockopt``/``sock_getsockopt`` with Linux's length and value rules.
"""
import struct

from glasskernel.kernel.capability import capable
from glasskernel.kernel.compat import in_compat_syscall
from glasskernel.uapi.capability import CAP_NET_ADMIN, CAP_NET_RAW
from glasskernel.kernel.sched.wait import WaitQueue
from glasskernel.mm.uaccess import copy_from_user, copy_to_user, get_user_i32, put_user_i32
from glasskernel.uapi.errno import Errno, KernelError

AF_UNIX = 1
SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET = 1, 2, 3, 5
TCP_ESTABLISHED, TCP_CLOSE, TCP_LISTEN = 1, 7, 10
RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK = 1, 2, 3

SOL_SOCKET = 1
(SO_DEBUG, SO_REUSEADDR, SO_TYPE, SO_ERROR, SO_DONTROUTE, SO_BROADCAST, SO_SNDBUF, SO_RCVBUF,
 SO_KEEPALIVE, SO_OOBINLINE, SO_NO_CHECK, SO_PRIORITY, SO_LINGER, SO_BSDCOMPAT, SO_REUSEPORT,
 SO_PASSCRED, SO_PEERCRED, SO_RCVLOWAT, SO_SNDLOWAT, SO_RCVTIMEO, SO_SNDTIMEO) = range(1, 22)
SO_ACCEPTCONN, SO_SNDBUFFORCE, SO_RCVBUFFORCE = 30, 32, 33
SO_PROTOCOL, SO_DOMAIN, SO_PEEK_OFF = 38, 39, 42
SO_BINDTODEVICE = 25
IFNAMSIZ = 16

# net.core.{w,r}mem_{default,max} and the floors of include/net/sock.h on x86-64
SYSCTL_WMEM_DEFAULT = SYSCTL_RMEM_DEFAULT = 212992
SYSCTL_WMEM_MAX = SYSCTL_RMEM_MAX = 212992
SKB_STRUCT = 256                         # SKB_DATA_ALIGN(sizeof(struct sk_buff))
SKB_SHINFO = 320                         # SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
SOCK_MIN_SNDBUF = 2 * (2048 + SKB_STRUCT)
SOCK_MIN_RCVBUF = 2048 + SKB_STRUCT
INT_MAX = 0x7FFFFFFF
MAX_SCHEDULE_TIMEOUT = None              # no timeout: wait for ever
HZ = 250                                 # CONFIG_HZ: socket timeouts are kept in jiffies
_UCRED = struct.Struct("<iII")
_TIMEVAL = struct.Struct("<qq")
_OLD_TIMEVAL32 = struct.Struct("<ii")          # a compat task's SO_RCVTIMEO/SO_SNDTIMEO
_LINGER = struct.Struct("<ii")


def kmalloc_size(size: int) -> int:
    """The slab a kmalloc of size bytes comes from (kmalloc_size_roundup)."""
    if size <= 96:
        return 96 if size > 64 else max(8, 1 << (size - 1).bit_length())
    if 128 < size <= 192:
        return 192
    return 1 << (size - 1).bit_length()


def skb_truesize(linear: int, data_len: int = 0) -> int:
    """What an skb with a linear part and page fragments charges its owner (truesize)."""
    return SKB_STRUCT + kmalloc_size(((linear + 63) & ~63) + SKB_SHINFO) + data_len


class PeerCred:
    """sk_peer_pid + sk_peer_cred: who the peer was when the connection was made."""

    __slots__ = ("pid_links", "uid", "gid", "euid", "egid")

    def __init__(self, task):
        from glasskernel.kernel.pid import _links_of
        self.pid_links = _links_of(task, True)        # task_tgid(current)
        cred = task.cred
        self.uid, self.gid, self.euid, self.egid = cred.uid, cred.gid, cred.euid, cred.egid


def pid_vnr(pid_links, viewer) -> int:
    """A struct pid's number as the viewer's pid namespace sees it (0: not visible)."""
    from glasskernel.kernel.pid import pid_nr_ns, task_active_pid_ns
    return pid_nr_ns(pid_links, task_active_pid_ns(viewer)) if pid_links else 0


class Sock:
    """struct sock: state, buffers and the queue its owners sleep on."""

    def __init__(self, kernel, type_: int):
        self.kernel = kernel
        self.type = type_
        self.state = TCP_CLOSE
        self.shutdown = 0
        self.err = 0
        self.dead = False                 # SOCK_DEAD: released by its last file
        self.sndbuf = SYSCTL_WMEM_DEFAULT
        self.rcvbuf = SYSCTL_RMEM_DEFAULT
        self.wmem_alloc = 0               # truesize of our skbs not yet freed
        self.rcvlowat = 1
        self.rcvtimeo = self.sndtimeo = MAX_SCHEDULE_TIMEOUT
        self.opts = {}                    # plain boolean/int options kept for getsockopt
        self.peek_off = -1                # SO_PEEK_OFF (-1: off)
        self.peer_cred = None
        self.wait = WaitQueue("sk_sleep")
        self.socket = None                # the SocketFile grafted onto it (None: embryo)

    def sock_error(self) -> int:
        """The pending error, cleared as it is read (sock_error)."""
        err, self.err = self.err, 0
        return err

    def state_change(self) -> None:
        """sk_state_change / sk_data_ready: wake whoever sleeps on or polls the socket."""
        self.wait.wake_up(self.kernel)

    def set_peek_off(self, val: int) -> int:
        self.peek_off = val
        return 0

    def peek_offset(self, flags: int) -> int:
        """sk_peek_offset: where a MSG_PEEK starts (0 unless SO_PEEK_OFF is on)."""
        return max(self.peek_off, 0) if flags & 2 and self.peek_off >= 0 else 0

    def peek_offset_bwd(self, n: int) -> None:
        if self.peek_off >= 0:
            self.peek_off = max(self.peek_off - n, 0)

    def peek_offset_fwd(self, n: int) -> None:
        if self.peek_off >= 0:
            self.peek_off += n

    def writable(self) -> bool:
        """unix_writable: not listening, and at most a quarter of sndbuf in flight."""
        return self.state != TCP_LISTEN and (self.wmem_alloc + 1) * 4 <= self.sndbuf


def sock_setsockopt(sock, sk: Sock, optname: int, task, optval: int, optlen: int) -> int:
    """SOL_SOCKET options: an int value (EINVAL if optlen < 4), ENOPROTOOPT if unknown."""
    if optname in (SO_RCVTIMEO, SO_SNDTIMEO):
        return _set_timeout(sk, optname, task, optval, optlen)
    if optname == SO_BINDTODEVICE:
        return sock_setbindtodevice(sk, task, optval, optlen)
    if optname == SO_LINGER:
        if optlen < _LINGER.size:
            raise KernelError(Errno.EINVAL)
        onoff, linger = _LINGER.unpack(copy_from_user(task, optval, _LINGER.size))
        sk.opts[SO_LINGER] = (1 if onoff else 0, linger)
        return 0
    if optlen < 4:
        raise KernelError(Errno.EINVAL)
    val = get_user_i32(task, optval)
    if optname in (SO_SNDBUF, SO_SNDBUFFORCE):
        val = min(val & 0xFFFFFFFF, SYSCTL_WMEM_MAX) if optname == SO_SNDBUF else max(val, 0)
        sk.sndbuf = max(min(val, INT_MAX // 2) * 2, SOCK_MIN_SNDBUF)
        if sk.writable():
            sk.wait.wake_up(sk.kernel)
    elif optname in (SO_RCVBUF, SO_RCVBUFFORCE):
        val = min(val & 0xFFFFFFFF, SYSCTL_RMEM_MAX) if optname == SO_RCVBUF else max(val, 0)
        sk.rcvbuf = max(min(val, INT_MAX // 2) * 2, SOCK_MIN_RCVBUF)
    elif optname == SO_PASSCRED:
        sock.passcred = bool(val)
    elif optname == SO_RCVLOWAT:
        sk.rcvlowat = max(val, 1) if val >= 0 else INT_MAX
    elif optname == SO_PEEK_OFF:
        return sk.set_peek_off(val)
    elif optname in (SO_DEBUG, SO_REUSEADDR, SO_DONTROUTE, SO_BROADCAST, SO_KEEPALIVE,
                     SO_OOBINLINE, SO_NO_CHECK, SO_BSDCOMPAT, SO_REUSEPORT):
        sk.opts[optname] = 1 if val else 0
    elif optname == SO_PRIORITY:
        if not 0 <= val <= 6 and not capable(task, CAP_NET_RAW) and \
                not capable(task, CAP_NET_ADMIN):
            raise KernelError(Errno.EPERM)
        sk.opts[optname] = val
    else:
        raise KernelError(Errno.ENOPROTOOPT)
    return 0


def sock_setbindtodevice(sk: Sock, task, optval: int, optlen: int) -> int:
    """SO_BINDTODEVICE: CAP_NET_RAW; an empty name unbinds, another must be a device of
    the namespace (ENODEV)."""
    from glasskernel.net.core.net_namespace import sock_net_of
    if optlen < 0:
        raise KernelError(Errno.EINVAL)
    if not capable(task, CAP_NET_RAW):
        raise KernelError(Errno.EPERM)
    optlen = min(optlen, IFNAMSIZ - 1)
    raw = copy_from_user(task, optval, optlen) if optlen else b""
    name = raw.split(b"\0", 1)[0].decode("latin-1")
    net = getattr(sk, "net", None) or sock_net_of(task)
    if name and net.dev_get_by_name(name) is None:
        raise KernelError(Errno.ENODEV)
    sk.opts[SO_BINDTODEVICE] = name
    return 0


def _set_timeout(sk: Sock, optname: int, task, optval: int, optlen: int) -> int:
    """sock_set_timeout: a struct timeval (an old_timeval32 from a compat task, as
    sock_copy_user_timeval reads it); {0, 0} means no timeout, a bad usec EDOM."""
    tv = _OLD_TIMEVAL32 if in_compat_syscall(task) else _TIMEVAL
    if optlen < tv.size:
        raise KernelError(Errno.EINVAL)
    sec, usec = tv.unpack(copy_from_user(task, optval, tv.size))
    if usec < 0 or usec >= 1000000:
        raise KernelError(Errno.EDOM)
    if sec < 0:
        value = 0                            # a negative timeout: do not wait at all
    elif sec == 0 and usec == 0:
        value = MAX_SCHEDULE_TIMEOUT
    else:                                    # kept in jiffies, rounded up
        value = (sec * HZ + -(-usec // (10**6 // HZ))) * (10**9 // HZ)
    if optname == SO_RCVTIMEO:
        sk.rcvtimeo = value
    else:
        sk.sndtimeo = value
    return 0


def _timeval(value) -> bytes:
    if value is None:
        return _TIMEVAL.pack(0, 0)
    return _TIMEVAL.pack(value // 10**9, (value % 10**9) // 1000)


def sock_getsockopt(sock, sk: Sock, optname: int, task, optval: int, optlen: int) -> int:
    """SOL_SOCKET values: copy at most the caller's length, then store the length used."""
    length = get_user_i32(task, optlen)
    if length < 0:
        raise KernelError(Errno.EINVAL)
    if optname == SO_PEERCRED:
        value = peercred_bytes(sk.peer_cred, task)
    elif optname in (SO_RCVTIMEO, SO_SNDTIMEO):
        value = _timeval(sk.rcvtimeo if optname == SO_RCVTIMEO else sk.sndtimeo)
        if in_compat_syscall(task):                  # sock_get_timeout's old_timeval32
            sec, usec = _TIMEVAL.unpack(value)
            value = struct.pack("<Ii", sec & 0xFFFFFFFF, usec)
    elif optname == SO_LINGER:
        value = _LINGER.pack(*sk.opts.get(SO_LINGER, (0, 0)))
    elif optname == SO_BINDTODEVICE:
        name = sk.opts.get(SO_BINDTODEVICE, "")
        value = (name.encode() + b"\0") if name else b""
        if length < len(value):
            raise KernelError(Errno.EINVAL)
    else:
        value = struct.pack("<i", _int_option(sock, sk, optname))
    length = min(length, len(value))
    copy_to_user(task, optval, value[:length])
    put_user_i32(task, optlen, length)
    return 0


def _int_option(sock, sk: Sock, optname: int) -> int:
    if optname == SO_TYPE:
        return sk.type
    if optname == SO_PROTOCOL:
        return getattr(sk, "protocol", 0)
    if optname == SO_DOMAIN:
        return getattr(sk, "family", AF_UNIX)
    if optname == SO_ERROR:
        return sk.sock_error()
    if optname == SO_SNDBUF:
        return sk.sndbuf
    if optname == SO_RCVBUF:
        return sk.rcvbuf
    if optname == SO_PASSCRED:
        return int(sock.passcred)
    if optname == SO_ACCEPTCONN:
        return int(sk.state == TCP_LISTEN)
    if optname == SO_RCVLOWAT:
        return sk.rcvlowat
    if optname == SO_SNDLOWAT:
        return 1
    if optname == SO_PEEK_OFF:
        return sk.peek_off
    if optname in (SO_DEBUG, SO_REUSEADDR, SO_DONTROUTE, SO_BROADCAST, SO_KEEPALIVE,
                   SO_OOBINLINE, SO_NO_CHECK, SO_BSDCOMPAT, SO_REUSEPORT, SO_PRIORITY):
        return sk.opts.get(optname, 0)
    raise KernelError(Errno.ENOPROTOOPT)


def peercred_bytes(cred, viewer) -> bytes:
    """cred_to_ucred: pid as the viewer sees it, the effective ids; -1 for no peer."""
    if cred is None:
        return _UCRED.pack(0, 0xFFFFFFFF, 0xFFFFFFFF)
    from glasskernel.kernel.user_namespace import cred_user_ns, from_kgid, from_kuid
    ns = cred_user_ns(viewer.cred)
    return _UCRED.pack(pid_vnr(cred.pid_links, viewer), from_kuid(ns, cred.euid) & 0xFFFFFFFF,
                       from_kgid(ns, cred.egid) & 0xFFFFFFFF)


class ProtoOps:
    """struct proto_ops: what a family does for each socket call on one socket type."""

    __slots__ = ("family", "bind", "connect", "listen", "accept", "getname", "shutdown",
                 "sendmsg", "recvmsg", "poll", "ioctl", "release", "setsockopt",
                 "getsockopt", "socketpair", "unread")

    def __init__(self, family: int, **ops):
        self.family = family
        for name in self.__slots__[1:]:
            setattr(self, name, ops.get(name))
