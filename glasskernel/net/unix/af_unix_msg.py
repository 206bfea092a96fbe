"""AF_UNIX data: sendmsg, recvmsg, poll and ioctl (net/unix/af_unix.c, second half).

Stream sockets cut a write into skbs of at most half the send buffer and queue them on
the peer; a reader takes bytes across skbs (never gluing messages whose credentials
differ when SO_PASSCRED is on). Datagram and seqpacket sockets queue one skb per message
and deliver it whole or truncated (MSG_TRUNC). A sender blocks while its own bytes in
flight reach SO_SNDBUF (sock_alloc_send_pskb), and a datagram sender also while an
unconnected receiver holds more than max_dgram_qlen messages.

In the syscall hook (read/write of a socket) a call that must sleep raises
SlowPathRequired before it has changed anything: the receive paths sleep only when they
have taken nothing, and a stream write first checks that all of it fits.
"""
from glasskernel.fs.select import poll_wait
from glasskernel.kernel.sched.wait import SlowPathRequired
from glasskernel.mm.uaccess import put_user_i32
from glasskernel.net.core.scm import scm_recv, scm_send
from glasskernel.net.core.sock import (RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK,
                                       SOCK_SEQPACKET, SOCK_STREAM, TCP_CLOSE,
                                       TCP_ESTABLISHED, TCP_LISTEN, skb_truesize)
from glasskernel.net.unix.af_unix import (sk_wait, unix_autobind, unix_dgram_disconnected,
                                          unix_find_other, unix_validate_addr)
from glasskernel.net.unix.scm import (SKB_MAX_ALLOC, SKB_MAX_HEAD, kfree_skb,
                                      maybe_add_creds, sock_alloc_skb, unix_detach_fds,
                                      unix_scm_to_skb)
from glasskernel.uapi.errno import Errno, KernelError

MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT = 0x1, 0x2, 0x20, 0x40
MSG_WAITALL, MSG_NOSIGNAL = 0x100, 0x4000
SIGPIPE = 13
PAGE_SIZE = 4096
UNIX_SKB_FRAGS_SZ = 32768
POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP = 0x1, 0x2, 0x4, 0x8, 0x10
POLLRDNORM, POLLWRNORM, POLLWRBAND, POLLRDHUP = 0x40, 0x100, 0x200, 0x2000
SIOCOUTQ, SIOCINQ = 0x5411, 0x541B


def _page_align(n: int) -> int:
    return (n + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)


def _sndtimeo(sk, flags: int):
    return 0 if flags & MSG_DONTWAIT else sk.sndtimeo


def _rcvtimeo(sk, flags: int):
    return 0 if flags & MSG_DONTWAIT else sk.rcvtimeo


def _must_sleep(sk, timeo) -> None:
    """In the hook, a sleep means the slow path (the caller changed nothing yet)."""
    if timeo != 0 and sk.kernel.in_fast_syscall:
        raise SlowPathRequired()


def sock_wait_for_wmem(task, sk, timeo) -> None:
    """sock_alloc_send_pskb's loop: the pending error, EPIPE after SHUT_WR, then wait
    while the bytes in flight reach sndbuf."""
    while True:
        err = sk.sock_error()
        if err:
            raise KernelError(err)
        if sk.shutdown & SEND_SHUTDOWN:
            raise KernelError(Errno.EPIPE)
        if sk.wmem_alloc < sk.sndbuf:
            return
        _must_sleep(sk, timeo)
        sk_wait(task, sk.wait, lambda: sk.wmem_alloc < sk.sndbuf or sk.err or
                sk.shutdown & SEND_SHUTDOWN, timeo)


# --- sending --------------------------------------------------------------------------------
def _stream_chunk(sk, remaining: int) -> tuple:
    """(size, data_len) of the next skb of a stream write."""
    size = min(remaining, (sk.sndbuf >> 1) - 64, SKB_MAX_HEAD + UNIX_SKB_FRAGS_SZ)
    data_len = min(size, _page_align(max(0, size - SKB_MAX_HEAD)))
    return size, data_len


