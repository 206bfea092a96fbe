"""mount(2) and umount2(2) (fs/namespace.c: path_mount, do_new_mount, do_remount,
do_reconfigure_mnt, do_loopback, do_move_mount_old, do_change_type, ksys_umount).

What can be mounted: tmpfs (a new in-memory instance each time, mm/shmem_super.py), proc
and devtmpfs (the run's single instances again); a bind mount of a tmpfs directory. Every
other type is ENODEV, as for a kernel built without it: there are no disk file systems, so
a loop device holds data but cannot be mounted. Only the guest's mount tree changes.
"""
from glasskernel.fs.internal import uint_arg
from glasskernel.fs.namei import filename_lookup, getname
from glasskernel.fs.namespace import (touch_mnt_namespace, MNT_ATIME_MASK, MNT_NODEV, MNT_NODIRATIME, MNT_NOATIME,
                                      MNT_NOEXEC, MNT_NOSUID, MNT_NOSYMFOLLOW, MNT_READONLY,
                                      MNT_RELATIME, Mount)
from glasskernel.kernel.capability import capable
from glasskernel.mm.uaccess import copy_from_user
from glasskernel.uapi.capability import CAP_SYS_ADMIN
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import AT_FDCWD

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_SYNCHRONOUS, MS_REMOUNT, MS_MANDLOCK, MS_DIRSYNC = 16, 32, 64, 128
MS_NOSYMFOLLOW, MS_NOATIME, MS_NODIRATIME, MS_BIND = 256, 1024, 2048, 4096
MS_MOVE, MS_REC, MS_SILENT, MS_POSIXACL = 8192, 16384, 32768, 1 << 16
MS_UNBINDABLE, MS_PRIVATE, MS_SLAVE, MS_SHARED = 1 << 17, 1 << 18, 1 << 19, 1 << 20
MS_RELATIME, MS_I_VERSION, MS_STRICTATIME, MS_LAZYTIME = 1 << 21, 1 << 23, 1 << 24, 1 << 25
MS_NOUSER = 1 << 31
MS_MGC_VAL, MS_MGC_MSK = 0xC0ED0000, 0xFFFF0000
MS_PROPAGATION = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE
MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW = 1, 2, 4, 8
PAGE_SIZE = 4096
PATH_MAX = 4096
# Types this kernel registers but whose instances only the kernel mounts (pseudo fs).
KERNEL_ONLY_TYPES = ("sockfs", "pipefs", "devpts", "overlay")


# --- copying the arguments (copy_mount_string, copy_mount_options) ------------------------
def copy_mount_string(task, addr: int):
    """strndup_user of a type or device name: None for NULL, EFAULT for a bad pointer."""
    if not addr:
        return None
    raw = task.mm.read_cstring(addr, PATH_MAX)
    return raw.decode("utf-8", "surrogateescape")


def copy_mount_options(task, addr: int):
    """The option page: up to PAGE_SIZE bytes, fewer if the rest is unmapped; EFAULT only
    if not even the first byte can be read. Its text ends at the first NUL."""
    if not addr:
        return None
    size = PAGE_SIZE - addr % PAGE_SIZE
    try:
        data = copy_from_user(task, addr, size)
    except KernelError:
        data = copy_from_user(task, addr, 1)        # EFAULT from here if unreadable
        data = _read_some(task, addr, size)
    if len(data) == size and b"\0" not in data:
        try:
            data += copy_from_user(task, addr + size, PAGE_SIZE - size)
        except KernelError:
            pass
    return data[:PAGE_SIZE - 1].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _read_some(task, addr: int, size: int) -> bytes:
    out = b""
    while len(out) < size:
        try:
            out += copy_from_user(task, addr + len(out), 1)
        except KernelError:
            break
    return out


# --- mount(2) ---------------------------------------------------------------------------
def sys_mount(task, dev_name, dir_name, fstype, flags, data) -> int:
    """mount(2): copy the strings, find the mount point, then path_mount."""
    kernel_type = copy_mount_string(task, fstype)
    kernel_dev = copy_mount_string(task, dev_name)
    options = copy_mount_options(task, data)
    target = filename_lookup(task, AT_FDCWD, getname(task, dir_name), follow=True)
    return path_mount(task, kernel_dev, target, kernel_type, flags & 0xFFFFFFFFFFFFFFFF,
                      options)


