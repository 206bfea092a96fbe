"""AF_UNIX sockets: names, connections and their end (net/unix/af_unix.c, first half).

A ``UnixSock`` is struct unix_sock. A name is either a path, bound by making an S_IFSOCK
inode through the guest's VFS and found again by that inode (the role of unix_bsd_hash:
``bsd_table``, keyed by (st_dev, st_ino)), or an abstract name (sun_path[0] == 0) in the
kernel's one network namespace (``abstract_table``, keyed by the name bytes and the socket
type, which Linux's hash includes). Connecting a stream or seqpacket socket makes the
server's end at once (an embryo queued on the listener until accept) so the client may
write before it is accepted, as in Linux. The data paths are in af_unix_msg.py.
"""
import collections
import os
import random

from glasskernel.kernel.sched.wait import WaitQueue, wait_event
from glasskernel.net.core.sock import (AF_UNIX, RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK,
                                       SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM,
                                       TCP_CLOSE, TCP_ESTABLISHED, TCP_LISTEN, PeerCred, Sock)
from glasskernel.net.unix.garbage import inflight_files, unix_gc
from glasskernel.net.unix.scm import kfree_skb, sock_alloc_skb
from glasskernel.uapi.errno import ERESTARTSYS, Errno, KernelError

SUN_PATH_OFFSET = 2                      # offsetof(struct sockaddr_un, sun_path)
SUN_PATH_MAX = 108
SYSCTL_MAX_DGRAM_QLEN = 10               # net.unix.max_dgram_qlen
AF_UNSPEC = 0
S_IFSOCK = 0o140000


class UnixSock(Sock):
    """struct unix_sock: the peer, the bound address, the receive queue."""

    def __init__(self, kernel, type_: int):
        super().__init__(kernel, type_)
        self.peer = None
        self.addr = None                  # the bound sockaddr_un, exactly addr->len bytes
        self.bsd_key = None               # (st_dev, st_ino) of the socket inode it is bound to
        self.receive_queue = collections.deque()
        self.peer_wait = WaitQueue("unix_peer_wait")
        self.max_ack_backlog = SYSCTL_MAX_DGRAM_QLEN
        self.listener = None

    def recvq_full(self) -> bool:
        """unix_recvq_full: more queued messages (or connect requests) than the backlog."""
        return len(self.receive_queue) > self.max_ack_backlog


def abstract_table(kernel) -> dict:
    return kernel.unix_abstract


def bsd_table(kernel) -> dict:
    return kernel.unix_bsd


def unix_create(kernel, type_: int, protocol: int) -> UnixSock:
    """unix_create: EPROTONOSUPPORT for a protocol, ESOCKTNOSUPPORT for a type."""
    if protocol and protocol != AF_UNIX:
        raise KernelError(Errno.EPROTONOSUPPORT)
    if type_ == SOCK_RAW:
        type_ = SOCK_DGRAM
    if type_ not in (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET):
        raise KernelError(Errno.ESOCKTNOSUPPORT)
    return UnixSock(kernel, type_)


def sk_wait(task, wq, condition, timeo) -> None:
    """Sleep on wq until condition(): EAGAIN if timeo is 0 or runs out; a signal gives
    ERESTARTSYS, or EINTR when a timeout was set (sock_intr_errno)."""
    if timeo == 0:
        raise KernelError(Errno.EAGAIN)
    try:
        done = wait_event(task, wq, condition, timeout_ns=timeo)
    except KernelError as err:
        if err.errno == ERESTARTSYS and timeo is not None:
            raise KernelError(Errno.EINTR) from None
        raise
    if not done:
        raise KernelError(Errno.EAGAIN)


# --- names ------------------------------------------------------------------------------
def unix_validate_addr(addr: bytes) -> None:
    """A name longer than the family and at most a sockaddr_un, of family AF_UNIX."""
    if len(addr) <= SUN_PATH_OFFSET or len(addr) > SUN_PATH_OFFSET + SUN_PATH_MAX:
        raise KernelError(Errno.EINVAL)
    if int.from_bytes(addr[:2], "little") != AF_UNIX:
        raise KernelError(Errno.EINVAL)


