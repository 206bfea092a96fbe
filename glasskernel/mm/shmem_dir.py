"""tmpfs dentries: lookup, readdir, create, link, rename, attributes and open
(mm/shmem.c's shmem_dir_inode_operations, shmem_inode_operations and libfs's simple_*).

A ``TmpfsDentry`` names one inode of a ShmemSb as seen through one mount. A directory's
path is computed from its inode's parent links, so a working directory or a directory fd
follows renames of any of its ancestors, as a dentry does. Everything happens in the
guest's memory (see shmem_super.py).
"""
import struct

from glasskernel.fs.dcache import Dentry
from glasskernel.fs.file_table import DirFile
from glasskernel.fs.internal import child_path, generic_permission
from glasskernel.fs.kstat import StatResult
from glasskernel.mm.memfd import MemfdFile
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.mm.shmem_super import BOGO_DIRENT_SIZE, S_IFDIR, S_IFLNK, ShmemSb, now
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_TRUNC, RENAME_EXCHANGE, RENAME_NOREPLACE
from glasskernel.uapi.stat import (S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK,
                                   dt_from_mode)

MAY_WRITE = 2
XATTR_CREATE, XATTR_REPLACE = 1, 2
FS_IMMUTABLE_FL, FS_APPEND_FL, FS_NODUMP_FL, FS_NOATIME_FL = 0x10, 0x20, 0x40, 0x80
SHMEM_FL_USER_VISIBLE = 0x0003DFFF          # FS_FL_USER_VISIBLE
SHMEM_FL_USER_MODIFIABLE = FS_IMMUTABLE_FL | FS_APPEND_FL | FS_NODUMP_FL | FS_NOATIME_FL
FS_IOC_GETFLAGS, FS_IOC_SETFLAGS = 0x80086601, 0x40086602


