"""fsnotify (fs/notify/fsnotify.c, include/linux/fsnotify.h): the VFS reports what
happened to an inode, and every mark on that inode (or on its parent directory, for an
event on a child) hands the event to its group (an inotify instance, or dnotify).

Marks are keyed by the inode's identity as the guest sees it, (st_dev, st_ino), so a
mark follows its inode over renames and hard links as Linux's i_fsnotify_marks do. The
hooks are called from the VFS only while ``nr_marks`` (the marks alive in this process)
is not 0: read, write and open pay one attribute check when nobody watches anything.
All kernels of a process share the table; a mark's group belongs to one kernel.
"""
from glasskernel.uapi.errno import KernelError
from glasskernel.uapi.stat import S_IFDIR, S_IFLNK, S_IFMT, S_IFREG

FS_ACCESS, FS_MODIFY, FS_ATTRIB = 0x1, 0x2, 0x4
FS_CLOSE_WRITE, FS_CLOSE_NOWRITE, FS_OPEN = 0x8, 0x10, 0x20
FS_MOVED_FROM, FS_MOVED_TO, FS_CREATE, FS_DELETE = 0x40, 0x80, 0x100, 0x200
FS_DELETE_SELF, FS_MOVE_SELF = 0x400, 0x800
FS_UNMOUNT, FS_Q_OVERFLOW, FS_IN_IGNORED = 0x2000, 0x4000, 0x8000
FS_EVENT_ON_CHILD, FS_RENAME = 0x08000000, 0x10000000
FS_DN_MULTISHOT, FS_ISDIR = 0x20000000, 0x40000000
ALL_FSNOTIFY_DIRENT_EVENTS = FS_CREATE | FS_DELETE | FS_MOVED_FROM | FS_MOVED_TO | FS_RENAME
ALL_FSNOTIFY_EVENTS = 0xFFF | FS_UNMOUNT | FS_Q_OVERFLOW | FS_IN_IGNORED | FS_RENAME

# Mark flags (FSNOTIFY_MARK_FLAG_*) inotify sets.
MARK_FLAG_EXCL_UNLINK, MARK_FLAG_IN_ONESHOT = 0x10, 0x20

nr_marks = 0                # live marks of every kernel: the hooks' one check
inode_marks = {}            # (st_dev, st_ino) -> [Mark]: the inode's i_fsnotify_marks
_cookie = 0                 # fsnotify_get_cookie's counter


class Mark:
    """struct fsnotify_mark: one group's interest in one inode."""

    __slots__ = ("group", "key", "mask", "flags", "wd", "ino", "dev", "dn")

    def __init__(self, group, key, mask: int, flags: int = 0):
        self.group = group
        self.key = key
        self.mask = mask
        self.flags = flags
        self.wd = -1
        self.dev, self.ino = key
        self.dn = None          # dnotify: its dnotify_structs


def fsnotify_find_mark(key, group):
    for mark in inode_marks.get(key, ()):
        if mark.group is group:
            return mark
    return None


def fsnotify_add_mark(mark: Mark) -> None:
    global nr_marks
    inode_marks.setdefault(mark.key, []).append(mark)
    nr_marks += 1


def fsnotify_detach_mark(mark: Mark) -> bool:
    """Take the mark off its inode; False if it was already off."""
    global nr_marks
    marks = inode_marks.get(mark.key)
    if not marks or mark not in marks:
        return False
    marks.remove(mark)
    if not marks:
        del inode_marks[mark.key]
    nr_marks -= 1
    return True


def fsnotify_destroy_mark(mark: Mark) -> None:
    """Detach the mark and let its group know (inotify queues IN_IGNORED)."""
    if fsnotify_detach_mark(mark):
        mark.group.freeing_mark(mark)


def fsnotify_get_cookie() -> int:
    global _cookie
    _cookie = (_cookie + 1) & 0xFFFFFFFF
    return _cookie


# --- delivery ----------------------------------------------------------------------------
def _handle(mark, mask: int, name, cookie: int, unlinked: bool, has_dir: bool) -> None:
    """fsnotify_handle_inode_event: the mark's own interest, then its group."""
    if mark.flags & MARK_FLAG_EXCL_UNLINK and unlinked:
        return
    if not mask & mark.mask & ALL_FSNOTIFY_EVENTS:
        return
    mark.group.handle_event(mark, mask, name, cookie, has_dir)


