"""The socket system calls and socket files (net/socket.c).

A socket descriptor is a ``SocketFile`` (struct socket and its struct file in one: the
type, the SOCK_PASSCRED flag, the sock) on an inode of its own, "socket:[INO]" in
/proc/PID/fd, S_IFSOCK to fstat. AF_UNIX, AF_INET and AF_INET6 are registered (each socket calls its
family's ``ProtoOps``); every other
family is EAFNOSUPPORT as on a kernel built without it. A descriptor that is open but not
a socket is ENOTSOCK (``sockfd_lookup_light``); bash asks getpeername(0) at start-up.
read/write on a socket are recvmsg/sendmsg without flags (sock_read_iter/write_iter).
The msghdr calls are in socket_msg.py.
"""
import time

from glasskernel.fs import inode_numbers
from glasskernel.arch.x86.entry.args import int_arg, uint_arg
from glasskernel.fs.dcache import Dentry
from glasskernel.fs.file_table import File
from glasskernel.fs.kstat import StatResult
from glasskernel.mm.uaccess import (USER_HALF_END, copy_from_user, copy_to_user, get_user_i32,
                                    put_user_i32)
from glasskernel.net.core import sock as core_sock
from glasskernel.net.ipv4 import af_inet
from glasskernel.net.ipv4.af_inet import AF_INET, AF_INET6
AF_NETLINK = 16
from glasskernel.net.ipv6 import af_inet6
from glasskernel.net.unix import af_unix, af_unix_msg
from glasskernel.net.unix.scm import Skb
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_CLOEXEC, O_NONBLOCK, O_PATH, O_RDWR

SOCK_CLOEXEC = O_CLOEXEC
SOCK_NONBLOCK = O_NONBLOCK
SOCK_TYPE_MASK = 0xF
SOCK_MAX = 11                 # SOCK_PACKET + 1
NPROTO = 46                   # AF_MAX in Linux 6.1
MAX_SOCK_ADDR = 128           # sizeof(struct sockaddr_storage)
SOMAXCONN = 4096              # net.core.somaxconn
MAX_RW_COUNT = 0x7FFFF000
MSG_DONTWAIT, MSG_EOR = 0x40, 0x80
SOCKFS_DEV = 0x8              # st_dev of sockfs, a small anonymous device
_S_IFSOCK = 0o140000
inode_numbers.register("sockfs", 200000)


class SocketDentry(Dentry):
    """The sockfs inode: its name is what /proc/PID/fd/N reads."""

    def __init__(self, uid: int, gid: int):
        self.ino = inode_numbers.next_ino("sockfs")
        name = f"socket:[{self.ino}]"
        super().__init__(name, None, name)
        self.uid, self.gid = uid, gid
        self.ctime = divmod(time.time_ns(), 10**9)

    def stat(self):
        t = self.ctime
        return StatResult(SOCKFS_DEV, self.ino, _S_IFSOCK | 0o777, 1, self.uid, self.gid,
                          0, 0, 4096, 0, t, t, t)


class SendMsg:
    """The kernel's struct msghdr for a send: destination, flags, control, data."""

    __slots__ = ("task", "name", "flags", "control", "iovs", "buf", "len", "pos")

    def __init__(self, task, flags: int, name=None, control=b"", iovs=None, buf=None):
        self.task, self.flags, self.name, self.control = task, flags, name, control
        self.iovs, self.buf = iovs, buf
        self.len = len(buf) if buf is not None else sum(n for _b, n in iovs)
        self.pos = 0

    def copy_from_iter(self, n: int) -> bytes:
        """The next n bytes of the user's data (EFAULT if they cannot be read)."""
        start, self.pos = self.pos, self.pos + n
        if self.buf is not None:
            return bytes(self.buf[start:start + n])
        out, off = [], 0
        for base, length in self.iovs:
            lo, hi = max(start, off), min(start + n, off + length)
            if lo < hi:
                out.append(copy_from_user(self.task, base + lo - off, hi - lo))
            off += length
        return b"".join(out)