def path_mount(task, dev_name, target, fstype, flags: int, data) -> int:
    """path_mount: EINVAL for MS_NOUSER, EPERM without CAP_SYS_ADMIN, then by request."""
    if flags & MS_MGC_MSK == MS_MGC_VAL:
        flags &= ~MS_MGC_MSK
    if flags & MS_NOUSER:
        raise KernelError(Errno.EINVAL)
    if not capable(task, CAP_SYS_ADMIN):
        raise KernelError(Errno.EPERM)
    mnt_flags = mnt_flags_from(flags, target, task)
    vfs = task.kernel.vfs
    if flags & (MS_REMOUNT | MS_BIND) == MS_REMOUNT | MS_BIND:
        return do_reconfigure_mnt(task, target, mnt_flags)
    if flags & MS_REMOUNT:
        return do_remount(task, target, flags, mnt_flags, data)
    if flags & MS_BIND:
        return do_loopback(task, target, dev_name)
    if flags & MS_PROPAGATION:
        return do_change_type(vfs, target, flags)
    if flags & MS_MOVE:
        return do_move_mount_old(task, target, dev_name)
    return do_new_mount(task, target, fstype, flags, mnt_flags, dev_name, data)


def mnt_flags_from(flags: int, target, task) -> int:
    """The per-mount flags of a request (relatime unless told otherwise; a remount that
    names no atime flag keeps the mount's)."""
    mnt_flags = 0 if flags & MS_NOATIME else MNT_RELATIME
    for ms, mnt in ((MS_NOSUID, MNT_NOSUID), (MS_NODEV, MNT_NODEV), (MS_NOEXEC, MNT_NOEXEC),
                    (MS_NOATIME, MNT_NOATIME), (MS_NODIRATIME, MNT_NODIRATIME),
                    (MS_RDONLY, MNT_READONLY), (MS_NOSYMFOLLOW, MNT_NOSYMFOLLOW)):
        if flags & ms:
            mnt_flags |= mnt
    if flags & MS_STRICTATIME:
        mnt_flags &= ~(MNT_RELATIME | MNT_NOATIME)
    if flags & MS_REMOUNT and not flags & (MS_NOATIME | MS_NODIRATIME | MS_RELATIME |
                                           MS_STRICTATIME):
        current = task.kernel.vfs.mount_by_id(target.mnt_id)
        mnt_flags = (mnt_flags & ~MNT_ATIME_MASK) | \
            ((current.flags if current else MNT_RELATIME) & MNT_ATIME_MASK)
    return mnt_flags


def mount_of_root(vfs, dentry):
    """The mount whose root ``dentry`` is, or None (path->dentry != mnt->mnt_root)."""
    mnt = vfs.mount_by_id(dentry.mnt_id)
    if mnt is None or dentry.path != mnt.mountpoint:
        return None
    if mnt.root_inode is not None and getattr(dentry, "inode", None) is not mnt.root_inode:
        return None
    return mnt


def do_new_mount(task, target, fstype, flags, mnt_flags, dev_name, data) -> int:
    """do_new_mount: EINVAL without a type, ENODEV for one this kernel lacks; the mount
    point must be a directory that a walk can cross (see can_mount_on)."""
    if fstype is None:
        raise KernelError(Errno.EINVAL)
    vfs = task.kernel.vfs
    if fstype == "tmpfs":
        from glasskernel.mm.shmem_super import ShmemSb, shmem_parse_options
        ctx = shmem_parse_options(data)
        readonly = bool(flags & MS_RDONLY) if ctx.ro is None else ctx.ro
        factory = None
        can_mount_on(target)
        sb = ShmemSb(vfs, ctx, task.cred, readonly)
        root_inode = sb.root
    elif fstype in ("proc", "devtmpfs"):
        sb = vfs.procfs if fstype == "proc" else vfs.devfs
        factory = vfs.mounts[1 if fstype == "proc" else 2]._factory
        root_inode = None
        can_mount_on(target)
        here = mount_of_root(vfs, target)
        if here is not None and here.sb is sb:
            raise KernelError(Errno.EBUSY)      # the same instance on the same mount point
    elif fstype in KERNEL_ONLY_TYPES:
        raise KernelError(Errno.EINVAL)
    else:
        raise KernelError(Errno.ENODEV)
    if fstype == "tmpfs" and readonly:
        mnt_flags |= MNT_READONLY
    mnt = Mount(vfs, vfs.new_mnt_id(), target.path, sb, fstype,
                dev_name if dev_name is not None else "none", mnt_flags, factory, root_inode)
    vfs.attach(mnt, vfs.mount_by_id(target.mnt_id))
    touch_mnt_namespace(task.kernel)
    return 0


def can_mount_on(target) -> None:
    """lock_mount + graft_tree's check: a directory root goes on a directory (ENOTDIR).
    Walks cross mount points of the overlay and of tmpfs only, so a mount point inside
    /proc or /dev is refused (EINVAL) rather than mounted where nothing would see it."""
    from glasskernel.fs.overlayfs.inode import OvlDentry
    from glasskernel.mm.shmem_dir import TmpfsDentry
    if not target.is_dir():
        raise KernelError(Errno.ENOTDIR)
    if not isinstance(target, (OvlDentry, TmpfsDentry)):
        raise KernelError(Errno.EINVAL)


