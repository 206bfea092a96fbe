"""TCP over the loopback (net/ipv4/tcp.c, tcp_input.c's FIN and RST handling).

A connection is two ``InetSock``s pointing at each other. A write copies bytes into the
peer's ``rcv_buf`` while the peer holds less than its receive buffer plus our send
buffer (the window a loopback connection has in flight), else waits. A close with unread
data, or SO_LINGER {1, 0}, resets the peer (ECONNRESET); otherwise the peer reads end of
file, and its next write to the closed end is answered by a reset (the write succeeds,
the one after is EPIPE with SIGPIPE), as on Linux.
"""
from glasskernel.fs.select import poll_wait
from glasskernel.kernel.sched.wait import SlowPathRequired
from glasskernel.mm.uaccess import put_user_i32
from glasskernel.net.core.sock import (RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, SOCK_STREAM,
                                       TCP_CLOSE, TCP_ESTABLISHED, TCP_LISTEN)
from glasskernel.net.ipv4 import inet_hashtables as ih
from glasskernel.net.ipv4.af_inet import (IPPROTO_TCP, SS_CONNECTED, SS_CONNECTING,
                                          TCP_CLOSE_WAIT, TCP_SYN_SENT, InetSock,
                                          inet_autobind, ip_route_connect)
from glasskernel.net.unix.af_unix import sk_wait
from glasskernel.uapi.errno import Errno, KernelError

MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT = 0x1, 0x2, 0x20, 0x40
MSG_WAITALL, MSG_ERRQUEUE, MSG_NOSIGNAL, MSG_MORE = 0x100, 0x2000, 0x4000, 0x8000
LOOPBACK_MSS = 65483
SIGPIPE = 13
POLLIN, POLLOUT, POLLERR, POLLHUP = 0x1, 0x4, 0x8, 0x10
POLLRDNORM, POLLWRNORM, POLLRDHUP = 0x40, 0x100, 0x2000
SIOCOUTQ, SIOCINQ, SIOCOUTQNSD, SIOCATMARK = 0x5411, 0x541B, 0x894B, 0x8905


def _timeo(sk, flags: int, send: bool):
    if flags & MSG_DONTWAIT:
        return 0
    return sk.sndtimeo if send else sk.rcvtimeo


def _must_sleep(sk, timeo) -> None:
    if timeo != 0 and sk.kernel.in_fast_syscall:
        raise SlowPathRequired()


# --- the connection -------------------------------------------------------------------------
def tcp_connect(task, sk: InetSock, daddr: bytes, dport: int, nonblock: bool) -> None:
    """tcp_v4_connect + the SYN's arrival: route, ephemeral port, then the listener makes
    our peer at once; nobody listening is ECONNREFUSED (later, for a nonblocking one)."""
    daddr, saddr = ip_route_connect(sk, daddr)
    inet_autobind(sk)
    while True:
        listener = ih.inet_lookup(sk.net, daddr, dport, True,
                                  lambda s: s.state == TCP_LISTEN and not s.dead)
        if listener is None or len(listener.accept_queue) <= listener.max_ack_backlog \
                or nonblock:
            break
        sk_wait(task, listener.peer_wait, lambda lis=listener: lis.dead or lis.state !=
                TCP_LISTEN or len(lis.accept_queue) <= lis.max_ack_backlog, sk.sndtimeo)
    if listener is None:
        _connect_failed(sk)
        if nonblock:
            sk.err, sk.ss_state = Errno.ECONNREFUSED, SS_CONNECTING
            raise KernelError(Errno.EINPROGRESS)
        raise KernelError(Errno.ECONNREFUSED)
    child = InetSock(sk.kernel, sk.net, listener.family, SOCK_STREAM, IPPROTO_TCP,
                     listener.uid)
    child.opts, child.ipopts = dict(listener.opts), dict(listener.ipopts)
    child.sndbuf, child.rcvbuf = listener.sndbuf, listener.rcvbuf
    child.rcv_saddr = child.saddr = daddr
    child.num = listener.num
    ih.ports_table(sk.net, True).setdefault(child.num, []).append(child)  # inherit_port
    child.daddr, child.dport = saddr, sk.num
    child.state = sk.state = TCP_ESTABLISHED
    child.peer, sk.peer = sk, child
    sk.saddr, sk.daddr, sk.dport = saddr, daddr, dport
    listener.accept_queue.append(child)
    listener.state_change()
    sk.state_change()
    child.ss_state = SS_CONNECTED
    if nonblock:
        sk.ss_state = SS_CONNECTING
        raise KernelError(Errno.EINPROGRESS)
    sk.ss_state = SS_CONNECTED