class RecvMsg:
    """The kernel's struct msghdr for a receive: where data, name and control go."""

    __slots__ = ("task", "iovs", "buf", "pos", "want_name", "name", "flags", "ctl")

    def __init__(self, task, iovs=None, want_name=False, ctl=None, flags: int = 0):
        self.task, self.iovs = task, iovs
        self.buf = bytearray() if iovs is None else None
        self.pos = 0
        self.want_name, self.name = want_name, None
        self.ctl = ctl
        self.flags = flags

    def copy_to_iter(self, data: bytes) -> None:
        """Append data to the user's buffers (EFAULT if they cannot be written)."""
        if self.buf is not None:
            self.buf += data
            return
        start, off, done = self.pos, 0, 0
        for base, length in self.iovs:
            lo = max(start, off)
            hi = min(start + len(data), off + length)
            if lo < hi:
                copy_to_user(self.task, base + lo - off, data[done:done + hi - lo])
                done += hi - lo
            off += length
        self.pos += len(data)


def _unix_unread(sock, data: bytes) -> None:
    if sock.type == core_sock.SOCK_STREAM and data:
        sock.sk.receive_queue.appendleft(Skb(None, data, 0))


def _unix_ops(sendmsg, recvmsg, connect) -> core_sock.ProtoOps:
    """unix_stream_ops / unix_dgram_ops / unix_seqpacket_ops."""
    return core_sock.ProtoOps(
        core_sock.AF_UNIX, bind=lambda task, sock, addr: af_unix.unix_bind(task, sock.sk, addr),
        connect=connect, listen=lambda task, sock, backlog: af_unix.unix_listen(task, sock.sk,
                                                                                 backlog),
        accept=af_unix.unix_accept, getname=lambda sock, peer: af_unix.unix_getname(sock.sk, peer),
        shutdown=lambda sock, how: af_unix.unix_shutdown(sock.sk, how),
        sendmsg=sendmsg, recvmsg=recvmsg, poll=af_unix_msg.unix_poll,
        ioctl=af_unix_msg.unix_ioctl, release=lambda sk: af_unix.unix_release_sock(sk, False),
        setsockopt=None, getsockopt=None, socketpair=af_unix.unix_socketpair,
        unread=_unix_unread)


def _unix_dgram_connect(task, sock, addr, nonblock):
    af_unix.unix_dgram_connect(task, sock, addr)


UNIX_OPS = {
    core_sock.SOCK_STREAM: _unix_ops(af_unix_msg.unix_stream_sendmsg,
                                     af_unix_msg.unix_stream_recvmsg,
                                     af_unix.unix_stream_connect),
    core_sock.SOCK_DGRAM: _unix_ops(af_unix_msg.unix_dgram_sendmsg,
                                    af_unix_msg.unix_dgram_recvmsg, _unix_dgram_connect),
    core_sock.SOCK_SEQPACKET: _unix_ops(af_unix_msg.unix_seqpacket_sendmsg,
                                        af_unix_msg.unix_seqpacket_recvmsg,
                                        af_unix.unix_stream_connect),
}


