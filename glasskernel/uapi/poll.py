"""poll(2) event bits (include/uapi/asm-generic/poll.h); x86-64 uses the generic values.

The epoll EPOLL* event bits (uapi/eventpoll.py) are the same numbers, so one mask type
serves ->poll, poll(2), select(2) and epoll alike.
"""

POLLIN = 0x0001
POLLPRI = 0x0002
POLLOUT = 0x0004
POLLERR = 0x0008
POLLHUP = 0x0010
POLLNVAL = 0x0020
POLLRDNORM = 0x0040
POLLRDBAND = 0x0080
POLLWRNORM = 0x0100
POLLWRBAND = 0x0200
POLLMSG = 0x0400
POLLREMOVE = 0x1000
POLLRDHUP = 0x2000

# struct pollfd {int fd; short events; short revents;}
SIZEOF_POLLFD = 8