def do_remount(task, target, flags, mnt_flags, data) -> int:
    """do_remount: the superblock's options and read-only flag (EBUSY to go read-only
    while a file is open for writing), then the mount's flags."""
    vfs = task.kernel.vfs
    mnt = mount_of_root(vfs, target)
    if mnt is None:
        raise KernelError(Errno.EINVAL)
    sb = mnt.sb
    readonly = bool(flags & MS_RDONLY)
    if mnt.fstype == "tmpfs":
        from glasskernel.mm.shmem_super import shmem_parse_options
        ctx = shmem_parse_options(data)
        if ctx.ro is not None:
            readonly = ctx.ro
        if readonly and not sb.readonly and sb_has_writers(task.kernel, vfs, sb):
            raise KernelError(Errno.EBUSY)
        sb.reconfigure(ctx)
        sb.readonly = readonly
    elif hasattr(sb, "readonly") or readonly:
        if readonly and sb_has_writers(task.kernel, vfs, sb):
            raise KernelError(Errno.EBUSY)
        sb.readonly = readonly
    mnt.flags = mnt_flags
    touch_mnt_namespace(task.kernel)
    return 0


def do_reconfigure_mnt(task, target, mnt_flags) -> int:
    """MS_REMOUNT|MS_BIND: only the mount's flags change (read-only for this mount)."""
    mnt = mount_of_root(task.kernel.vfs, target)
    if mnt is None:
        raise KernelError(Errno.EINVAL)
    mnt.flags = mnt_flags
    touch_mnt_namespace(task.kernel)
    return 0


def do_loopback(task, target, old_name) -> int:
    """MS_BIND: the directory ``old_name`` (of a tmpfs) seen again at the mount point."""
    from glasskernel.fs.overlayfs.inode import OvlDentry
    from glasskernel.mm.shmem_dir import TmpfsDentry
    if not old_name:
        raise KernelError(Errno.EINVAL)
    source = filename_lookup(task, AT_FDCWD, old_name, follow=True)
    if source.is_dir() != target.is_dir():
        raise KernelError(Errno.ENOTDIR)
    can_mount_on(target)
    vfs = task.kernel.vfs
    if isinstance(source, TmpfsDentry):
        old = source.mnt
        mnt = Mount(vfs, vfs.new_mnt_id(), target.path, old.sb, old.fstype, old.source,
                    old.flags, None, source.inode)
    elif isinstance(source, OvlDentry) and source.path == target.path and source.is_dir():
        mnt = _overlay_self_bind(vfs, source)
    else:
        raise KernelError(Errno.EINVAL)     # binds of tmpfs directories, or of an overlay
                                            # directory onto itself (partial)
    vfs.attach(mnt, vfs.mount_by_id(target.mnt_id))
    touch_mnt_namespace(task.kernel)
    return 0


def _overlay_self_bind(vfs, source):
    """An overlay directory bound onto itself (the idiom that makes a directory a mount
    point): the same files, seen through a mount of their own."""
    from glasskernel.fs.overlayfs.inode import OvlDentry
    old = vfs.mount_by_id(source.mnt_id) or vfs.mounts[0]
    mnt = Mount(vfs, vfs.new_mnt_id(), source.path, old.sb, old.fstype, old.source,
                old.flags)
    name, lower, ftype, ofs = source.name, source.lower, source.file_type(), source.ofs

    def root(parent):
        dentry = OvlDentry(vfs, ofs, name, parent, mnt.mountpoint, lower, ftype)
        dentry.mnt_id = mnt.mnt_id
        return dentry
    mnt._factory = root
    return mnt


def do_change_type(vfs, target, flags) -> int:
    """MS_SHARED/PRIVATE/SLAVE/UNBINDABLE on a mount root: one type at a time (EINVAL).
    Every mount here is private already: no propagation between mounts is modelled."""
    if mount_of_root(vfs, target) is None:
        raise KernelError(Errno.EINVAL)
    kinds = flags & MS_PROPAGATION
    if kinds & (kinds - 1):
        raise KernelError(Errno.EINVAL)
    return 0