def fsnotify(mask: int, dir_key, name, inode_key, cookie: int = 0,
             unlinked: bool = False) -> None:
    """Report to the parent's marks (an event on a child, with its name) and then to the
    inode's own marks; a dirent event (inode_key None) goes to the directory's marks."""
    if inode_key is None:
        for mark in list(inode_marks.get(dir_key, ())):
            _handle(mark, mask, name, cookie, unlinked, True)
        return
    if dir_key is not None:
        for mark in list(inode_marks.get(dir_key, ())):
            if mark.mask & FS_EVENT_ON_CHILD:
                _handle(mark, mask | FS_EVENT_ON_CHILD, name, cookie, unlinked, True)
    imarks = inode_marks.get(inode_key)
    if imarks:
        if not mask & ALL_FSNOTIFY_DIRENT_EVENTS:
            name = None
        for mark in list(imarks):
            _handle(mark, mask, name, cookie, unlinked, False)


def stat_key(dentry):
    """(key, mode, nlink) of a dentry's inode; None if it is gone."""
    try:
        st = dentry.stat()
    except (KernelError, OSError):
        return None
    return (st.st_dev, st.st_ino), st.st_mode, st.st_nlink


def fsnotify_parent(dentry, mask: int, special_ok: bool = True) -> None:
    """fsnotify_parent: an event on dentry's inode, also told to a watching parent with
    the name (not read/write of a special file). An unlinked name still tells its old
    parent, as the dentry keeps d_parent; IN_EXCL_UNLINK marks skip it."""
    got = stat_key(dentry)
    if got is None:
        return
    key, mode, _nlink = got
    kind = mode & S_IFMT
    if kind == S_IFDIR:
        mask |= FS_ISDIR
    unlinked = bool(getattr(dentry, "deleted", False))
    dir_key = None
    parent = dentry.parent
    if parent is not dentry and inode_marks and \
            (special_ok or kind in (S_IFREG, S_IFDIR, S_IFLNK) or not mask & (FS_ACCESS | FS_MODIFY)):
        pgot = stat_key(parent)
        if pgot is not None and pgot[0] in inode_marks:
            dir_key = pgot[0]
    fsnotify(mask, dir_key, dentry.name, key, 0, unlinked)


def fsnotify_file(file, mask: int) -> None:
    """fsnotify_file: events of an open file (never of an O_PATH one)."""
    if file.readable or file.writable:
        fsnotify_parent(file.dentry, mask, special_ok=False)


def fsnotify_name(dir_dentry, mask: int, name: str, cookie: int = 0) -> None:
    """A dirent event (create, delete, move) on a directory, with the entry's name."""
    got = stat_key(dir_dentry)
    if got is not None:
        fsnotify(mask, got[0], name, None, cookie)


def fsnotify_inode(key, mode: int, mask: int) -> None:
    """An event on the inode alone (link count, DELETE_SELF, MOVE_SELF)."""
    if mode & S_IFMT == S_IFDIR:
        mask |= FS_ISDIR
    fsnotify(mask, None, None, key)


def fsnotify_inoderemove(key, mode: int) -> None:
    """The inode's last link went: DELETE_SELF, then every mark on it goes."""
    fsnotify_inode(key, mode, FS_DELETE_SELF)
    for mark in list(inode_marks.get(key, ())):
        fsnotify_destroy_mark(mark)


# --- the VFS's hooks (include/linux/fsnotify.h); called only while nr_marks ----------------
def fsnotify_create(dir_dentry, name: str, isdir: bool = False) -> None:
    """fsnotify_create / fsnotify_mkdir: a new entry in dir_dentry."""
    fsnotify_name(dir_dentry, FS_CREATE | (FS_ISDIR if isdir else 0), name)


def fsnotify_link(dir_dentry, name: str, old) -> None:
    """fsnotify_link: the inode's link count changed, then a new name in the directory."""
    got = stat_key(old)
    if got is not None:
        fsnotify_inode(got[0], got[1], FS_ATTRIB)
    fsnotify_name(dir_dentry, FS_CREATE, name)


def fsnotify_delete_prepare(child):
    """What vfs_unlink/vfs_rmdir must know of the victim before it goes."""
    return stat_key(child)


