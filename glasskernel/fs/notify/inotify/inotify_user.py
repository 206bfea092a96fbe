"""inotify(7) (fs/notify/inotify/inotify_user.c, inotify_fsnotify.c): an instance is an
fsnotify group behind an anonymous file ("anon_inode:inotify"); a watch is a mark on an
inode with a watch descriptor (wd); events queue on the instance and read(2) returns
them as struct inotify_event records, each name NUL-padded to a multiple of 16 bytes.

Limits are /proc/sys/fs/inotify's: max_user_instances (EMFILE), max_user_watches
(ENOSPC), counted per real user, and max_queued_events, past which one IN_Q_OVERFLOW
event stands for everything lost.
"""
import os
import struct
from collections import deque

from glasskernel.fs.eventpoll import AnonInodeDentry
from glasskernel.fs.file_table import File
from glasskernel.fs.internal import fd_arg, uint_arg
from glasskernel.fs.namei import MAY_READ, user_path_at
from glasskernel.fs.notify import fsnotify as fsn
from glasskernel.fs.select import poll_wait
from glasskernel.kernel.sched.wait import WaitQueue, wait_event
from glasskernel.mm.uaccess import copy_to_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_CLOEXEC, O_NONBLOCK, O_RDONLY
from glasskernel.uapi.poll import POLLIN, POLLRDNORM

IN_ALL_EVENTS = 0xFFF
IN_UNMOUNT, IN_Q_OVERFLOW, IN_IGNORED = 0x2000, 0x4000, 0x8000
IN_ONLYDIR, IN_DONT_FOLLOW, IN_EXCL_UNLINK = 0x01000000, 0x02000000, 0x04000000
IN_MASK_CREATE, IN_MASK_ADD, IN_ISDIR, IN_ONESHOT = 0x10000000, 0x20000000, 0x40000000, 0x80000000
IN_CLOEXEC, IN_NONBLOCK = int(O_CLOEXEC), int(O_NONBLOCK)
ALL_INOTIFY_BITS = (IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR |
                    IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD |
                    IN_ISDIR | IN_ONESHOT)
_USER_EVENT_BITS = IN_ALL_EVENTS | IN_ISDIR | IN_UNMOUNT | IN_IGNORED | IN_Q_OVERFLOW
FIONREAD = 0x541B
_EVENT = struct.Struct("<iIII")          # struct inotify_event: wd, mask, cookie, len