class SocketFile(File):
    """struct socket with its file: the type, the family's ops, SOCK_PASSCRED, the sock."""

    seekable = False

    def __init__(self, sk, flags: int, task):
        cred = task.cred
        super().__init__(SocketDentry(cred.fsuid, cred.fsgid), O_RDWR | (flags & O_NONBLOCK))
        self.sk = sk
        self.type = sk.type
        self.ops = sk.ops
        self.unix_socket = self.ops.family == core_sock.AF_UNIX   # net/unix/garbage.py
        self.passcred = False
        sk.socket = self

    def sendmsg(self, task, msg) -> int:
        if self.flags & O_NONBLOCK:
            msg.flags |= MSG_DONTWAIT
        return self.ops.sendmsg(task, self, msg)

    def recvmsg(self, task, msg, size: int, flags: int) -> int:
        if self.flags & O_NONBLOCK:
            flags |= MSG_DONTWAIT
        return self.ops.recvmsg(task, self, msg, size, flags)

    def read(self, count: int) -> bytes:
        """sock_read_iter: a recvmsg without flags; nothing asked, nothing done."""
        if count == 0:
            return b""
        task = self.sk.kernel.current
        msg = RecvMsg(task)
        self.recvmsg(task, msg, count, 0)
        return bytes(msg.buf)

    def unread(self, data: bytes) -> None:
        """The copy to the user faulted: a stream keeps the bytes for the next read."""
        self.ops.unread(self, data)

    def write(self, data: bytes) -> int:
        """sock_write_iter: a sendmsg without flags (a seqpacket record ends: MSG_EOR)."""
        task = self.sk.kernel.current
        flags = MSG_EOR if self.type == core_sock.SOCK_SEQPACKET else 0
        return self.sendmsg(task, SendMsg(task, flags, buf=data))

    def poll(self, pt) -> int:
        return self.ops.poll(self, self, pt)

    def ioctl(self, cmd: int, arg: int, task) -> int:
        from glasskernel.net.core.dev_ioctl import SIOCGIFCONF, dev_ioctl
        if self.ops.family == core_sock.AF_UNIX and 0x8900 <= cmd <= 0x89FF or \
                cmd == SIOCGIFCONF:
            return dev_ioctl(init_net_of(task), cmd, arg, task, inet=False)
        return self.ops.ioctl(self, cmd, arg, task)

    def stat(self):
        return self.dentry.stat()

    def size(self) -> int:
        return 0

    def fsync(self) -> None:
        """Sockets have no ->fsync: EINVAL."""
        raise KernelError(Errno.EINVAL)

    def release(self) -> None:
        """sock_close: the last descriptor went, the sock is released."""
        sk, self.sk.socket = self.sk, None
        self.ops.release(sk)


def init_net_of(task):
    from glasskernel.net.core.net_namespace import sock_net_of
    return sock_net_of(task)


def sock_alloc_file(task, sk, flags: int) -> SocketFile:
    return SocketFile(sk, flags, task)


def fdget(task, fd: int):
    """fdget: the open file at fd; EBADF for none, and for O_PATH (which opens no file)."""
    file = task.files.fdget(int_arg(fd))
    if file.flags & O_PATH:
        raise KernelError(Errno.EBADF)
    return file


def sockfd_lookup_light(task, fd: int) -> SocketFile:
    """The socket behind ``fd``: EBADF if it is not open, ENOTSOCK if it is no socket."""
    file = fdget(task, fd)
    if not isinstance(file, SocketFile):
        raise KernelError(Errno.ENOTSOCK)
    return file


def check_sock_flags(flags: int) -> None:
    """Only SOCK_CLOEXEC and SOCK_NONBLOCK may ride along in a type or flags argument."""
    if flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK):
        raise KernelError(Errno.EINVAL)


def move_addr_to_kernel(task, uaddr: int, addrlen: int) -> bytes:
    """Copy a socket address in: a length outside 0..128 is EINVAL, a bad pointer EFAULT."""
    addrlen = int_arg(addrlen)
    if addrlen < 0 or addrlen > MAX_SOCK_ADDR:
        raise KernelError(Errno.EINVAL)
    return copy_from_user(task, uaddr, addrlen) if addrlen else b""


def move_addr_to_user(task, kaddr: bytes, uaddr: int, ulen: int) -> None:
    """Copy an address out, cut to the caller's length, then store its full length."""
    length = get_user_i32(task, ulen)
    length = min(length, len(kaddr))
    if length < 0:
        raise KernelError(Errno.EINVAL)
    if length:
        copy_to_user(task, uaddr, kaddr[:length])
    put_user_i32(task, ulen, len(kaddr))