def bsd_path(addr: bytes) -> bytes:
    """unix_mkname_bsd: sun_path up to its first NUL (or its whole length)."""
    return addr[SUN_PATH_OFFSET:].split(b"\0", 1)[0]


def unix_find_bsd(task, addr: bytes, type_: int) -> UnixSock:
    """The socket bound to the path: looked up as the caller (write permission needed);
    ECONNREFUSED when it is no socket inode or nobody is bound; EPROTOTYPE for a type
    mismatch."""
    from glasskernel.fs.namei import MAY_WRITE, filename_lookup
    from glasskernel.uapi.fcntl import AT_FDCWD
    dentry = filename_lookup(task, AT_FDCWD, os.fsdecode(bsd_path(addr)), follow=True)
    dentry.permission(MAY_WRITE, task.cred)
    st = dentry.stat()
    if st.st_mode & 0o170000 != S_IFSOCK:
        raise KernelError(Errno.ECONNREFUSED)
    sk = bsd_table(task.kernel).get((st.st_dev, st.st_ino))
    if sk is None or sk.dead:
        raise KernelError(Errno.ECONNREFUSED)
    if sk.type != type_:
        raise KernelError(Errno.EPROTOTYPE)
    return sk


def unix_find_other(task, addr: bytes, type_: int) -> UnixSock:
    if addr[SUN_PATH_OFFSET]:
        return unix_find_bsd(task, addr, type_)
    sk = abstract_table(task.kernel).get((addr, type_))
    if sk is None or sk.dead:
        raise KernelError(Errno.ECONNREFUSED)
    return sk


def unix_autobind(task, sk: UnixSock) -> None:
    """Bind to a free abstract name of five hex digits (ENOSPC when all are taken)."""
    if sk.addr is not None:
        return
    table = abstract_table(task.kernel)
    start = random.getrandbits(20)
    for step in range(1, (1 << 20) + 1):
        num = (start + step) & 0xFFFFF
        addr = AF_UNIX.to_bytes(2, "little") + b"\0" + b"%05x" % num
        if (addr, sk.type) not in table:
            table[(addr, sk.type)] = sk
            sk.addr = addr
            return
    raise KernelError(Errno.ENOSPC)


def unix_bind(task, sk: UnixSock, addr: bytes) -> None:
    """unix_bind: autobind for a bare family, else a path or an abstract name."""
    if len(addr) == SUN_PATH_OFFSET and int.from_bytes(addr, "little") == AF_UNIX:
        return unix_autobind(task, sk)
    unix_validate_addr(addr)
    if addr[SUN_PATH_OFFSET]:
        return unix_bind_bsd(task, sk, addr)
    if sk.addr is not None:
        raise KernelError(Errno.EINVAL)
    table = abstract_table(task.kernel)
    if (addr, sk.type) in table:
        raise KernelError(Errno.EADDRINUSE)
    table[(addr, sk.type)] = sk
    sk.addr = addr
    return None


def unix_bind_bsd(task, sk: UnixSock, addr: bytes) -> None:
    """Make the socket inode (EADDRINUSE if the name exists), then bind to it; a socket
    bound already removes the inode it just made and fails with EINVAL."""
    from glasskernel.fs.namei import (LAST_NORM, MAY_EXEC, MAY_WRITE, filename_parentat,
                                      lookup_child)
    from glasskernel.uapi.fcntl import AT_FDCWD
    path = bsd_path(addr)
    addr = addr[:SUN_PATH_OFFSET] + path + b"\0"
    p = filename_parentat(task, AT_FDCWD, os.fsdecode(path))
    if p.last_type != LAST_NORM or lookup_child(task, p.dentry, p.last) is not None:
        raise KernelError(Errno.EADDRINUSE)
    if p.trailing_slash:
        raise KernelError(Errno.ENOENT)
    p.dentry.permission(MAY_WRITE | MAY_EXEC, task.cred)
    p.dentry.mknod(task, p.last, S_IFSOCK | (0o777 & ~task.fs.umask))
    child = lookup_child(task, p.dentry, p.last)
    if sk.addr is not None:
        p.dentry.unlink(task, child)
        raise KernelError(Errno.EINVAL)
    st = child.stat()
    sk.bsd_key = (st.st_dev, st.st_ino)
    bsd_table(task.kernel)[sk.bsd_key] = sk     # a reused inode number names the new one
    sk.addr = addr


