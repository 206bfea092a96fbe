"""Ancillary data (net/core/scm.c, include/net/scm.h): the control messages a sender
attaches (SCM_RIGHTS, SCM_CREDENTIALS) and their delivery into the receiver's buffer.

``scm_send`` parses the control buffer the way ``__scm_send`` does (every header checked
with CMSG_OK, other levels skipped, unknown SOL_SOCKET types EINVAL) into a ``ScmCookie``
holding references to the files being passed and the credentials claimed. ``put_cmsg``
and ``scm_detach_fds`` write to the user's control buffer through a ``RecvControl``
cursor, setting MSG_CTRUNC when it is too small, as Linux does.
"""
import struct

from glasskernel.mm.uaccess import copy_to_user, put_user_i32
from glasskernel.uapi.errno import Errno, KernelError

SOL_SOCKET = 1
SCM_RIGHTS, SCM_CREDENTIALS = 1, 2
SCM_MAX_FD = 253
MSG_CTRUNC = 0x8
MSG_CMSG_CLOEXEC = 0x40000000
_CMSGHDR = struct.Struct("<QiI")         # cmsg_len (size_t), cmsg_level, cmsg_type
CMSGHDR_LEN = _CMSGHDR.size
COMPAT_CMSGHDR = struct.Struct("<Iii")   # struct compat_cmsghdr of i386: 12 bytes, 4-aligned
_UCRED = struct.Struct("<iII")
OVERFLOWUID = 65534


def cmsg_align(n: int) -> int:
    return (n + 7) & ~7


def cmsg_len(n: int) -> int:
    return CMSGHDR_LEN + n


def cmsg_space(n: int) -> int:
    return CMSGHDR_LEN + cmsg_align(n)


class ScmCookie:
    """struct scm_cookie: the sender's pid and ids, and the files in flight."""

    __slots__ = ("pid_links", "uid", "gid", "fp")

    def __init__(self):
        self.pid_links = None
        self.uid = self.gid = None        # INVALID_UID / INVALID_GID until set
        self.fp = None                    # list of File references, or None

    def set_cred(self, task) -> None:
        """scm_set_cred with the current task's tgid and real ids."""
        from glasskernel.kernel.pid import _links_of
        self.pid_links = _links_of(task, True)
        self.uid, self.gid = task.cred.uid, task.cred.gid

    def destroy(self) -> None:
        """scm_destroy: drop the references to files that were never passed on."""
        fp, self.fp = self.fp, None
        for file in reversed(fp or ()):
            file.put()


def scm_check_creds(task, pid: int, uid: int, gid: int) -> None:
    """The claimed credentials must be the sender's own unless it is privileged."""
    from glasskernel.kernel.capability import ns_capable
    from glasskernel.kernel.pid import pid_ns_user_ns, task_active_pid_ns, task_tgid_vnr
    from glasskernel.kernel.user_namespace import current_user_ns
    from glasskernel.uapi.capability import CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN
    if uid == 0xFFFFFFFF or gid == 0xFFFFFFFF:
        raise KernelError(Errno.EINVAL)
    cred, own = task.cred, current_user_ns(task)
    pid_owner = pid_ns_user_ns(task_active_pid_ns(task))
    if (pid == task_tgid_vnr(task, task) or ns_capable(task, pid_owner, CAP_SYS_ADMIN)) and \
            (uid in (cred.uid, cred.euid, cred.suid) or ns_capable(task, own, CAP_SETUID)) and \
            (gid in (cred.gid, cred.egid, cred.sgid) or ns_capable(task, own, CAP_SETGID)):
        return
    raise KernelError(Errno.EPERM)


def scm_fp_copy(task, scm: ScmCookie, data: bytes) -> None:
    """Take a reference to each descriptor of an SCM_RIGHTS message (EBADF, EINVAL)."""
    num = len(data) // 4
    if num <= 0:
        return
    if num > SCM_MAX_FD:
        raise KernelError(Errno.EINVAL)
    if scm.fp is None:
        scm.fp = []
    if len(scm.fp) + num > SCM_MAX_FD:
        raise KernelError(Errno.EINVAL)
    for (fd,) in struct.iter_unpack("<i", data[:num * 4]):
        file = task.files.fds.get(fd) if fd >= 0 else None
        if file is None:
            raise KernelError(Errno.EBADF)
        scm.fp.append(file.get())          # fget_raw: O_PATH descriptors too


def _scm_credentials(task, scm: ScmCookie, cmsg_len_: int, data: bytes) -> None:
    from glasskernel.kernel.pid import find_task_by_vpid, pid_nr_ns, task_active_pid_ns
    if cmsg_len_ != cmsg_len(_UCRED.size):
        raise KernelError(Errno.EINVAL)
    pid, uid, gid = _UCRED.unpack(data[:_UCRED.size])
    uid, gid = _make_kid(task, uid, "u"), _make_kid(task, gid, "g")
    scm_check_creds(task, pid, uid, gid)
    if scm.pid_links is None or pid_nr_ns(scm.pid_links, task_active_pid_ns(task)) != pid:
        target = find_task_by_vpid(task, pid) if pid > 0 else None
        if target is None:
            raise KernelError(Errno.ESRCH)
        scm.pid_links = target.pid_links
    scm.uid, scm.gid = uid, gid


def scm_send(task, control: bytes, forcecreds: bool) -> ScmCookie:
    """scm_send: the cookie for one sendmsg (control is the kernel copy of the buffer)."""
    scm = ScmCookie()
    if forcecreds:
        scm.set_cred(task)
    try:
        _parse_cmsgs(task, scm, control)
    except BaseException:
        scm.destroy()
        raise
    if scm.fp is not None and not scm.fp:
        scm.fp = None
    return scm