def sock_create(task, family: int, type_: int, protocol: int):
    """__sock_create: the family's table entry makes the sock (AF_UNIX only here)."""
    if family < 0 or family >= NPROTO:
        raise KernelError(Errno.EAFNOSUPPORT)
    if type_ >= SOCK_MAX:
        raise KernelError(Errno.EINVAL)
    if family == core_sock.AF_UNIX:
        sk = af_unix.unix_create(task.kernel, type_, protocol)
        sk.ops = UNIX_OPS[sk.type]
        return sk
    if family == AF_INET:
        sk = af_inet.inet_create(task, AF_INET, type_, protocol)
    elif family == AF_INET6:
        sk = af_inet6.inet6_create(task, type_, protocol)
    elif family == AF_NETLINK:
        from glasskernel.net.netlink.af_netlink import netlink_create
        return netlink_create(task, type_, protocol)
    else:
        raise KernelError(Errno.EAFNOSUPPORT)      # no other protocol family is registered
    sk.ops = af_inet.inet_ops(family, sk.type)
    return sk


def sys_socket(task, family, type_, protocol) -> int:
    type_ = int_arg(type_)
    flags = type_ & ~SOCK_TYPE_MASK
    check_sock_flags(flags)
    sk = sock_create(task, int_arg(family), type_ & SOCK_TYPE_MASK, int_arg(protocol))
    file = sock_alloc_file(task, sk, flags)
    return task.files.install_new(file, bool(flags & SOCK_CLOEXEC), task=task)


def sys_socketpair(task, family, type_, protocol, usockvec) -> int:
    """Reserve two descriptors and store them before making the pair (EFAULT first)."""
    type_ = int_arg(type_)
    flags = type_ & ~SOCK_TYPE_MASK
    check_sock_flags(flags)
    type_ &= SOCK_TYPE_MASK
    files = task.files
    fd1 = files.alloc_fd(0, files.limit(task))
    fd2 = files.alloc_fd(fd1 + 1, files.limit(task))
    put_user_i32(task, usockvec, fd1)
    put_user_i32(task, usockvec + 4, fd2)
    family, protocol = int_arg(family), int_arg(protocol)
    ska = sock_create(task, family, type_, protocol)
    skb = sock_create(task, family, type_, protocol)
    ska.ops.socketpair(task, ska, skb)
    cloexec = bool(flags & SOCK_CLOEXEC)
    files.install(fd1, sock_alloc_file(task, ska, flags), cloexec)
    files.install(fd2, sock_alloc_file(task, skb, flags), cloexec)
    return 0


def sys_bind(task, fd, umyaddr, addrlen) -> int:
    sock = sockfd_lookup_light(task, fd)
    sock.ops.bind(task, sock, move_addr_to_kernel(task, umyaddr, addrlen))
    return 0


def sys_listen(task, fd, backlog) -> int:
    sock = sockfd_lookup_light(task, fd)
    backlog = int_arg(backlog)
    if backlog & 0xFFFFFFFF > SOMAXCONN:      # compared as unsigned: -1 is the maximum
        backlog = SOMAXCONN
    sock.ops.listen(task, sock, backlog)
    return 0


def sys_accept4(task, fd, upeer_sockaddr, upeer_addrlen, flags) -> int:
    """The descriptor, the flags, a free slot, then ENOTSOCK and the protocol's accept."""
    file = fdget(task, fd)
    flags = int_arg(flags)
    check_sock_flags(flags)
    files = task.files
    files.alloc_fd(0, files.limit(task))        # EMFILE before waiting for a connection
    if not isinstance(file, SocketFile):
        raise KernelError(Errno.ENOTSOCK)
    newsk = file.ops.accept(task, file, bool(file.flags & O_NONBLOCK))
    newsk.ops = file.ops
    newfile = sock_alloc_file(task, newsk, flags)
    newfile.passcred = file.passcred            # unix_sock_inherit_flags
    try:
        if upeer_sockaddr:
            move_addr_to_user(task, newfile.ops.getname(newfile, True), upeer_sockaddr,
                              upeer_addrlen)
    except KernelError:
        newfile.put()
        raise
    # The slot is taken only now: a thread sharing the table may have used the one
    # that was free before accept slept (Linux reserves it; the lowest free is the same
    # answer whenever nobody else allocated meanwhile).
    return files.install_new(newfile, bool(flags & SOCK_CLOEXEC), task=task)