def _connect_failed(sk: InetSock) -> None:
    """The connection was refused: an autobound port and source are given back."""
    if not sk.bound_port:
        ih.inet_unhash(sk.net, sk, True)
        sk.num = 0
    sk.state = TCP_CLOSE


def tcp_reset(sk: InetSock) -> None:
    """A reset arrived: the error by state, then the connection is done (tcp_done)."""
    if sk.state == TCP_CLOSE:
        return
    if sk.state == TCP_SYN_SENT:
        sk.err = Errno.ECONNREFUSED
    elif sk.state == TCP_CLOSE_WAIT:
        sk.err = Errno.EPIPE
    else:
        sk.err = Errno.ECONNRESET
    sk.state = TCP_CLOSE
    sk.shutdown = SHUTDOWN_MASK
    sk.state_change()


def tcp_reset_peer(sk: InetSock) -> None:
    peer, sk.peer = sk.peer, None
    if peer is not None:
        tcp_reset(peer)


def tcp_fin(sk: InetSock) -> None:
    """The peer sent FIN: end of file after the queued bytes."""
    sk.shutdown |= RCV_SHUTDOWN
    sk.done = True
    if sk.state == TCP_ESTABLISHED:
        sk.state = TCP_CLOSE_WAIT
    sk.state_change()


def tcp_shutdown(sk: InetSock, mode: int) -> None:
    """SHUT_WR sends FIN to the peer."""
    if mode & SEND_SHUTDOWN and sk.peer is not None and not sk.peer.dead:
        tcp_flush(sk)
        tcp_fin(sk.peer)


def tcp_close(sk: InetSock, reset: bool) -> None:
    """tcp_close: reset the peer (unread data, linger 0) or say FIN."""
    peer = sk.peer
    if peer is None or peer.dead:
        return
    if reset:
        sk.peer = None
        tcp_reset(peer)
    elif not sk.shutdown & SEND_SHUTDOWN:
        tcp_flush(sk)
        tcp_fin(peer)
    peer.wait.wake_up(peer.kernel)


# --- data -----------------------------------------------------------------------------------
def _space(sk: InetSock) -> int:
    peer = sk.peer
    if peer is None or peer.dead:
        return 1 << 30
    return peer.rcvbuf + sk.sndbuf - len(peer.rcv_buf) - len(sk.corked)


def tcp_push(sk: InetSock, data: bytes, more: bool) -> None:
    """Queue bytes for the peer: corked (MSG_MORE, TCP_CORK) they wait for a full
    segment or the next uncorked send."""
    sk.corked += data
    if more and len(sk.corked) < LOOPBACK_MSS:
        return
    tcp_flush(sk)


def tcp_flush(sk: InetSock) -> None:
    """Send what a cork held back."""
    peer = sk.peer
    if not sk.corked or peer is None or peer.dead:
        return
    peer.rcv_buf += sk.corked
    sk.net.loopback_dev.count(len(sk.corked))
    sk.corked = bytearray()
    peer.state_change()


def _stream_error(task, sk, msg, err: int, sent: int) -> int:
    """sk_stream_error: the pending error replaces EPIPE; EPIPE raises SIGPIPE."""
    if sent:
        return sent
    if err == Errno.EPIPE:
        err = sk.sock_error() or Errno.EPIPE
    if err == Errno.EPIPE and not msg.flags & MSG_NOSIGNAL:
        from glasskernel.kernel.signal import send_signal
        send_signal(task, SIGPIPE)
    raise KernelError(err)


def tcp_sendmsg(task, sock, msg) -> int:
    sk = sock.sk
    timeo = _timeo(sk, msg.flags, True)
    if timeo != 0 and sk.kernel.in_fast_syscall and msg.len > _space(sk):
        raise SlowPathRequired()
    sent = 0
    while True:
        if sk.state not in (TCP_ESTABLISHED, TCP_CLOSE_WAIT):
            if sk.err:
                return _stream_error(task, sk, msg, sk.sock_error(), sent)
            return _stream_error(task, sk, msg, Errno.EPIPE, sent)
        if sk.err or sk.shutdown & SEND_SHUTDOWN:
            return _stream_error(task, sk, msg, Errno.EPIPE, sent)
        peer = sk.peer
        if peer is None or peer.dead:
            msg.copy_from_iter(msg.len - sent)      # the bytes go, a reset comes back
            tcp_reset(sk)
            return msg.len
        if sent >= msg.len and msg.len:
            return sent
        room = _space(sk)
        if room <= 0:
            if timeo == 0:
                if sent:
                    return sent
                raise KernelError(Errno.EAGAIN)
            try:
                sk_wait(task, sk.wait, lambda: _space(sk) > 0 or sk.err or sk.shutdown &
                        SEND_SHUTDOWN or sk.peer is None or sk.peer.dead, timeo)
            except KernelError:
                if sent:
                    return sent
                raise
            continue
        chunk = min(room, msg.len - sent)
        try:
            data = msg.copy_from_iter(chunk)
        except KernelError:
            if sent:
                return sent
            raise
        sent += chunk
        tcp_push(sk, data, bool(msg.flags & MSG_MORE or sk.ipopts.get((6, 3))))
        if sent >= msg.len:
            return sent