def _parse_cmsgs(task, scm: ScmCookie, control: bytes) -> None:
    """for_each_cmsghdr with CMSG_OK on each header."""
    size = len(control)
    off = 0 if size >= CMSGHDR_LEN else size
    while off + CMSGHDR_LEN <= size:
        length, level, type_ = _CMSGHDR.unpack_from(control, off)
        if length < CMSGHDR_LEN or length > size - off:
            raise KernelError(Errno.EINVAL)
        if level == SOL_SOCKET:
            data = control[off + CMSGHDR_LEN:off + length]
            if type_ == SCM_RIGHTS:
                scm_fp_copy(task, scm, data)
            elif type_ == SCM_CREDENTIALS:
                _scm_credentials(task, scm, length, data)
            else:
                raise KernelError(Errno.EINVAL)
        off += cmsg_align(length)


class RecvControl:
    """The receiver's control buffer as recvmsg fills it (msg_control, msg_controllen)."""

    __slots__ = ("ptr", "start", "left", "flags", "hdr", "align")

    def __init__(self, ptr: int, length: int, flags: int, compat: bool = False):
        self.ptr = self.start = ptr
        self.left = length
        self.flags = flags                # msg_flags: MSG_CTRUNC is added here
        # a compat recvmsg gets compat_cmsghdrs (put_cmsg_compat, scm_detach_fds_compat)
        self.hdr, self.align = (COMPAT_CMSGHDR, 4) if compat else (_CMSGHDR, 8)

    def used(self) -> int:
        return self.ptr - self.start

    def space(self, n: int) -> int:
        """CMSG_SPACE (CMSG_COMPAT_SPACE) of n data bytes."""
        return self.hdr.size + ((n + self.align - 1) & -self.align)


def put_cmsg(task, ctl: RecvControl, level: int, type_: int, data: bytes) -> None:
    """One control message, cut (MSG_CTRUNC) to what the buffer holds."""
    if not ctl.start or ctl.left < ctl.hdr.size:
        ctl.flags |= MSG_CTRUNC
        return
    length = ctl.hdr.size + len(data)
    if ctl.left < length:
        ctl.flags |= MSG_CTRUNC
        length = ctl.left
    raw = ctl.hdr.pack(length, level, type_) + data
    try:
        copy_to_user(task, ctl.ptr, raw[:length])
    except KernelError:
        return                  # EFAULT, which scm_recv ignores: the message still arrives
    step = min(ctl.space(len(data)), ctl.left)
    ctl.ptr += step
    ctl.left -= step


def scm_detach_fds(task, ctl: RecvControl, scm: ScmCookie) -> None:
    """Install the passed files as new descriptors (as many as the buffer holds)."""
    cloexec = bool(ctl.flags & MSG_CMSG_CLOEXEC)
    files = scm.fp
    hdr_len = ctl.hdr.size
    fdmax = min(max((ctl.left - hdr_len) // 4, 0) if ctl.left > hdr_len else 0, len(files))
    data_ptr = ctl.ptr + hdr_len
    installed = 0
    for i in range(fdmax):
        try:
            fd = task.files.alloc_fd(0, task.files.limit(task))
            put_user_i32(task, data_ptr + 4 * i, fd)
        except KernelError:
            break
        task.files.install(fd, files[i].get(), cloexec)
        installed += 1
    if installed:
        length = hdr_len + installed * 4
        try:
            copy_to_user(task, ctl.ptr, ctl.hdr.pack(length, SOL_SOCKET, SCM_RIGHTS))
            step = min(ctl.space(installed * 4), ctl.left)
            ctl.ptr += step
            ctl.left -= step
        except KernelError:
            pass
    if installed < len(files) or (files and fdmax <= 0):
        ctl.flags |= MSG_CTRUNC
    scm.destroy()


def scm_recv(task, sock, ctl: RecvControl | None, scm: ScmCookie, creds) -> None:
    """Deliver credentials (SO_PASSCRED) and files to the receiver's control buffer.

    ``creds`` is (pid_links, uid, gid) of the message; an id never set reads as the
    overflow id (from_kuid_munged of INVALID_UID)."""
    from glasskernel.net.core.sock import pid_vnr
    if ctl is None or not ctl.start:
        if ctl is not None and (sock.passcred or scm.fp):
            ctl.flags |= MSG_CTRUNC
        scm.destroy()
        return
    if sock.passcred:
        pid_links, uid, gid = creds
        put_cmsg(task, ctl, SOL_SOCKET, SCM_CREDENTIALS,
                 _UCRED.pack(pid_vnr(pid_links, task),
                             OVERFLOWUID if uid is None else _from_kuid(task, uid),
                             OVERFLOWUID if gid is None else _from_kgid(task, gid)))
    if scm.fp:
        scm_detach_fds(task, ctl, scm)



def _from_kuid(task, kuid: int) -> int:
    """from_kuid_munged in the receiver's user namespace."""
    from glasskernel.kernel.user_namespace import cred_user_ns, from_kuid
    return from_kuid(cred_user_ns(task.cred), kuid)


def _from_kgid(task, kgid: int) -> int:
    from glasskernel.kernel.user_namespace import cred_user_ns, from_kgid
    return from_kgid(cred_user_ns(task.cred), kgid)


def _make_kid(task, value: int, kind: str) -> int:
    """make_kuid/make_kgid in the sender's namespace; an unmapped id becomes the invalid
    id (0xFFFFFFFF), which scm_check_creds refuses."""
    from glasskernel.kernel.user_namespace import cred_user_ns, make_kgid, make_kuid
    ns = cred_user_ns(task.cred)
    kid = (make_kuid if kind == "u" else make_kgid)(ns, value)
    return 0xFFFFFFFF if kid < 0 else kid