def _stream_fits(sk, total: int) -> bool:
    """Would a stream write of total bytes go out without waiting for send space?"""
    wmem = sk.wmem_alloc
    while total > 0:
        if wmem >= sk.sndbuf:
            return False
        size, data_len = _stream_chunk(sk, total)
        wmem += skb_truesize(size - data_len, data_len)
        total -= size
    return True


def unix_stream_sendmsg(task, sock, msg) -> int:
    sk = sock.sk
    scm = scm_send(task, msg.control, False)
    try:
        return _stream_send(task, sock, sk, msg, scm)
    finally:
        scm.destroy()


def _stream_send(task, sock, sk, msg, scm) -> int:
    if msg.flags & MSG_OOB:
        raise KernelError(Errno.EOPNOTSUPP)
    if msg.name is not None:
        raise KernelError(Errno.EISCONN if sk.state == TCP_ESTABLISHED else Errno.EOPNOTSUPP)
    other = sk.peer
    if other is None:
        raise KernelError(Errno.ENOTCONN)
    if sk.shutdown & SEND_SHUTDOWN:
        return _pipe_err(task, sk, msg, 0)
    timeo = _sndtimeo(sk, msg.flags)
    if timeo != 0 and sk.kernel.in_fast_syscall and not _stream_fits(sk, msg.len):
        raise SlowPathRequired()
    sent, fds_sent = 0, False
    while sent < msg.len:
        size, data_len = _stream_chunk(sk, msg.len - sent)
        try:
            sock_wait_for_wmem(task, sk, timeo)
            skb = sock_alloc_skb(sk, msg.copy_from_iter(size), size - data_len, data_len)
        except KernelError:
            if sent:
                return sent
            raise
        try:
            unix_scm_to_skb(task, scm, skb, not fds_sent)
        except KernelError:
            kfree_skb(skb)
            if sent:
                return sent
            raise
        fds_sent = True
        if other.dead or other.shutdown & RCV_SHUTDOWN:
            kfree_skb(skb)
            return _pipe_err(task, sk, msg, sent)
        maybe_add_creds(task, skb, sock, other)
        other.receive_queue.append(skb)
        other.state_change()
        sent += size
    return sent


def _pipe_err(task, sk, msg, sent: int) -> int:
    """EPIPE, with SIGPIPE unless MSG_NOSIGNAL, when nothing was sent yet."""
    if sent == 0 and not msg.flags & MSG_NOSIGNAL:
        from glasskernel.kernel.signal import send_signal
        send_signal(task, SIGPIPE)
    if sent:
        return sent
    raise KernelError(Errno.EPIPE)


def unix_seqpacket_sendmsg(task, sock, msg) -> int:
    sk = sock.sk
    err = sk.sock_error()
    if err:
        raise KernelError(err)
    if sk.state != TCP_ESTABLISHED:
        raise KernelError(Errno.ENOTCONN)
    msg.name = None
    return unix_dgram_sendmsg(task, sock, msg)


def unix_dgram_sendmsg(task, sock, msg) -> int:
    sk = sock.sk
    scm = scm_send(task, msg.control, False)
    skb = None
    try:
        skb = _dgram_prepare(task, sock, sk, msg, scm)
        _dgram_deliver(task, sock, sk, msg, skb)
        skb = None                         # queued: the receiver owns it now
        return msg.len
    finally:
        if skb is not None:
            kfree_skb(skb)
        scm.destroy()