def do_move_mount_old(task, target, old_name) -> int:
    """MS_MOVE: the mount at ``old_name`` (a mount root, EINVAL otherwise) and the mounts
    below it move to the directory ``target``; not into itself (ELOOP)."""
    if not old_name:
        raise KernelError(Errno.EINVAL)
    vfs = task.kernel.vfs
    source = filename_lookup(task, AT_FDCWD, old_name, follow=True)
    mnt = mount_of_root(vfs, source)
    if mnt is None or mnt is vfs.mounts[0]:
        raise KernelError(Errno.EINVAL)
    can_mount_on(target)
    old, new = mnt.mountpoint, target.path
    if mnt.fstype == "overlay":
        raise KernelError(Errno.EINVAL)     # an overlay bind stays where its files are
    if new == old or new.startswith(old.rstrip("/") + "/"):
        raise KernelError(Errno.ELOOP)
    moved = [m for m in vfs.mounts if m.mountpoint == old or m.mountpoint.startswith(old + "/")]
    parent = vfs.mount_by_id(target.mnt_id)
    for m in moved:
        vfs.detach_one(m)
    for m in moved:
        m.mountpoint = new + m.mountpoint[len(old):]
        vfs.attach(m, parent if m is mnt else m.parent)
    touch_mnt_namespace(task.kernel)
    return 0


def sb_has_writers(kernel, vfs, sb) -> bool:
    """sb_prepare_remount_readonly: is a file of ``sb`` open for writing?"""
    ids = {m.mnt_id for m in vfs.mounts if m.sb is sb}
    return any(f.writable and getattr(f.dentry, "mnt_id", None) in ids
               for f in open_files(kernel))


def open_files(kernel):
    """Every open file description of every task (each table once)."""
    seen = set()
    for t in list(kernel.tasks.values()):
        files = t.files
        if files is None or id(files) in seen:
            continue
        seen.add(id(files))
        yield from list(files.fds.values())


# --- umount2(2) -------------------------------------------------------------------------
def sys_umount2(task, name, flags) -> int:
    """ksys_umount: EINVAL for unknown flags; the path names a mount's root (EINVAL
    otherwise); EPERM without CAP_SYS_ADMIN; then do_umount."""
    flags = uint_arg(flags)
    if flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW):
        raise KernelError(Errno.EINVAL)
    path = getname(task, name)
    dentry = filename_lookup(task, AT_FDCWD, path, follow=not flags & UMOUNT_NOFOLLOW)
    if not capable(task, CAP_SYS_ADMIN):
        raise KernelError(Errno.EPERM)
    vfs = task.kernel.vfs
    mnt = mount_of_root(vfs, dentry)
    if mnt is None:
        raise KernelError(Errno.EINVAL)
    return do_umount(task, vfs, mnt, flags)


def do_umount(task, vfs, mnt, flags: int) -> int:
    """do_umount: MNT_EXPIRE marks first (EAGAIN) and unmounts an unused mount the second
    time; MNT_DETACH takes the mount out of the tree now, whoever uses it; otherwise a
    mount in use (an open file, a working directory, a mapping, a mount below it) is
    EBUSY. The root is never unmounted (EBUSY; EINVAL for MNT_EXPIRE)."""
    is_root = mnt is vfs.mounts[0]
    if flags & MNT_EXPIRE:
        if is_root or flags & (MNT_FORCE | MNT_DETACH):
            raise KernelError(Errno.EINVAL)
        if mount_busy(task.kernel, vfs, mnt):
            raise KernelError(Errno.EBUSY)
        if not vfs.expiry_marks.get(mnt.mnt_id):
            vfs.expiry_marks[mnt.mnt_id] = True
            raise KernelError(Errno.EAGAIN)
    if is_root:
        raise KernelError(Errno.EBUSY)
    if not flags & MNT_DETACH and mount_busy(task.kernel, vfs, mnt):
        raise KernelError(Errno.EBUSY)
    vfs.expiry_marks.pop(mnt.mnt_id, None)
    vfs.detach(mnt)
    touch_mnt_namespace(task.kernel)
    return 0


def mount_busy(kernel, vfs, mnt) -> bool:
    """propagate_mount_busy: something is mounted below ``mnt`` or holds it (an open
    file, a working or root directory, a file mapping)."""
    if vfs.children_of(mnt):
        return True
    mnt_id = mnt.mnt_id
    if any(getattr(f.dentry, "mnt_id", None) == mnt_id for f in open_files(kernel)):
        return True
    for t in list(kernel.tasks.values()):
        fs = t.fs
        if fs is not None and mnt_id in (fs.cwd.mnt_id, fs.root.mnt_id):
            return True
        mm = t.mm
        for vma in mm.vmas if mm is not None else ():
            dentry = getattr(vma.file, "dentry", None)
            if dentry is not None and getattr(dentry, "mnt_id", None) == mnt_id:
                return True
    return False


# sys_oldumount: umount(2) of i386 (number 22): umount2 without flags.
def sys_oldumount(task, name) -> int:
    return sys_umount2(task, name, 0)