class InotifySysctl:
    """/proc/sys/fs/inotify: the defaults of inotify_user_setup."""

    __slots__ = ("max_user_instances", "max_user_watches", "max_queued_events")

    def __init__(self, mem_bytes: int):
        self.max_user_instances = 128
        self.max_queued_events = 16384
        # 1% of memory at ~1 KiB a watch, between 8192 and 1048576 (inotify_user_setup)
        self.max_user_watches = min(1048576, max(8192, mem_bytes // 100 // 1024))


def inotify_sysctl(kernel) -> InotifySysctl:
    table = kernel.inotify_sysctl
    if table is None:
        mem = kernel.phys.size or (4 << 30)
        table = kernel.inotify_sysctl = InotifySysctl(mem)
    return table


def _ucounts(kernel) -> dict:
    """uid -> [instances, watches] (UCOUNT_INOTIFY_INSTANCES/WATCHES)."""
    return kernel.inotify_ucounts


def round_event_name_len(name: bytes) -> int:
    return (len(name) + 1 + 15) // 16 * 16 if name else 0


class InotifyGroup:
    """An fsnotify group of inotify's: its watches by wd and its event queue."""

    def __init__(self, kernel, uid: int):
        self.kernel = kernel
        self.uid = uid
        self.marks = {}                 # wd -> Mark (the idr)
        self.last_wd = 0                # idr_alloc_cyclic's cursor
        self.events = deque()           # [wd, mask, cookie, name bytes]
        self.overflowed = False         # the overflow event is queued
        self.max_events = inotify_sysctl(kernel).max_queued_events
        self.wq = WaitQueue("inotify")
        self.fasync = None

    # --- fsnotify_ops -------------------------------------------------------------------
    def handle_event(self, mark, mask: int, name, cookie: int, has_dir: bool) -> None:
        """inotify_handle_inode_event: queue (or merge) the event; ONESHOT ends the watch."""
        if mark.wd == -1:
            return
        if mask & (fsn.FS_MOVE_SELF | fsn.FS_DELETE_SELF):
            mask &= ~fsn.FS_ISDIR
        self.add_event(mark.wd, mask, cookie, os.fsencode(name) if name else b"")
        if mark.flags & fsn.MARK_FLAG_IN_ONESHOT:
            fsn.fsnotify_destroy_mark(mark)

    def freeing_mark(self, mark) -> None:
        """inotify_ignored_and_remove_idr: IN_IGNORED, then the wd is free."""
        self.add_event(mark.wd, fsn.FS_IN_IGNORED, 0, b"")
        self.marks.pop(mark.wd, None)
        mark.wd = -1
        counts = _ucounts(self.kernel).get(self.uid)
        if counts is not None:
            counts[1] -= 1

    # --- the queue (fs/notify/notification.c) ----------------------------------------------
    def add_event(self, wd: int, mask: int, cookie: int, name: bytes) -> None:
        """fsnotify_add_event: merge with an identical last event; past max_events one
        overflow event; wake the readers."""
        events = self.events
        if len(events) >= self.max_events:
            if self.overflowed:
                return
            self.overflowed = True
            events.append([-1, fsn.FS_Q_OVERFLOW, 0, b""])
        elif events and events[-1][0] == wd and events[-1][1] == mask and \
                events[-1][3] == name and mask != fsn.FS_Q_OVERFLOW:
            return
        else:
            events.append([wd, mask, cookie, name])
        self.wq.wake_up(self.kernel, POLLIN)
        if self.fasync:
            from glasskernel.fs.fcntl_owner import kill_fasync
            kill_fasync(self.kernel, self.fasync, 1)

    def pop_event(self):
        event = self.events.popleft()
        if event[1] == fsn.FS_Q_OVERFLOW:
            self.overflowed = False
        return event


def event_bytes(event) -> bytes:
    """copy_event_to_user: the header and the NUL-padded name."""
    wd, mask, cookie, name = event
    pad = round_event_name_len(name)
    return _EVENT.pack(wd, mask & _USER_EVENT_BITS, cookie, pad) + name.ljust(pad, b"\0")


class InotifyFile(File):
    """The instance's anonymous file: read, poll, FIONREAD, fdinfo."""

    seekable = False

    def __init__(self, kernel, group: InotifyGroup, flags: int):
        super().__init__(AnonInodeDentry("inotify"), O_RDONLY | (flags & IN_NONBLOCK))
        self.kernel = kernel
        self.group = group

    def read(self, count: int) -> bytes:
        """inotify_read: whole events while they fit; EINVAL if the first does not; with
        none queued EAGAIN (O_NONBLOCK) or a sleep until one comes."""
        group = self.group
        if not group.events:
            if self.flags & O_NONBLOCK:
                raise KernelError(Errno.EAGAIN)
            wait_event(self.kernel.current, group.wq, lambda: bool(group.events))
        out = []
        while group.events:
            size = 16 + round_event_name_len(group.events[0][3])
            if size > count:
                if not out:
                    raise KernelError(Errno.EINVAL)
                break
            out.append(event_bytes(group.pop_event()))
            count -= size
        return b"".join(out)

    def poll(self, pt) -> int:
        poll_wait(self, self.group.wq, pt)
        return POLLIN | POLLRDNORM if self.group.events else 0

    def ioctl(self, cmd: int, arg: int, task) -> int:
        """FIONREAD: the bytes of every queued event."""
        if cmd != FIONREAD:
            raise KernelError(Errno.ENOTTY)
        total = sum(16 + round_event_name_len(e[3]) for e in self.group.events)
        copy_to_user(task, arg, struct.pack("<i", total))
        return 0

    def lseek(self, offset: int, whence: int) -> int:
        raise KernelError(Errno.ESPIPE)

    def fasync(self, fd: int, on: bool) -> None:
        """O_ASYNC: SIGIO (or F_SETSIG's signal) to the owner at every new event."""
        entries = self.group.fasync or set()
        if on:
            entries.add((self, fd))
        else:
            entries = {e for e in entries if e[0] is not self}
        self.group.fasync = entries or None

    def show_fdinfo(self) -> str:
        """inotify_show_fdinfo: one line a watch."""
        lines = []
        for wd, mark in sorted(self.group.marks.items()):
            mask = mark.mask & IN_ALL_EVENTS
            if mark.flags & fsn.MARK_FLAG_EXCL_UNLINK:
                mask |= IN_EXCL_UNLINK
            if mark.flags & fsn.MARK_FLAG_IN_ONESHOT:
                mask |= IN_ONESHOT
            sdev = (os.major(mark.dev) << 20) | os.minor(mark.dev)
            lines.append(f"inotify wd:{wd:x} ino:{mark.ino:x} sdev:{sdev:x} mask:{mask:x} "
                         f"ignored_mask:0\n")
        return "".join(lines)

    def release(self) -> None:
        """inotify_release: every watch goes (fsnotify_destroy_group), the instance too."""
        group = self.group
        watches = len(group.marks)
        for mark in list(group.marks.values()):
            fsn.fsnotify_detach_mark(mark)
            group.marks.pop(mark.wd, None)
            mark.wd = -1
        counts = _ucounts(self.kernel).get(group.uid)
        if counts is not None:
            counts[0] -= 1
            counts[1] = max(0, counts[1] - watches)
        group.events.clear()


# --- the syscalls ------------------------------------------------------------------------
def do_inotify_init(task, flags: int) -> int:
    """EINVAL for flags but IN_CLOEXEC|IN_NONBLOCK; EMFILE past max_user_instances."""
    flags = uint_arg(flags)
    if flags & ~(IN_CLOEXEC | IN_NONBLOCK):
        raise KernelError(Errno.EINVAL)
    kernel, uid = task.kernel, task.cred.uid
    counts = _ucounts(kernel).setdefault(uid, [0, 0])
    if counts[0] >= inotify_sysctl(kernel).max_user_instances:
        raise KernelError(Errno.EMFILE)
    counts[0] += 1
    file = InotifyFile(kernel, InotifyGroup(kernel, uid), flags)
    return task.files.install_new(file, bool(flags & IN_CLOEXEC), task=task)


def sys_inotify_init(task) -> int:
    return do_inotify_init(task, 0)


def sys_inotify_init1(task, flags) -> int:
    return do_inotify_init(task, flags)


def inotify_arg_to_mask(is_dir: bool, arg: int) -> int:
    return fsn.FS_UNMOUNT | (fsn.FS_EVENT_ON_CHILD if is_dir else 0) | (arg & IN_ALL_EVENTS)


def inotify_arg_to_flags(arg: int) -> int:
    return ((fsn.MARK_FLAG_EXCL_UNLINK if arg & IN_EXCL_UNLINK else 0) |
            (fsn.MARK_FLAG_IN_ONESHOT if arg & IN_ONESHOT else 0))


def _inotify_file(task, fd) -> InotifyFile:
    file = task.files.fdget(fd_arg(fd))
    if not isinstance(file, InotifyFile):
        raise KernelError(Errno.EINVAL)
    return file


def sys_inotify_add_watch(task, fd, pathname, mask) -> int:
    """inotify_add_watch: the wd of the inode's watch, updated or made."""
    mask = uint_arg(mask)
    if mask & ~ALL_INOTIFY_BITS or not mask & ALL_INOTIFY_BITS:
        raise KernelError(Errno.EINVAL)
    task.files.fdget(fd_arg(fd))
    if mask & IN_MASK_ADD and mask & IN_MASK_CREATE:
        raise KernelError(Errno.EINVAL)
    group = _inotify_file(task, fd).group
    dentry = user_path_at(task, AT_FDCWD, pathname,
                          AT_SYMLINK_NOFOLLOW if mask & IN_DONT_FOLLOW else 0)
    is_dir = dentry.is_dir()
    if mask & IN_ONLYDIR and not is_dir:
        raise KernelError(Errno.ENOTDIR)
    dentry.permission(MAY_READ, task.cred)
    st = dentry.stat()
    key = (st.st_dev, st.st_ino)
    mark = fsn.fsnotify_find_mark(key, group)
    if mark is not None:                       # inotify_update_existing_watch
        if mask & IN_MASK_CREATE:
            raise KernelError(Errno.EEXIST)
        if not mask & IN_MASK_ADD:
            mark.mask, mark.flags = 0, 0
        mark.mask |= inotify_arg_to_mask(is_dir, mask)
        mark.flags |= inotify_arg_to_flags(mask)
        return mark.wd
    return inotify_new_watch(task, group, key, is_dir, mask)


def inotify_new_watch(task, group: InotifyGroup, key, is_dir: bool, mask: int) -> int:
    """A new mark with the next wd (cyclic from 1); ENOSPC past max_user_watches."""
    counts = _ucounts(task.kernel).setdefault(group.uid, [0, 0])
    if counts[1] >= inotify_sysctl(task.kernel).max_user_watches:
        raise KernelError(Errno.ENOSPC)
    wd = group.last_wd + 1
    while wd in group.marks or wd > 0x7FFFFFFF:
        wd = 1 if wd > 0x7FFFFFFF else wd + 1
    group.last_wd = wd
    mark = fsn.Mark(group, key, inotify_arg_to_mask(is_dir, mask), inotify_arg_to_flags(mask))
    mark.wd = wd
    group.marks[wd] = mark
    counts[1] += 1
    fsn.fsnotify_add_mark(mark)
    return wd


def sys_inotify_rm_watch(task, fd, wd) -> int:
    """inotify_rm_watch: EINVAL for a wd the instance does not have; IN_IGNORED follows."""
    task.files.fdget(fd_arg(fd))
    group = _inotify_file(task, fd).group
    wd = fd_arg(wd)
    mark = group.marks.get(wd)
    if mark is None:
        raise KernelError(Errno.EINVAL)
    fsn.fsnotify_destroy_mark(mark)
    return 0