def _dgram_prepare(task, sock, sk, msg, scm):
    """Checks, autobind, then the skb with the data and files (may wait for space)."""
    if msg.flags & MSG_OOB:
        raise KernelError(Errno.EOPNOTSUPP)
    if msg.name is not None:
        unix_validate_addr(msg.name)
    elif sk.peer is None:
        raise KernelError(Errno.ENOTCONN)
    if sock.passcred and sk.addr is None:
        unix_autobind(task, sk)
    if msg.len > sk.sndbuf - 32:
        raise KernelError(Errno.EMSGSIZE)
    data_len = _page_align(min(msg.len - SKB_MAX_ALLOC, 17 * PAGE_SIZE)) \
        if msg.len > SKB_MAX_ALLOC else 0
    sock_wait_for_wmem(task, sk, _sndtimeo(sk, msg.flags))
    skb = sock_alloc_skb(sk, b"", msg.len - data_len, data_len)
    try:
        unix_scm_to_skb(task, scm, skb, True)
        skb.data = msg.copy_from_iter(msg.len)
    except BaseException:
        kfree_skb(skb)
        raise
    return skb


def _dgram_deliver(task, sock, sk, msg, skb) -> None:
    """Find the receiver and queue the message (unix_dgram_sendmsg's restart loop)."""
    timeo = _sndtimeo(sk, msg.flags)
    other = sk.peer if msg.name is None else None
    while True:
        if other is None:
            if msg.name is None:
                raise KernelError(Errno.ECONNRESET)
            other = unix_find_other(task, msg.name, sk.type)
        if other.peer is not None and other.peer is not sk:
            raise KernelError(Errno.EPERM)             # unix_may_send
        if other.dead:
            if sk.type == SOCK_SEQPACKET:
                raise KernelError(Errno.EPIPE)
            if sk.peer is other:
                sk.peer = None
                sk.state = TCP_CLOSE
                unix_dgram_disconnected(sk, other)
                raise KernelError(Errno.ECONNREFUSED)
            other = None
            continue
        if other.shutdown & RCV_SHUTDOWN:
            raise KernelError(Errno.EPIPE)
        if other is not sk and other.peer is not sk and other.recvq_full():
            _must_sleep(sk, timeo)
            target = other
            sk_wait(task, target.peer_wait, lambda: target.dead or not target.recvq_full()
                    or target.shutdown & RCV_SHUTDOWN, timeo)
            continue
        maybe_add_creds(task, skb, sock, other)
        other.receive_queue.append(skb)
        other.state_change()
        return


# --- receiving ------------------------------------------------------------------------------
def unix_copy_addr(msg, sender) -> None:
    if msg.want_name and sender is not None and sender.addr is not None:
        msg.name = sender.addr


def _queued_beyond(sk, skip: int) -> bool:
    return sum(len(skb) for skb in sk.receive_queue) > skip


def unix_stream_recvmsg(task, sock, msg, size: int, flags: int) -> int:
    """unix_stream_read_generic: bytes across skbs up to size; waits for the first
    (or for all of them with MSG_WAITALL)."""
    sk = sock.sk
    if sk.state != TCP_ESTABLISHED:
        raise KernelError(Errno.EINVAL)
    if flags & MSG_OOB:
        raise KernelError(Errno.EOPNOTSUPP)
    target = size if flags & MSG_WAITALL else min(sk.rcvlowat, size)
    target = max(target, 1)
    timeo = _rcvtimeo(sk, flags)
    if target > 1 and timeo != 0 and sk.kernel.in_fast_syscall:
        raise SlowPathRequired()                 # it may sleep after taking some bytes
    skip = sk.peek_offset(flags)
    state = _StreamRead(sock, msg, flags)
    err = 0
    while True:
        skb, offset = state.find(sk, skip)
        if skb is None:
            if state.copied >= target:
                break
            err = sk.sock_error()
            if err or sk.shutdown & RCV_SHUTDOWN:
                break
            if timeo == 0:
                err = Errno.EAGAIN
                break
            _must_sleep(sk, timeo)
            try:
                sk_wait(task, sk.wait, lambda s=skip: _queued_beyond(sk, s) or sk.err or
                        sk.shutdown & RCV_SHUTDOWN, timeo)
            except KernelError:
                if state.copied:
                    break
                state.scm.destroy()
                raise
            continue
        more, chunk = state.take(task, sk, skb, offset, size - state.copied)
        if flags & MSG_PEEK:
            skip += chunk                        # an offset from the head of the queue
        if not more or state.copied >= size:
            break
    scm_recv(task, sock, msg.ctl, state.scm, state.creds)
    if state.copied:
        return state.copied
    if state.fault:
        raise KernelError(Errno.EFAULT)
    if err:
        raise KernelError(err)
    return 0