class TmpfsDentry(Dentry):
    """A tmpfs name: the inode, the mount it is seen through, the parent dentry."""

    def __init__(self, mnt, inode, name: str, parent):
        self.mnt = mnt
        self.sb: ShmemSb = mnt.sb
        self.inode = inode
        self.name = name
        self.parent = parent if parent is not None else self
        self.mnt_id = mnt.mnt_id
        self._path = child_path(parent.path, name) if parent is not None else mnt.mountpoint

    # --- naming -----------------------------------------------------------------------
    @property
    def path(self) -> str:
        """d_path: a directory's from its ancestors (renames move it), else as looked up."""
        inode = self.inode
        if inode.mode & S_IFMT != S_IFDIR:
            return self._path
        names = []
        root = self.mnt.root_inode
        while inode is not root:
            if inode.parent is inode or inode.nlink == 0:
                return self._path           # moved out of this mount's view, or deleted
            names.append(inode.name)
            inode = inode.parent
        base = self.mnt.mountpoint
        return base if not names else child_path(base, "/".join(reversed(names)))

    @path.setter
    def path(self, value: str) -> None:
        self._path = value

    @property
    def deleted(self) -> bool:
        return self.inode.nlink == 0

    def _child(self, name: str, inode) -> "TmpfsDentry":
        return TmpfsDentry(self.mnt, inode, name, self)

    # --- attributes -------------------------------------------------------------------
    def mode(self) -> int:
        return self.inode.mode

    def stat(self):
        i = self.inode
        blocks = len(i.pages) * (PAGE_SIZE // 512)
        return StatResult(self.sb.dev, i.ino, i.mode, i.nlink, i.uid, i.gid,
                          getattr(i, "rdev", 0), i.size,
                          PAGE_SIZE, blocks, i.atime, i.mtime, i.ctime)

    def permission(self, mask: int, cred=None) -> None:
        """sb_permission then generic_permission: writing a file, directory or symlink of
        a read-only instance is EROFS whoever asks."""
        if mask & MAY_WRITE and self.sb.readonly and \
                self.inode.mode & S_IFMT in (S_IFREG, S_IFDIR, S_IFLNK):
            raise KernelError(Errno.EROFS)
        if mask & MAY_WRITE and self.inode.fsflags & FS_IMMUTABLE_FL:
            raise KernelError(Errno.EPERM)          # nobody writes an immutable file
        if not generic_permission(self.stat(), mask, cred):
            raise KernelError(Errno.EACCES)

    def inode_flags(self) -> int:
        """The chattr flags (IS_IMMUTABLE, IS_APPEND) the VFS enforces."""
        return self.inode.fsflags

    def statx_attributes(self):
        """shmem_getattr: append, immutable and nodump, all three in the mask."""
        mask = FS_APPEND_FL | FS_IMMUTABLE_FL | FS_NODUMP_FL     # = the STATX_ATTR_ bits
        return self.inode.fsflags & mask, mask

    def statfs(self):
        """shmem_statfs, with f_flags from the mount (calculate_f_flags)."""
        from glasskernel.fs.namespace import (MNT_NOATIME, MNT_NODEV, MNT_NODIRATIME,
                                              MNT_NOEXEC, MNT_NOSUID, MNT_NOSYMFOLLOW,
                                              MNT_RELATIME)
        st = self.sb.statfs()
        flags = self.mnt.flags
        st.f_flags |= 0x0001 if self.mnt.readonly else 0      # ST_RDONLY
        for mnt_flag, st_flag in ((MNT_NOSUID, 0x2), (MNT_NODEV, 0x4), (MNT_NOEXEC, 0x8),
                                  (MNT_NOATIME, 0x400), (MNT_NODIRATIME, 0x800),
                                  (MNT_RELATIME, 0x1000), (MNT_NOSYMFOLLOW, 0x2000)):
            if flags & mnt_flag:
                st.f_flags |= st_flag
        return st

    # --- lookup and readdir -----------------------------------------------------------
    def _dir(self):
        if self.inode.mode & S_IFMT != S_IFDIR:
            raise KernelError(Errno.ENOTDIR)
        if self.inode.nlink == 0:
            raise KernelError(Errno.ENOENT)
        return self.inode

    def lookup(self, task, name: str) -> Dentry:
        directory = self._dir()
        mounted = self.mnt.vfs.mount_at(child_path(self.path, name), self)
        if mounted is not None:
            return mounted
        inode = directory.children.get(name)
        if inode is None:
            raise KernelError(Errno.ENOENT)
        return self._child(name, inode)

    def iterate(self, task) -> list:
        """dcache_readdir: the entries, newest first as tmpfs lists them (a mount point
        shows the directory it covers, as d_ino does on Linux)."""
        directory = self._dir()
        return [(name, inode.ino, dt_from_mode(inode.mode))
                for name, inode in reversed(list(directory.children.items()))]

    # --- creating ---------------------------------------------------------------------
    def _new(self, task, name: str, mode: int):
        """shmem_mknod: an inode owned by the caller (inode_init_owner: a set-group-ID
        directory gives its group, and its bit to subdirectories)."""
        directory = self._dir()
        cred = task.cred
        gid = cred.fsgid
        if directory.mode & 0o2000:
            gid = directory.gid
            if mode & S_IFMT == S_IFDIR:
                mode |= 0o2000
        inode = self.sb.new_inode(mode, cred.fsuid, gid, task.mm.phys)
        self._add(name, inode)
        return inode

    def _add(self, name: str, inode) -> None:
        directory = self.inode
        directory.children[name] = inode
        directory.size += BOGO_DIRENT_SIZE
        directory.mtime = directory.ctime = now()
        if inode.mode & S_IFMT == S_IFDIR:
            inode.parent, inode.name = directory, name
            directory.nlink += 1

    def _drop(self, name: str) -> None:
        directory = self.inode
        inode = directory.children.pop(name)
        directory.size -= BOGO_DIRENT_SIZE
        directory.mtime = directory.ctime = inode.ctime = now()
        if inode.mode & S_IFMT == S_IFDIR:
            directory.nlink -= 1
            inode.nlink = 0
        else:
            inode.nlink -= 1
        if inode.nlink == 0:
            self.sb.evict(inode)
            inode.put()             # the directory's reference; open files keep theirs

    def create(self, task, name: str, mode: int):
        return self._child(name, self._new(task, name, S_IFREG | (mode & 0o7777)))

    def mkdir(self, task, name: str, mode: int):
        return self._child(name, self._new(task, name, S_IFDIR | (mode & 0o7777)))

    def mknod(self, task, name: str, mode: int, rdev: int = 0) -> None:
        """shmem_mknod: a FIFO, a socket or a device node (the VFS checked CAP_MKNOD)."""
        if mode & S_IFMT not in (S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK):
            raise KernelError(Errno.EPERM)
        self._new(task, name, mode).rdev = rdev

    def symlink(self, task, name: str, target: str) -> None:
        """shmem_symlink: ENAMETOOLONG for a body of a page or more."""
        if len(target.encode(errors="surrogateescape")) >= PAGE_SIZE:
            raise KernelError(Errno.ENAMETOOLONG)
        inode = self._new(task, name, S_IFLNK | 0o777)
        inode.target = target
        inode.size = len(target.encode(errors="surrogateescape"))

    def tmpfile(self, task, mode: int, flags: int):
        """shmem_tmpfile: a file with no name yet (linkat can give it one)."""
        self._dir()
        cred = task.cred
        inode = self.sb.new_inode(S_IFREG | (mode & 0o7777), cred.fsuid, cred.fsgid,
                                  task.mm.phys)
        inode.nlink = 0
        dentry = TmpfsDentry(self.mnt, inode, f"#{inode.ino}", self)
        return TmpfsFile(inode, flags, dentry)      # the file holds the only reference

    def link(self, task, old, name: str) -> None:
        """shmem_link: one more name (a nameless O_TMPFILE file gets its first one)."""
        if not isinstance(old, TmpfsDentry) or old.sb is not self.sb:
            raise KernelError(Errno.EXDEV)
        self._dir()
        inode = old.inode
        if inode.nlink == 0:
            self.sb.inodes[inode.ino] = inode       # O_TMPFILE's file counts again
        inode.get()
        self._add(name, inode)
        inode.nlink += 1
        inode.ctime = now()

    def unlink(self, task, child) -> None:
        self._drop(child.name)

    def rmdir(self, task, child) -> None:
        if child.inode.children:
            raise KernelError(Errno.ENOTEMPTY)
        self._drop(child.name)

    def rename(self, task, old, new_dir, new_name: str, new, flags: int) -> None:
        """shmem_rename2: EXCHANGE swaps two names, NOREPLACE refuses an existing one,
        else the target (an empty directory for a directory) is replaced."""
        if not isinstance(new_dir, TmpfsDentry) or new_dir.sb is not self.sb:
            raise KernelError(Errno.EXDEV)
        src_dir, dst_dir = self.inode, new_dir.inode
        inode = src_dir.children[old.name]
        if flags & RENAME_EXCHANGE:
            other = dst_dir.children[new_name]
            src_dir.children[old.name], dst_dir.children[new_name] = other, inode
            _moved(other, src_dir, old.name, dst_dir)
            _moved(inode, dst_dir, new_name, src_dir)
            return
        if new is not None:
            if new.inode.mode & S_IFMT == S_IFDIR and new.inode.children:
                raise KernelError(Errno.ENOTEMPTY)
            new_dir._drop(new_name)
        del src_dir.children[old.name]
        src_dir.size -= BOGO_DIRENT_SIZE
        dst_dir.children[new_name] = inode
        dst_dir.size += BOGO_DIRENT_SIZE
        _moved(inode, dst_dir, new_name, src_dir)

    # --- symlinks ---------------------------------------------------------------------
    def get_link(self, task):
        if self.inode.mode & S_IFMT != S_IFLNK:
            raise KernelError(Errno.EINVAL)
        return self.inode.target

    # --- attribute changes (shmem_setattr) ----------------------------------------------
    def _settable(self) -> None:
        """notify_change: an immutable or append-only inode keeps its attributes."""
        if self.inode.fsflags & (FS_IMMUTABLE_FL | FS_APPEND_FL):
            raise KernelError(Errno.EPERM)

    def chmod(self, mode: int) -> None:
        self._settable()
        self.inode.mode = (self.inode.mode & ~0o7777) | (mode & 0o7777)
        self.inode.ctime = now()

    def chown(self, uid, gid) -> None:
        self._settable()
        inode = self.inode
        inode.uid = inode.uid if uid is None else uid
        inode.gid = inode.gid if gid is None else gid
        if inode.mode & S_IFMT != S_IFDIR:
            inode.mode &= ~0o4000           # ATTR_KILL_SUID
            if inode.mode & 0o010:
                inode.mode &= ~0o2000       # ATTR_KILL_SGID
        inode.ctime = now()

    def truncate(self, length: int) -> None:
        if self.inode.mode & S_IFMT != S_IFREG:
            raise KernelError(Errno.EINVAL)
        if length > self.inode.size and not self.sb.may_allocate(0):
            raise KernelError(Errno.ENOSPC)
        self.inode.resize(length)

    def utimes(self, atime_ns, mtime_ns) -> None:
        inode = self.inode
        if atime_ns is not None:
            inode.atime = divmod(atime_ns, 10**9)
        if mtime_ns is not None:
            inode.mtime = divmod(mtime_ns, 10**9)
        inode.ctime = now()

    # --- extended attributes (simple_xattr: trusted.*, security.*, user.*) --------------
    def getxattr(self, name: str) -> bytes:
        value = self.inode.xattrs.get(name)
        if value is None:
            raise KernelError(Errno.ENODATA)
        return value

    def listxattr(self) -> list:
        return list(self.inode.xattrs)

    def setxattr(self, name: str, value: bytes, flags: int) -> None:
        xattrs = self.inode.xattrs
        if not name.startswith(("user.", "trusted.", "security.")):
            raise KernelError(Errno.EOPNOTSUPP)
        if name.startswith("user.") and self.inode.mode & S_IFMT not in (S_IFREG, S_IFDIR):
            raise KernelError(Errno.EPERM)
        if flags & XATTR_CREATE and name in xattrs:
            raise KernelError(Errno.EEXIST)
        if flags & XATTR_REPLACE and name not in xattrs:
            raise KernelError(Errno.ENODATA)
        xattrs[name] = bytes(value)
        self.inode.ctime = now()

    def removexattr(self, name: str) -> None:
        if self.inode.xattrs.pop(name, None) is None:
            raise KernelError(Errno.ENODATA)
        self.inode.ctime = now()

    # --- opening ------------------------------------------------------------------------
    def open(self, task, flags: int):
        kind = self.inode.mode & S_IFMT
        if kind == S_IFDIR:
            return TmpfsDirFile(self, flags, task)
        if kind == S_IFIFO:
            from glasskernel.fs.fifo import fifo_open
            return fifo_open(task, self, flags, (self.sb.dev, self.inode.ino))
        if kind in (S_IFCHR, S_IFBLK):
            from glasskernel.fs.namespace import MNT_NODEV
            if self.mnt.flags & MNT_NODEV:
                raise KernelError(Errno.EACCES)     # may_open: a nodev mount's nodes
            if kind == S_IFCHR:
                from glasskernel.fs.char_dev import chrdev_open
                return chrdev_open(task, self, self.inode.rdev, flags)
            from glasskernel.block.fops import blkdev_open
            return blkdev_open(task, self, self.inode.rdev, flags)
        if kind != S_IFREG:
            raise KernelError(Errno.ENXIO)
        file = TmpfsFile(self.inode.get(), flags, self)
        if flags & O_TRUNC and self.inode.size:
            file.truncate(0)
        return file


def _moved(inode, new_dir, name: str, old_dir) -> None:
    """A rename moved ``inode`` to ``new_dir``/``name``: link counts of directories."""
    inode.ctime = new_dir.mtime = new_dir.ctime = old_dir.mtime = old_dir.ctime = now()
    if inode.mode & S_IFMT == S_IFDIR:
        inode.parent, inode.name = new_dir, name
        if new_dir is not old_dir:
            old_dir.nlink -= 1
            new_dir.nlink += 1


def touch_atime(file) -> None:
    """touch_atime after a read or a readdir: not with O_NOATIME, FS_NOATIME_FL, on a
    noatime (directories: nodiratime) or read-only mount; under relatime only when the
    access time is not after the change times or is a day old."""
    from glasskernel.fs.namespace import MNT_NOATIME, MNT_NODIRATIME, MNT_RELATIME
    dentry = file.dentry
    inode, mnt = dentry.inode, dentry.mnt
    if file.flags & 0o1000000 or inode.fsflags & FS_NOATIME_FL or mnt.readonly:
        return
    if mnt.flags & MNT_NOATIME or (mnt.flags & MNT_NODIRATIME and
                                   inode.mode & S_IFMT == S_IFDIR):
        return
    stamp = now()
    if mnt.flags & MNT_RELATIME and inode.atime > max(inode.mtime, inode.ctime) and \
            stamp[0] - inode.atime[0] < 24 * 60 * 60:
        return
    inode.atime = stamp


class TmpfsDirFile(DirFile):
    """An open tmpfs directory: readdir, and the chattr flags ioctls."""

    def getdents(self) -> list:
        entries = super().getdents()
        touch_atime(self)
        return entries

    def ioctl(self, cmd: int, arg: int, task) -> int:
        return fileattr_ioctl(self, cmd, arg, task)


def fileattr_ioctl(file, cmd: int, arg: int, task) -> int:
    """FS_IOC_GETFLAGS / FS_IOC_SETFLAGS (shmem_fileattr_get/set); ENOTTY otherwise."""
    if cmd == FS_IOC_GETFLAGS:
        flags = file.dentry.inode.fsflags & SHMEM_FL_USER_VISIBLE
        copy_to_user(task, arg, struct.pack("<i", flags))
        return 0
    if cmd == FS_IOC_SETFLAGS:
        flags = struct.unpack("<I", copy_from_user(task, arg, 4))[0]
        return fileattr_set(task, file.dentry, flags)
    raise KernelError(Errno.ENOTTY)


class TmpfsFile(MemfdFile):
    """An open tmpfs regular file: the memfd's file operations, with the instance's size
    limit (ENOSPC) and the times a write changes."""

    is_regular = True

    def write_at(self, data: bytes, pos: int) -> int:
        """shmem_write_begin per page: stop at the first page the limit refuses (a short
        write, or ENOSPC if nothing was written)."""
        sb = self.inode.tmpfs_sb
        if not data:
            return 0
        first, last = pos // PAGE_SIZE, (pos + len(data) - 1) // PAGE_SIZE
        new = [i for i in range(first, last + 1) if i not in self.inode.pages]
        room = len(new)
        if not sb.may_allocate(room):
            room = max(0, sb.max_blocks - sb.used_blocks())
            if room == 0:
                raise KernelError(Errno.ENOSPC)
            data = data[:new[room] * PAGE_SIZE - pos]
        n = super().write_at(data, pos)
        self.inode.mtime = self.inode.ctime = now()
        return n

    def truncate(self, length: int) -> None:
        self.inode.resize(length)

    def read_at(self, count: int, pos: int) -> bytes:
        data = super().read_at(count, pos)
        if count:
            touch_atime(self)
        return data

    def ioctl(self, cmd: int, arg: int, task) -> int:
        """FS_IOC_GETFLAGS / FS_IOC_SETFLAGS (shmem_fileattr_get/set), then FIONREAD."""
        if cmd in (FS_IOC_GETFLAGS, FS_IOC_SETFLAGS):
            return fileattr_ioctl(self, cmd, arg, task)
        return super().ioctl(cmd, arg, task)

    def fallocate(self, mode: int, offset: int, length: int) -> None:
        """shmem_fallocate: ENOSPC if the pages asked for do not fit."""
        if not mode & 0x02:
            first, last = offset // PAGE_SIZE, (offset + length - 1) // PAGE_SIZE
            missing = sum(1 for i in range(first, last + 1) if i not in self.inode.pages)
            if not self.inode.tmpfs_sb.may_allocate(missing):
                raise KernelError(Errno.ENOSPC)
        super().fallocate(mode, offset, length)


def fileattr_set(task, dentry, flags: int) -> int:
    """ioctl_setflags + vfs_fileattr_set: EROFS on a read-only mount, EPERM unless the
    owner (or CAP_FOWNER), EPERM to change immutable or append-only without
    CAP_LINUX_IMMUTABLE, EOPNOTSUPP for a flag tmpfs does not keep."""
    from glasskernel.fs.namespace import mnt_want_write
    from glasskernel.kernel.capability import cred_capable
    from glasskernel.uapi.capability import CAP_FOWNER, CAP_LINUX_IMMUTABLE
    mnt_want_write(task, dentry)
    inode, cred = dentry.inode, task.cred
    if cred.fsuid != inode.uid and not cred_capable(cred, CAP_FOWNER):
        raise KernelError(Errno.EPERM)
    if (inode.fsflags ^ flags) & (FS_APPEND_FL | FS_IMMUTABLE_FL) and \
            not cred_capable(cred, CAP_LINUX_IMMUTABLE):
        raise KernelError(Errno.EPERM)
    if flags & ~SHMEM_FL_USER_MODIFIABLE:
        raise KernelError(Errno.EOPNOTSUPP)
    inode.fsflags = (inode.fsflags & ~SHMEM_FL_USER_MODIFIABLE) | flags
    inode.ctime = now()
    return 0