def fsnotify_delete(dir_dentry, name: str, victim, isdir: bool, pinned: bool = False) -> None:
    """vfs_unlink's fsnotify_link_count + d_delete_notify (vfs_rmdir: no link count): the
    inode's ATTRIB, DELETE_SELF when its last link went, then DELETE on the directory.
    A file still open keeps its inode (pinned): DELETE_SELF waits, as in Linux."""
    if victim is None:
        return
    key, mode, nlink = victim
    if not isdir:
        fsnotify_inode(key, mode, FS_ATTRIB)
    if (isdir or nlink <= 1) and not pinned:
        fsnotify_inoderemove(key, mode)
    fsnotify_name(dir_dentry, FS_DELETE | (FS_ISDIR if isdir else 0), name)


def fsnotify_move(old_dir, old_name: str, new_dir, new_name: str, source, target,
                  exchange: bool = False) -> None:
    """fsnotify_move: RENAME (dnotify, same directory only), MOVED_FROM and MOVED_TO
    with one cookie, the replaced inode's link count (and its end), MOVE_SELF."""
    if source is None:
        return
    key, mode, _nlink = source
    isdir = FS_ISDIR if mode & S_IFMT == S_IFDIR else 0
    cookie = fsnotify_get_cookie()
    old_got, new_got = stat_key(old_dir), stat_key(new_dir)
    if old_got is not None:
        if new_got is not None and old_got[0] == new_got[0]:
            fsnotify(FS_RENAME | isdir, old_got[0], old_name, None)
        fsnotify(FS_MOVED_FROM | isdir, old_got[0], old_name, None, cookie)
    if new_got is not None:
        fsnotify(FS_MOVED_TO | isdir, new_got[0], new_name, None, cookie)
    if target is not None and not exchange:
        fsnotify_inode(target[0], target[1], FS_ATTRIB)
    fsnotify_inode(key, mode, FS_MOVE_SELF)
    if exchange and target is not None:
        fsnotify_move(new_dir, new_name, old_dir, old_name, target, None)
    elif target is not None and (target[1] & S_IFMT == S_IFDIR or target[2] <= 1):
        fsnotify_inoderemove(target[0], target[1])


def fsnotify_change(dentry, mask: int) -> None:
    """fsnotify_change: the mask notify_change's attributes give (ATTRIB for mode,
    owner and both times; MODIFY for the size or mtime alone; ACCESS for atime alone)."""
    if mask:
        fsnotify_parent(dentry, mask)


def fsnotify_open(file, created: bool, truncated: bool) -> None:
    """The open path's events: CREATE of a new name, MODIFY of a truncation, OPEN."""
    dentry = file.dentry
    if created and dentry.parent is not dentry:
        fsnotify_create(dentry.parent, dentry.name)
    elif truncated and dentry.is_reg():
        fsnotify_parent(dentry, FS_MODIFY)
    fsnotify_file(file, FS_OPEN)


def fsnotify_close(file) -> None:
    """fsnotify_close: CLOSE_WRITE for a file open for writing, else CLOSE_NOWRITE; the
    last file of an unlinked inode takes it away (DELETE_SELF) as the last dput does."""
    fsnotify_file(file, FS_CLOSE_WRITE if file.writable else FS_CLOSE_NOWRITE)
    fsnotify_dput(file.dentry)


def fsnotify_dput(dentry) -> None:
    """A holder of an unlinked dentry lets go (a last close, a chdir away): if nothing
    else holds the inode, it ends now (DELETE_SELF and the marks go)."""
    if getattr(dentry, "deleted", False):
        got = stat_key(dentry)
        if got is not None and got[0] in inode_marks and got[2] == 0 and \
                not inode_in_use(dentry, got[0], dentry):
            fsnotify_inoderemove(got[0], got[1])


def inode_in_use(dentry, key, besides=None) -> bool:
    """Does an open file or a working directory still hold this unlinked inode (a
    pinned, deleted dentry of the overlay)?"""
    ofs = getattr(dentry, "ofs", None)
    if ofs is None:
        return False
    for other in list(ofs.pinned):
        if other is not besides and getattr(other, "deleted", False):
            got = stat_key(other)
            if got is not None and got[0] == key:
                return True
    return False