def tcp_recvmsg(task, sock, msg, size: int, flags: int) -> int:
    """tcp_recvmsg_locked: bytes up to size; waits for the first (or, MSG_WAITALL, for
    all); 0 at end of file; ENOTCONN on a never-connected socket or a listener."""
    sk = sock.sk
    if flags & MSG_ERRQUEUE:
        raise KernelError(Errno.EAGAIN)          # ip_recv_error: nothing is ever queued
    if sk.state == TCP_LISTEN:
        raise KernelError(Errno.ENOTCONN)
    if flags & MSG_OOB:
        raise KernelError(Errno.EINVAL)
    timeo = _timeo(sk, flags, False)
    target = max(size if flags & MSG_WAITALL else min(sk.rcvlowat, size), 1)
    if target > 1 and timeo != 0 and sk.kernel.in_fast_syscall and len(sk.rcv_buf) < target:
        raise SlowPathRequired()
    copied = 0
    while copied < size:
        avail = len(sk.rcv_buf) - (copied if flags & MSG_PEEK else 0)
        if avail > 0:
            n = min(avail, size - copied)
            start = copied if flags & MSG_PEEK else 0
            if not flags & MSG_TRUNC:
                msg.copy_to_iter(bytes(sk.rcv_buf[start:start + n]))
            if not flags & MSG_PEEK:
                del sk.rcv_buf[:n]
                if sk.peer is not None:
                    sk.peer.state_change()          # room for the writer
            copied += n
            continue
        if copied >= target:
            break
        if copied:
            if sk.err or sk.shutdown & RCV_SHUTDOWN or sk.state == TCP_CLOSE:
                break
        else:
            if sk.done:
                break
            if sk.err:
                raise KernelError(sk.sock_error())
            if sk.shutdown & RCV_SHUTDOWN:
                break
            if sk.state == TCP_CLOSE:
                raise KernelError(Errno.ENOTCONN)
        if timeo == 0:
            if copied:
                break
            raise KernelError(Errno.EAGAIN)
        _must_sleep(sk, timeo)
        have = copied if flags & MSG_PEEK else 0
        try:
            sk_wait(task, sk.wait, lambda: len(sk.rcv_buf) > have or sk.err or
                    sk.shutdown & RCV_SHUTDOWN or sk.state == TCP_CLOSE, timeo)
        except KernelError:
            if copied:
                break
            raise
    return copied


def tcp_poll(file, sock, pt) -> int:
    sk = sock.sk
    poll_wait(file, sk.wait, pt)
    if sk.state == TCP_LISTEN:
        return POLLIN | POLLRDNORM if sk.accept_queue else 0
    mask = 0
    if sk.shutdown == SHUTDOWN_MASK or sk.state == TCP_CLOSE:
        mask |= POLLHUP
    if sk.shutdown & RCV_SHUTDOWN:
        mask |= POLLIN | POLLRDNORM | POLLRDHUP
    if sk.rcv_buf and len(sk.rcv_buf) >= min(sk.rcvlowat, 1 << 30):
        mask |= POLLIN | POLLRDNORM
    if sk.shutdown & SEND_SHUTDOWN or _space(sk) > 0:
        mask |= POLLOUT | POLLWRNORM
    if sk.err:
        mask |= POLLERR
    return mask


def tcp_ioctl(sock, cmd: int, arg: int, task) -> int:
    """SIOCINQ: bytes to read; SIOCOUTQ/SIOCOUTQNSD: nothing waits for an ack on lo;
    SIOCATMARK: never at an urgent mark (no urgent data is kept)."""
    sk = sock.sk
    if cmd == SIOCATMARK:
        put_user_i32(task, arg, 0)
        return 0
    if cmd in (SIOCINQ, SIOCOUTQ, SIOCOUTQNSD):
        if sk.state == TCP_LISTEN:
            raise KernelError(Errno.EINVAL)
        put_user_i32(task, arg, len(sk.rcv_buf) if cmd == SIOCINQ else 0)
        return 0
    from glasskernel.net.core.dev_ioctl import dev_ioctl
    return dev_ioctl(sk.net, cmd, arg, task)