class _StreamRead:
    """The state of one stream read: bytes copied, the credentials it carries, the
    files it took."""

    __slots__ = ("sock", "msg", "flags", "copied", "creds", "check_creds", "scm", "fault")

    def __init__(self, sock, msg, flags: int):
        from glasskernel.net.core.scm import ScmCookie
        self.sock, self.msg, self.flags = sock, msg, flags
        self.copied = 0
        self.creds = (None, None, None)
        self.check_creds = False
        self.scm = ScmCookie()
        self.fault = False

    def find(self, sk, skip: int):
        """The skb holding the byte at offset skip (PEEK with SO_PEEK_OFF), or None."""
        for skb in sk.receive_queue:
            if skip < len(skb):
                return skb, skip
            skip -= len(skb)
        return None, skip

    def take(self, task, sk, skb, skip: int, room: int):
        """Copy from one skb, from offset skip in it; (go on to the next skb?, bytes)."""
        creds = (skb.pid_links, skb.uid, skb.gid)
        if self.check_creds:
            if creds != self.creds:
                return False, 0                      # never glue different writers
        elif self.sock.passcred:
            self.creds, self.check_creds = creds, True
        unix_copy_addr(self.msg, skb.owner)
        chunk = min(len(skb) - skip, room)
        start = skb.consumed + skip
        try:
            self.msg.copy_to_iter(skb.data[start:start + chunk])
        except KernelError:
            self.fault = not self.copied
            return False, 0
        self.copied += chunk
        if not self.flags & MSG_PEEK:
            skb.consumed += chunk
            sk.peek_offset_bwd(chunk)
            if skb.fp:
                self.scm.fp = unix_detach_fds(skb)
            if len(skb):
                return False, chunk
            sk.receive_queue.remove(skb)
            kfree_skb(skb)
            return not self.scm.fp, chunk
        if skb.fp:
            self.scm.fp = [f.get() for f in skb.fp]
        sk.peek_offset_fwd(chunk)
        return not skb.fp, chunk


def unix_seqpacket_recvmsg(task, sock, msg, size: int, flags: int) -> int:
    if sock.sk.state != TCP_ESTABLISHED:
        raise KernelError(Errno.ENOTCONN)
    return unix_dgram_recvmsg(task, sock, msg, size, flags)


def _try_recv_datagram(sk, flags: int, skip: int):
    """__skb_try_recv_datagram: (skb, offset) or (None, errno or 0 for end of file)."""
    err = sk.sock_error()
    if err:
        return None, err
    for skb in sk.receive_queue:
        if flags & MSG_PEEK and skip >= len(skb.data) and (len(skb.data) or skip):
            skip -= len(skb.data)
            continue
        if not flags & MSG_PEEK:
            sk.receive_queue.remove(skb)
        return skb, skip
    return None, 0 if sk.shutdown & RCV_SHUTDOWN else Errno.EAGAIN


def _dgram_wait_ok(sk) -> bool:
    return bool(sk.receive_queue) or sk.err or sk.shutdown & RCV_SHUTDOWN or \
        sk.type == SOCK_SEQPACKET and sk.state not in (TCP_ESTABLISHED, TCP_LISTEN)