def unix_unhash(sk: UnixSock) -> None:
    """Forget the socket's name (unix_remove_socket / unix_remove_bsd_socket)."""
    if sk.addr is None:
        return
    if sk.bsd_key is not None:
        table = bsd_table(sk.kernel)
        if table.get(sk.bsd_key) is sk:
            del table[sk.bsd_key]
    else:
        table = abstract_table(sk.kernel)
        if table.get((sk.addr, sk.type)) is sk:
            del table[(sk.addr, sk.type)]


def unix_getname(sk: UnixSock, peer: bool) -> bytes:
    """The socket's (or its peer's) address; just the family when unbound."""
    if peer:
        sk = sk.peer
        if sk is None:
            raise KernelError(Errno.ENOTCONN)
    return sk.addr if sk.addr is not None else AF_UNIX.to_bytes(2, "little")


# --- connections --------------------------------------------------------------------------
def unix_listen(task, sk: UnixSock, backlog: int) -> None:
    if sk.type not in (SOCK_STREAM, SOCK_SEQPACKET):
        raise KernelError(Errno.EOPNOTSUPP)
    if sk.addr is None or sk.state not in (TCP_CLOSE, TCP_LISTEN):
        raise KernelError(Errno.EINVAL)
    if backlog > sk.max_ack_backlog:
        sk.peer_wait.wake_up(sk.kernel)
    sk.max_ack_backlog = backlog
    sk.state = TCP_LISTEN
    sk.peer_cred = PeerCred(task)          # connect copies these to the client


def unix_socketpair(task, ska: UnixSock, skb: UnixSock) -> None:
    ska.peer, skb.peer = skb, ska
    ska.peer_cred = PeerCred(task)
    skb.peer_cred = PeerCred(task)
    ska.state = skb.state = TCP_ESTABLISHED


def unix_stream_connect(task, sock, addr: bytes, nonblock: bool) -> None:
    """Queue a new server-side socket on the listener and connect to it."""
    sk = sock.sk
    unix_validate_addr(addr)
    if sock.passcred and sk.addr is None:
        unix_autobind(task, sk)
    timeo = 0 if nonblock else sk.sndtimeo
    while True:
        other = unix_find_other(task, addr, sk.type)
        if other.state != TCP_LISTEN or other.shutdown & RCV_SHUTDOWN:
            raise KernelError(Errno.ECONNREFUSED)
        if not other.recvq_full():
            break
        sk_wait(task, other.peer_wait, lambda o=other: o.dead or
                o.shutdown & RCV_SHUTDOWN or not o.recvq_full(), timeo)
    if sk.state != TCP_CLOSE:
        raise KernelError(Errno.EISCONN if sk.state == TCP_ESTABLISHED else Errno.EINVAL)
    newsk = UnixSock(task.kernel, sk.type)
    request = sock_alloc_skb(newsk, b"", 1)
    newsk.peer = sk
    newsk.state = TCP_ESTABLISHED
    newsk.peer_cred = PeerCred(task)
    newsk.listener = other
    newsk.addr, newsk.bsd_key = other.addr, None      # reported, not hashed
    sk.peer_cred = other.peer_cred
    sk.state = TCP_ESTABLISHED
    sk.peer = newsk
    request.newsk = newsk
    other.receive_queue.append(request)
    other.state_change()


