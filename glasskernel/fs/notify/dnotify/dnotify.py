"""dnotify (fs/notify/dnotify/dnotify.c): fcntl(fd, F_NOTIFY, DN_*) on a directory asks
for a signal (SIGIO, or the F_SETSIG one with si_fd and si_band) to the fd's owner when
an entry of the directory is read, written, created, deleted, renamed or changes its
attributes. One mark per directory holds one record per (file, descriptor table); the
record goes after its first signal unless DN_MULTISHOT, and when the fd is closed.
"""
from glasskernel.fs.notify import fsnotify as fsn
from glasskernel.uapi.errno import Errno, KernelError

DN_ACCESS, DN_MODIFY, DN_CREATE, DN_DELETE = 0x1, 0x2, 0x4, 0x8
DN_RENAME, DN_ATTRIB, DN_MULTISHOT = 0x10, 0x20, 0x80000000
POLL_MSG = 3
nr_dnotify = 0          # records alive: close(2) looks for its own only while this is set


class DnotifyStruct:
    """struct dnotify_struct: one F_NOTIFY request."""

    __slots__ = ("mask", "fd", "filp", "owner", "kernel")

    def __init__(self, mask, fd, filp, owner, kernel):
        self.mask, self.fd, self.filp, self.owner, self.kernel = mask, fd, filp, owner, kernel


class DnotifyGroup:
    """dnotify_group: the one group every dnotify mark belongs to."""

    def handle_event(self, mark, mask: int, name, cookie: int, has_dir: bool) -> None:
        """dnotify_handle_event: signal every record interested; one-shot ones go."""
        global nr_dnotify
        if not has_dir and not mask & fsn.FS_ISDIR:
            return
        test = mask & ~fsn.FS_EVENT_ON_CHILD
        from glasskernel.fs.fcntl_owner import send_sigio
        for dn in list(mark.dn):
            if not dn.mask & test:
                continue
            send_sigio(dn.kernel, dn.filp, dn.fd, POLL_MSG)
            if not dn.mask & fsn.FS_DN_MULTISHOT:
                mark.dn.remove(dn)
                nr_dnotify -= 1
                dnotify_recalc_inode_mask(mark)

    def freeing_mark(self, mark) -> None:
        global nr_dnotify
        nr_dnotify -= len(mark.dn)
        mark.dn.clear()


dnotify_group = DnotifyGroup()


def dnotify_recalc_inode_mask(mark) -> None:
    new = 0
    for dn in mark.dn:
        new |= dn.mask & ~fsn.FS_DN_MULTISHOT
    mark.mask = new | fsn.FS_EVENT_ON_CHILD
    if not mark.dn:
        fsn.fsnotify_detach_mark(mark)


def convert_arg(arg: int) -> int:
    mask = fsn.FS_EVENT_ON_CHILD
    for bit, events in ((DN_MULTISHOT, fsn.FS_DN_MULTISHOT),
                        (DN_DELETE, fsn.FS_DELETE | fsn.FS_MOVED_FROM),
                        (DN_MODIFY, fsn.FS_MODIFY), (DN_ACCESS, fsn.FS_ACCESS),
                        (DN_ATTRIB, fsn.FS_ATTRIB), (DN_RENAME, fsn.FS_RENAME),
                        (DN_CREATE, fsn.FS_CREATE | fsn.FS_MOVED_TO)):
        if arg & bit:
            mask |= events
    return mask


def _dir_key(filp):
    got = fsn.stat_key(filp.dentry)
    return got[0] if got is not None else None


def dnotify_flush(filp, owner) -> None:
    """dnotify_flush: close(2) of fd in this table ends the request made through it."""
    global nr_dnotify
    key = _dir_key(filp)
    mark = fsn.fsnotify_find_mark(key, dnotify_group) if key is not None else None
    if mark is None:
        return
    for dn in list(mark.dn):
        if dn.owner is owner and dn.filp is filp:
            mark.dn.remove(dn)
            nr_dnotify -= 1
            break
    dnotify_recalc_inode_mask(mark)


def fcntl_dirnotify(task, fd: int, filp, arg: int) -> int:
    """F_NOTIFY: no events ends the request; ENOTDIR unless a directory; the caller
    becomes the fd's owner if it has none."""
    global nr_dnotify
    arg &= 0xFFFFFFFFFFFFFFFF
    owner = task.files
    if not arg & ~DN_MULTISHOT:
        dnotify_flush(filp, owner)
        return 0
    if not filp.dentry.is_dir():
        raise KernelError(Errno.ENOTDIR)
    mask = convert_arg(arg)
    key = _dir_key(filp)
    mark = fsn.fsnotify_find_mark(key, dnotify_group)
    if mark is None:
        mark = fsn.Mark(dnotify_group, key, fsn.FS_EVENT_ON_CHILD)
        mark.dn = []
        fsn.fsnotify_add_mark(mark)
    from glasskernel.fs.fcntl_owner import PIDTYPE_TGID, __f_setown
    __f_setown(task, filp, task.tgid, PIDTYPE_TGID, False)
    for dn in mark.dn:
        if dn.owner is owner and dn.filp is filp:
            dn.fd = fd
            dn.mask |= mask
            break
    else:
        mark.dn.insert(0, DnotifyStruct(mask, fd, filp, owner, task.kernel))
        nr_dnotify += 1
    dnotify_recalc_inode_mask(mark)
    return 0