def unix_dgram_recvmsg(task, sock, msg, size: int, flags: int) -> int:
    """One message, cut to size (MSG_TRUNC set; with MSG_TRUNC asked, its full length)."""
    sk = sock.sk
    if flags & MSG_OOB:
        raise KernelError(Errno.EOPNOTSUPP)
    timeo = _rcvtimeo(sk, flags)
    while True:
        skb, skip = _try_recv_datagram(sk, flags, sk.peek_offset(flags))
        if skb is not None:
            break
        err = skip
        if err != Errno.EAGAIN or timeo == 0:
            if sk.type == SOCK_SEQPACKET and err == Errno.EAGAIN and sk.shutdown & RCV_SHUTDOWN:
                err = 0
            if err:
                raise KernelError(err)
            return 0
        if sk.type == SOCK_SEQPACKET and sk.state not in (TCP_ESTABLISHED, TCP_LISTEN):
            raise KernelError(Errno.ENOTCONN)
        _must_sleep(sk, timeo)
        sk_wait(task, sk.wait, lambda: _dgram_wait_ok(sk), timeo)
    return _dgram_deliver_to_user(task, sock, sk, msg, skb, skip, size, flags)


def _dgram_deliver_to_user(task, sock, sk, msg, skb, skip: int, size: int, flags: int) -> int:
    from glasskernel.net.core.scm import ScmCookie
    sk.peer_wait.wake_up(sk.kernel)
    unix_copy_addr(msg, skb.owner)
    avail = len(skb.data) - skip
    if size > avail:
        size = avail
    elif size < avail:
        msg.flags |= MSG_TRUNC
    peek = flags & MSG_PEEK
    try:
        msg.copy_to_iter(skb.data[skip:skip + size])
    except KernelError:
        if not peek:
            kfree_skb(skb)
        raise
    scm = ScmCookie()
    if not peek:
        if skb.fp:
            scm.fp = unix_detach_fds(skb)
        sk.peek_offset_bwd(len(skb.data))
    else:
        sk.peek_offset_fwd(size)
        if skb.fp:
            scm.fp = [f.get() for f in skb.fp]
    result = avail if flags & MSG_TRUNC else size
    scm_recv(task, sock, msg.ctl, scm, (skb.pid_links, skb.uid, skb.gid))
    if not peek:
        kfree_skb(skb)
    return result


# --- readiness and ioctl ------------------------------------------------------------------
def unix_poll(file, sock, pt) -> int:
    """unix_poll for stream sockets, unix_dgram_poll for the others."""
    sk = sock.sk
    poll_wait(file, sk.wait, pt)
    mask = 0
    if sk.err:
        mask |= POLLERR
    if sk.shutdown == SHUTDOWN_MASK:
        mask |= POLLHUP
    if sk.shutdown & RCV_SHUTDOWN:
        mask |= POLLRDHUP | POLLIN | POLLRDNORM
    if sk.receive_queue:
        mask |= POLLIN | POLLRDNORM
    if sk.type in (SOCK_STREAM, SOCK_SEQPACKET) and sk.state == TCP_CLOSE:
        mask |= POLLHUP                          # connection-based and not connected
    writable = sk.writable()
    if writable and sk.type != SOCK_STREAM:
        other = sk.peer
        if other is not None and other.peer is not sk and other.recvq_full():
            poll_wait(file, other.peer_wait, pt)      # unix_dgram_peer_wake_me
            writable = other.dead or not other.recvq_full()
    if writable:
        mask |= POLLOUT | POLLWRNORM | POLLWRBAND
    return mask


def unix_ioctl(sock, cmd: int, arg: int, task) -> int:
    """SIOCINQ (FIONREAD): bytes queued (a datagram socket: the first message);
    SIOCOUTQ: our bytes not yet read by the peer."""
    sk = sock.sk
    if cmd == SIOCOUTQ:
        put_user_i32(task, arg, sk.wmem_alloc)
        return 0
    if cmd == SIOCINQ:
        if sk.state == TCP_LISTEN:
            raise KernelError(Errno.EINVAL)
        if sk.type in (SOCK_STREAM, SOCK_SEQPACKET):
            amount = sum(len(skb) for skb in sk.receive_queue)
        else:
            amount = len(sk.receive_queue[0].data) if sk.receive_queue else 0
        put_user_i32(task, arg, amount)
        return 0
    raise KernelError(Errno.ENOTTY)