def unix_dgram_connect(task, sock, addr: bytes) -> None:
    """Set (or with AF_UNSPEC drop) the default destination; messages queued from an
    old peer are purged."""
    sk = sock.sk
    if len(addr) < 2:
        raise KernelError(Errno.EINVAL)
    other = None
    if int.from_bytes(addr[:2], "little") != AF_UNSPEC:
        unix_validate_addr(addr)
        if sock.passcred and sk.addr is None:
            unix_autobind(task, sk)
        other = unix_find_other(task, addr, sk.type)
        if other.peer is not None and other.peer is not sk:
            raise KernelError(Errno.EPERM)          # unix_may_send
        sk.state = other.state = TCP_ESTABLISHED
    old = sk.peer
    sk.peer = other
    if old is not None:
        if other is None:
            sk.state = TCP_CLOSE
        if other is not old:
            unix_dgram_disconnected(sk, old)
            if old.peer is None:
                old.state = TCP_CLOSE
        old.peer_wait.wake_up(old.kernel)


def unix_dgram_disconnected(sk: UnixSock, other: UnixSock) -> None:
    """Drop what the old peer sent; it gets ECONNRESET if it was connected to us."""
    if sk.receive_queue:
        unix_purge_queue(sk)
        sk.peer_wait.wake_up(sk.kernel)
        if not other.dead and other.peer is sk:
            other.err = Errno.ECONNRESET
            other.state_change()


def unix_accept(task, sock, nonblock: bool) -> UnixSock:
    """Take the oldest connection request (EINVAL unless listening)."""
    sk = sock.sk
    if sk.type not in (SOCK_STREAM, SOCK_SEQPACKET):
        raise KernelError(Errno.EOPNOTSUPP)
    if sk.state != TCP_LISTEN:
        raise KernelError(Errno.EINVAL)
    while not sk.receive_queue:
        if sk.err:
            raise KernelError(sk.sock_error())
        if sk.shutdown & RCV_SHUTDOWN:
            raise KernelError(Errno.EINVAL)
        sk_wait(task, sk.wait, lambda: bool(sk.receive_queue) or sk.err or
                sk.shutdown & RCV_SHUTDOWN, 0 if nonblock else sk.rcvtimeo)
    request = sk.receive_queue.popleft()
    newsk = request.newsk
    kfree_skb(request)
    sk.peer_wait.wake_up(sk.kernel)
    return newsk


def unix_shutdown(sk: UnixSock, how: int) -> None:
    """SHUT_RD/WR/RDWR; a connected stream or seqpacket peer sees the other half."""
    if how < 0 or how > 2:
        raise KernelError(Errno.EINVAL)
    mode = how + 1
    sk.shutdown |= mode
    other = sk.peer
    sk.state_change()
    if other is not None and sk.type in (SOCK_STREAM, SOCK_SEQPACKET):
        peer_mode = (SEND_SHUTDOWN if mode & RCV_SHUTDOWN else 0) | \
                    (RCV_SHUTDOWN if mode & SEND_SHUTDOWN else 0)
        other.shutdown |= peer_mode
        other.state_change()


def unix_purge_queue(sk: UnixSock) -> None:
    while sk.receive_queue:
        kfree_skb(sk.receive_queue.popleft())


def unix_release_sock(sk: UnixSock, embrion: bool) -> None:
    """The socket's last file is gone: unname it, hang up on the peer (ECONNRESET if we
    left data unread), free the queue (a listener's embryos too)."""
    unix_unhash(sk)
    sk.dead = True
    sk.shutdown = SHUTDOWN_MASK
    state, sk.state = sk.state, TCP_CLOSE
    skpair, sk.peer = sk.peer, None
    sk.peer_wait.wake_up(sk.kernel)
    sk.wait.wake_up(sk.kernel)
    if skpair is not None:
        if sk.type in (SOCK_STREAM, SOCK_SEQPACKET):
            skpair.shutdown = SHUTDOWN_MASK
            if sk.receive_queue or embrion:
                skpair.err = Errno.ECONNRESET
            skpair.state_change()
        skpair.peer_wait.wake_up(skpair.kernel)
    while sk.receive_queue:
        skb = sk.receive_queue.popleft()
        if state == TCP_LISTEN and skb.newsk is not None:
            unix_release_sock(skb.newsk, True)
        kfree_skb(skb)
    if inflight_files(sk.kernel):
        unix_gc(sk.kernel)                     # a cycle of sockets in flight may be left