def sys_accept(task, fd, upeer_sockaddr, upeer_addrlen) -> int:
    return sys_accept4(task, fd, upeer_sockaddr, upeer_addrlen, 0)


def sys_connect(task, fd, uservaddr, addrlen) -> int:
    file = fdget(task, fd)
    addr = move_addr_to_kernel(task, uservaddr, addrlen)
    if not isinstance(file, SocketFile):
        raise KernelError(Errno.ENOTSOCK)
    file.ops.connect(task, file, addr, bool(file.flags & O_NONBLOCK))
    return 0


def sys_getsockname(task, fd, usockaddr, usockaddr_len) -> int:
    sock = sockfd_lookup_light(task, fd)
    move_addr_to_user(task, sock.ops.getname(sock, False), usockaddr, usockaddr_len)
    return 0


def sys_getpeername(task, fd, usockaddr, usockaddr_len) -> int:
    sock = sockfd_lookup_light(task, fd)
    move_addr_to_user(task, sock.ops.getname(sock, True), usockaddr, usockaddr_len)
    return 0


def sys_getsockopt(task, fd, level, optname, optval, optlen) -> int:
    sock = sockfd_lookup_light(task, fd)
    level = int_arg(level)
    if level != core_sock.SOL_SOCKET:
        if sock.ops.getsockopt is None:
            raise KernelError(Errno.EOPNOTSUPP)     # AF_UNIX has no options of its own
        return sock.ops.getsockopt(task, sock, level, int_arg(optname), optval, optlen)
    return core_sock.sock_getsockopt(sock, sock.sk, int_arg(optname), task, optval, optlen)


def sys_setsockopt(task, fd, level, optname, optval, optlen) -> int:
    optlen = int_arg(optlen)
    if optlen < 0:
        raise KernelError(Errno.EINVAL)
    sock = sockfd_lookup_light(task, fd)
    level = int_arg(level)
    if level != core_sock.SOL_SOCKET:
        if sock.ops.setsockopt is None:
            raise KernelError(Errno.EOPNOTSUPP)
        return sock.ops.setsockopt(task, sock, level, int_arg(optname), optval, optlen)
    return core_sock.sock_setsockopt(sock, sock.sk, int_arg(optname), task, optval, optlen)


def sys_shutdown(task, fd, how) -> int:
    sock = sockfd_lookup_light(task, fd)
    sock.ops.shutdown(sock, int_arg(how))
    return 0


def import_single_range(buf: int, length: int) -> list:
    """One (base, len) iovec, clamped to MAX_RW_COUNT; EFAULT outside user space."""
    length = min(length, MAX_RW_COUNT)
    if buf + length > USER_HALF_END:
        raise KernelError(Errno.EFAULT)
    return [(buf, length)]


def sys_sendto(task, fd, buff, length, flags, addr, addr_len) -> int:
    iovs = import_single_range(buff, length)
    sock = sockfd_lookup_light(task, fd)
    name = None
    if addr:
        name = move_addr_to_kernel(task, addr, addr_len) or None
    return sock.sendmsg(task, SendMsg(task, uint_arg(flags), name=name, iovs=iovs))


def sys_recvfrom(task, fd, ubuf, size, flags, addr, addr_len) -> int:
    iovs = import_single_range(ubuf, size)
    sock = sockfd_lookup_light(task, fd)
    msg = RecvMsg(task, iovs, want_name=bool(addr))
    ret = sock.recvmsg(task, msg, iovs[0][1], uint_arg(flags))
    if addr:
        move_addr_to_user(task, msg.name or b"", addr, addr_len)
    return ret

