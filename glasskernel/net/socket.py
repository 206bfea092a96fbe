"""The socket system calls (net/socket.c) of a kernel with no address family registered.

No descriptor is ever a socket here, so every call that names a descriptor fails the way
Linux's does for an open file that is not a socket: EBADF when the descriptor is not open,
ENOTSOCK when it is (``sockfd_lookup_light``). Programs ask such questions of ordinary
descriptors all the time: bash calls ``getpeername(0)`` at start-up to learn whether its
stdin is a network connection. ``socket`` itself validates its arguments as
``__sys_socket``/``__sock_create`` do, then finds no family: EAFNOSUPPORT.
"""
from glasskernel.arch.x86.entry.args import int_arg
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_CLOEXEC, O_NONBLOCK

SOCK_CLOEXEC = O_CLOEXEC
SOCK_NONBLOCK = O_NONBLOCK
SOCK_TYPE_MASK = 0xF
SOCK_MAX = 11                 # SOCK_PACKET + 1
NPROTO = 46                   # AF_MAX in Linux 6.1
MAX_SOCK_ADDR = 128           # sizeof(struct sockaddr_storage)


def sockfd_lookup_light(task, fd: int):
    """The socket behind ``fd``: EBADF if it is not open, ENOTSOCK because none is a socket."""
    task.files.fdget(int_arg(fd))
    raise KernelError(Errno.ENOTSOCK)


def check_sock_flags(flags: int) -> None:
    """Only SOCK_CLOEXEC and SOCK_NONBLOCK may ride along in a type or flags argument."""
    if flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK):
        raise KernelError(Errno.EINVAL)


def move_addr_to_kernel(task, uaddr: int, addrlen: int) -> bytes:
    """Copy a socket address in: a length outside 0..128 is EINVAL, a bad pointer EFAULT."""
    from glasskernel.mm.uaccess import copy_from_user
    addrlen = int_arg(addrlen)
    if addrlen < 0 or addrlen > MAX_SOCK_ADDR:
        raise KernelError(Errno.EINVAL)
    return copy_from_user(task, uaddr, addrlen) if addrlen else b""


def sys_socket(task, family, type_, protocol) -> int:
    type_ = int_arg(type_)
    check_sock_flags(type_ & ~SOCK_TYPE_MASK)
    family = int_arg(family)
    if family < 0 or family >= NPROTO:
        raise KernelError(Errno.EAFNOSUPPORT)
    if (type_ & SOCK_TYPE_MASK) >= SOCK_MAX:
        raise KernelError(Errno.EINVAL)
    raise KernelError(Errno.EAFNOSUPPORT)     # no protocol family is registered


def sys_getsockname(task, fd, usockaddr, usockaddr_len) -> int:
    return sockfd_lookup_light(task, fd)


def sys_getpeername(task, fd, usockaddr, usockaddr_len) -> int:
    return sockfd_lookup_light(task, fd)


def sys_getsockopt(task, fd, level, optname, optval, optlen) -> int:
    return sockfd_lookup_light(task, fd)


def sys_setsockopt(task, fd, level, optname, optval, optlen) -> int:
    return sockfd_lookup_light(task, fd)


def sys_shutdown(task, fd, how) -> int:
    return sockfd_lookup_light(task, fd)


def sys_listen(task, fd, backlog) -> int:
    return sockfd_lookup_light(task, fd)


def sys_bind(task, fd, umyaddr, addrlen) -> int:
    return sockfd_lookup_light(task, fd)


def sys_connect(task, fd, uservaddr, addrlen) -> int:
    task.files.fdget(int_arg(fd))
    move_addr_to_kernel(task, uservaddr, addrlen)
    raise KernelError(Errno.ENOTSOCK)


def sys_accept4(task, fd, upeer_sockaddr, upeer_addrlen, flags) -> int:
    task.files.fdget(int_arg(fd))              # the descriptor first, then the flags
    check_sock_flags(int_arg(flags))
    raise KernelError(Errno.ENOTSOCK)


def sys_accept(task, fd, upeer_sockaddr, upeer_addrlen) -> int:
    return sockfd_lookup_light(task, fd)
