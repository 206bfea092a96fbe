"""The AF_UNIX side of ancillary data and of buffers in flight (net/unix/scm.c and the
skb helpers of af_unix.c).

A message in a receive queue is an ``Skb``: its bytes, how many a stream reader has
consumed, the socket that sent it (whose sk_wmem_alloc it is charged to until freed, and
whose address recvfrom reports), the sender's credentials and the files passed with it.
Files in flight are counted per user (too_many_unix_fds: ETOOMANYREFS past
RLIMIT_NOFILE) and released when the message is freed unread.
"""
from glasskernel.kernel.capability import capable
from glasskernel.uapi.capability import CAP_SYS_ADMIN, CAP_SYS_RESOURCE
from glasskernel.net.core.sock import skb_truesize
from glasskernel.net.unix.garbage import unix_inflight, unix_notinflight
from glasskernel.uapi.errno import Errno, KernelError

SKB_MAX_HEAD = 4096 - 320                # SKB_MAX_HEAD(0): a page minus skb_shared_info
SKB_MAX_ALLOC = (4096 << 2) - 320        # SKB_MAX_ORDER(0, 2)


class Skb:
    """struct sk_buff with its UNIXCB: data, consumed, owner, creds and files."""

    __slots__ = ("data", "consumed", "owner", "truesize", "pid_links", "uid", "gid", "fp",
                 "newsk", "inflight_user")

    def __init__(self, owner, data: bytes, truesize: int):
        self.data = data
        self.consumed = 0
        self.owner = owner
        self.truesize = truesize
        self.pid_links = None
        self.uid = self.gid = None
        self.fp = None
        self.newsk = None                 # a connect request queued on a listener
        self.inflight_user = None

    def __len__(self) -> int:
        """unix_skb_len: the bytes not yet read."""
        return len(self.data) - self.consumed


def _phys(kernel):
    return kernel.phys


def sock_alloc_skb(sk, data: bytes, linear: int, data_len: int = 0) -> Skb:
    """An skb charged to sk's send buffer and to the guest's kernel memory (ENOBUFS)."""
    truesize = skb_truesize(linear, data_len)
    phys = _phys(sk.kernel)
    if phys is not None and not phys.charge_kernel(truesize):
        raise KernelError(Errno.ENOBUFS)
    sk.wmem_alloc += truesize
    return Skb(sk, data, truesize)


def unix_inflight_counts(kernel) -> dict:
    return kernel.unix_inflight


def unix_attach_fds(task, scm, skb: Skb) -> None:
    """Move the cookie's files into the skb, counted in flight for the sending user."""
    counts = unix_inflight_counts(task.kernel)
    user = task.cred.uid
    if counts.get(user, 0) > task.files.limit(task) and \
            not capable(task, CAP_SYS_RESOURCE) and not capable(task, CAP_SYS_ADMIN):
        raise KernelError(Errno.ETOOMANYREFS)       # too_many_unix_fds
    skb.fp = [f.get() for f in scm.fp]
    skb.inflight_user = user
    counts[user] = counts.get(user, 0) + len(skb.fp)
    unix_inflight(task.kernel, skb.fp)


def unix_detach_fds(skb: Skb) -> list:
    """The skb's files for the receiver (no longer in flight)."""
    fp, skb.fp = skb.fp, None
    kernel = skb.owner.kernel               # messages with files always have a sender
    counts = unix_inflight_counts(kernel)
    counts[skb.inflight_user] = counts.get(skb.inflight_user, 0) - len(fp)
    unix_notinflight(kernel, fp)
    return fp


def unix_scm_to_skb(task, scm, skb: Skb, send_fds: bool) -> None:
    """Copy the cookie's credentials into the skb, and its files when asked."""
    skb.pid_links, skb.uid, skb.gid = scm.pid_links, scm.uid, scm.gid
    if scm.fp and send_fds:
        unix_attach_fds(task, scm, skb)


def maybe_add_creds(task, skb: Skb, sock, other) -> None:
    """Stamp the sender's pid and ids when either side asked for credentials."""
    if skb.pid_links is not None:
        return
    if sock.passcred or other.socket is None or other.socket.passcred:
        from glasskernel.kernel.pid import _links_of
        skb.pid_links = _links_of(task, True)
        skb.uid, skb.gid = task.cred.uid, task.cred.gid


def kfree_skb(skb: Skb) -> None:
    """Free an skb: its unread files are closed, its owner's send space comes back."""
    if skb.fp:
        for file in reversed(unix_detach_fds(skb)):
            file.put()
    owner = skb.owner
    if owner is None or not skb.truesize:
        return
    owner.wmem_alloc -= skb.truesize
    phys = _phys(owner.kernel)
    if phys is not None:
        phys.uncharge_kernel(skb.truesize)
    skb.truesize = 0
    if owner.writable():
        owner.wait.wake_up(owner.kernel)       # unix_write_space
