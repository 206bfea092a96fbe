"""Overlay dentries: lookup, attributes, readdir and open (fs/overlayfs/namei.c, inode.c,
readdir.c, file.c).

An ``OvlDentry`` records whether a lower entry is part of its merged view (``lower``);
whether an upper entry exists is asked of the host each time, because copy-up changes it.
Host objects are reached only through the layers' descriptors (layer.py), so no symlink
is ever followed by the host. A dentry that a file or a working directory holds is
*pinned* (``pin``): it keeps the host object it names (``HostInode``) and follows renames
and unlinks of its name, so an open descriptor names what it was opened on.
"""
import os
import stat as pystat

from glasskernel.fs.dcache import Dentry
from glasskernel.fs.file_table import DirFile
from glasskernel.fs.internal import child_path, generic_permission, host_errors
from glasskernel.fs.kstat import StatResult
from glasskernel.fs.overlayfs import copy_up
from glasskernel.fs.overlayfs import dir as ovl_dir
from glasskernel.fs.overlayfs.file import HostInode, OvlFile, UpperName
from glasskernel.fs.overlayfs.layer import fd_path
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_ACCMODE, O_NOATIME, O_RDONLY, O_TRUNC, O_WRONLY
from glasskernel.uapi.stat import DT_BLK, DT_CHR, DT_DIR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, dt_from_mode


class OvlDentry(Dentry):
    """A name in the merged tree (struct ovl_entry + its dentry)."""

    def __init__(self, vfs, ofs, name: str, parent, path: str, lower: bool, ftype: int = None):
        super().__init__(name, parent, path)
        self.vfs = vfs
        self.ofs = ofs
        self.lower = lower          # the lower entry at this path is part of the merged view
        self.mnt_id = ofs.mnt_id
        # The S_IFMT bits, fixed for the dentry's life as an inode's type is (a name that
        # gets replaced is a new dentry): a walk asks is_dir/is_symlink at every step, and
        # the lookup that made us knew the answer already.
        self._ftype = ftype
        self.deleted = False        # unlinked or replaced since it was pinned (d_delete)
        self.inode = None           # a pinned dentry's HostInode: the object it names

    def file_type(self) -> int:
        if self._ftype is None:
            self._ftype = self.mode() & S_IFMT
        return self._ftype

    def is_dir(self) -> bool:
        return self.file_type() == S_IFDIR

    def is_symlink(self) -> bool:
        return self.file_type() == S_IFLNK

    def is_reg(self) -> bool:
        return self.file_type() == S_IFREG

    # --- pinning (a file or a working directory holds this dentry) ------------------------
    def pin(self) -> None:
        """Follow renames and unlinks of this name, as a dentry an open file holds does in
        Linux; the overlay grabs the host object itself just before the name goes
        (``grab_inode``), so an open costs no host call for it."""
        self.ofs.pin(self)

    def grab_inode(self) -> None:
        """The name is about to be unlinked or replaced: hold its host object (an O_PATH
        descriptor), through which the descriptors open on it still reach it."""
        if self.inode is None:
            upper = self.upper_stat() is not None
            with host_errors():
                self.inode = HostInode(self.ofs.upper if upper else self.ofs.lower, self.path,
                                       upper)

    def reparent(self) -> None:
        """After a rename moved this pinned dentry, find its new parent dentry."""
        node = self.vfs.root
        for name in self.path.strip("/").split("/")[:-1]:
            node = node.lookup(None, name)
        self.parent = node

    # --- which layer ----------------------------------------------------------------------
    def upper_stat(self):
        return self.ofs.upper_lstat(self.path)

    def real(self):
        """(layer, os.stat_result) of the layer that shows this entry (ovl_path_real)."""
        if self.deleted:
            if self.inode is None:
                raise KernelError(Errno.ENOENT)
            return self.inode.layer, self.inode.stat()
        st = self.upper_stat()
        if st is not None:
            return self.ofs.upper, st
        if self.lower and self.path not in self.ofs.whiteouts:
            st = self.ofs.lower_lstat(self.path)
            if st is not None:
                return self.ofs.lower, st
        raise KernelError(Errno.ENOENT)    # deleted since it was looked up

    def lower_dir_visible(self) -> bool:
        """Whether lower's directory at this path contributes entries (not opaque)."""
        return self.lower and not self.deleted and not self.ofs.is_opaque(self.path)

    def stat(self):
        """Attributes of the visible layer (see shown_stat for a merged directory)."""
        return StatResult.from_host(self.shown_stat())

    def shown_stat(self):
        """The host's os.stat_result behind ``stat`` (no conversion).

        A merged directory keeps the lower one's identity (device, inode, link count)
        with the upper copy's attributes: copy-up gave it lower's, and chmod, chown and
        utimes change them there.
        """
        layer, st = self.real()
        if layer is self.ofs.upper and not pystat.S_ISDIR(st.st_mode):
            return self.ofs.shown_identity(st)
        if pystat.S_ISDIR(st.st_mode) and self.lower_dir_visible():
            lower = self.ofs.lower_lstat(self.path)
            if lower is not None and pystat.S_ISDIR(lower.st_mode) and lower is not st:
                st = _merged_dir_stat(st, lower)
        return st

    def permission(self, mask: int, cred=None) -> None:
        """inode_permission on the attributes ``stat`` shows (exec checks one per exec)."""
        if not generic_permission(self.shown_stat(), mask, cred):
            raise KernelError(Errno.EACCES)

    def mode(self) -> int:
        return self.real()[1].st_mode

    # --- lookup and readdir -----------------------------------------------------------
    def lookup(self, task, name: str) -> Dentry:
        """ovl_lookup: upper entry first; lower only if visible and both are directories."""
        if not self.is_dir():
            raise KernelError(Errno.ENOTDIR)
        if self.deleted:
            raise KernelError(Errno.ENOENT)
        path = child_path(self.path, name)
        mount = self.vfs.mount_at(path, self)
        if mount is not None:
            return mount
        up = self.ofs.upper_lstat(path)
        low = None
        if self.lower_dir_visible() and path not in self.ofs.whiteouts:
            low = self.ofs.lower_lstat(path)
        if up is not None and low is not None:
            both_dirs = pystat.S_ISDIR(up.st_mode) and pystat.S_ISDIR(low.st_mode)
            if not both_dirs or self.ofs.is_opaque(path):
                low = None
        if up is None and low is None:
            raise KernelError(Errno.ENOENT)
        shown = up if up is not None else low
        child = OvlDentry(self.vfs, self.ofs, name, self, path, low is not None,
                          shown.st_mode & S_IFMT)
        child.mnt_id = self.mnt_id          # the mount we walk in (a bind mount's own id)
        return child

    def lower_entry_exists(self, name: str) -> bool:
        """Would lower show an entry ``name`` here, were it not whited out? (needs whiteout)"""
        if not self.lower_dir_visible():
            return False
        return self.ofs.lower_lstat(child_path(self.path, name)) is not None

    def iterate(self, task) -> list:
        """ovl_iterate: upper's entries, then lower's not shadowed or whited out."""
        if not self.is_dir():
            raise KernelError(Errno.ENOTDIR)
        if self.deleted:
            raise KernelError(Errno.ENOENT)     # IS_DEADDIR
        seen = {}
        if self.upper_stat() is not None:
            _scan(self.ofs.upper, self.path, seen, lambda name: True)
            if self.ofs.origins or self.ofs.devnodes:
                _upper_identities(self.ofs, seen)
        if self.lower_dir_visible():
            hidden = self.ofs.whiteouts
            _scan(self.ofs.lower, self.path, seen,
                  lambda name: child_path(self.path, name) not in hidden)
        for path, name in self.vfs.mount_names(self.path):
            if name not in seen:
                mount = self.vfs.mount_at(path, self)
                seen[name] = (mount.stat().st_ino, DT_DIR)
        return [(name, ino, dtype) for name, (ino, dtype) in seen.items()]

    # --- symlinks ---------------------------------------------------------------------
    def get_link(self, task):
        layer, st = self.real()
        if not pystat.S_ISLNK(st.st_mode):
            raise KernelError(Errno.EINVAL)
        if self.deleted:
            return self.inode.readlink()
        if layer is self.ofs.lower:
            return self.ofs.lower_readlink(self.path)
        with host_errors():
            return layer.readlink(self.path)

    # --- opening --------------------------------------------------------------------------
    def open(self, task, flags: int):
        """ovl_open: copy up first if the file may be written (or truncated)."""
        layer, st = self.real()
        if pystat.S_ISDIR(st.st_mode):
            self.pin()
            return DirFile(self, flags, task)
        if pystat.S_ISCHR(st.st_mode):          # our driver by number, never the host's node
            from glasskernel.fs.char_dev import chrdev_open
            return chrdev_open(task, self, st.st_rdev, flags)
        if pystat.S_ISBLK(st.st_mode):
            from glasskernel.block.fops import blkdev_open
            return blkdev_open(task, self, st.st_rdev, flags)
        if pystat.S_ISSOCK(st.st_mode):
            raise KernelError(Errno.ENXIO)
        if pystat.S_ISFIFO(st.st_mode):
            from glasskernel.fs.fifo import fifo_open
            return fifo_open(task, self, flags, (st.st_dev, st.st_ino))   # never the host's
        acc = flags & O_ACCMODE
        writing = acc != O_RDONLY or flags & O_TRUNC
        host_flags = {O_RDONLY: os.O_RDONLY, O_WRONLY: os.O_WRONLY}.get(acc, os.O_RDWR)
        if flags & O_TRUNC:
            host_flags |= os.O_TRUNC
        if flags & O_NOATIME:
            host_flags |= os.O_NOATIME      # else the host's relatime would touch the atime
        with host_errors():
            if self.deleted:
                fd = self.inode.reopen(host_flags, writing)
            else:
                if writing:
                    copy_up.copy_up(self, data=not flags & O_TRUNC)
                    layer = self.ofs.upper
                fd = layer.open(self.path, host_flags)
        file = OvlFile(self, flags, fd)
        self.pin()
        return file

    # --- attribute changes (ovl_setattr): always on the upper copy ------------------------
    def _upper_inode(self):
        """The upper object to change: copied up first, or the pinned one if deleted."""
        if self.deleted:
            if not self.inode.upper:
                raise KernelError(Errno.ENOENT)
            return self.inode
        copy_up.copy_up(self)
        return UpperName(self.ofs.upper, self.path)

    def chmod(self, mode: int) -> None:
        with host_errors():
            self._upper_inode().chmod(mode)

    def chown(self, uid, gid) -> None:
        """Change owner and/or group (None leaves one as it is); never through a symlink
        (the VFS already followed it when the caller asked)."""
        with host_errors():
            self._upper_inode().chown(-1 if uid is None else uid, -1 if gid is None else gid)

    def truncate(self, length: int) -> None:
        if not self.deleted:
            copy_up.copy_up(self, data=length > 0)
        with host_errors():
            self._upper_inode().truncate(length)

    def utimes(self, atime_ns, mtime_ns) -> None:
        with host_errors():
            self._upper_inode().utimes(atime_ns, mtime_ns)

    # --- extended attributes (overlayfs/xattrs.c) ----------------------------------------
    def _xattr_source(self):
        """An O_PATH descriptor of the object that shows (the caller closes it), or None
        for a symlink (no attributes reach the guest through one)."""
        layer, st = self.real()
        if pystat.S_ISLNK(st.st_mode):
            return None
        with host_errors():
            return os.dup(self.inode.fd) if self.deleted else layer.open(self.path, os.O_PATH)

    def getxattr(self, name: str) -> bytes:
        fd = self._xattr_source()
        if fd is None:
            raise KernelError(Errno.ENODATA)
        try:
            with host_errors():
                return os.getxattr(fd_path(fd), name)
        finally:
            os.close(fd)

    def listxattr(self) -> list:
        fd = self._xattr_source()
        if fd is None:
            return []
        try:
            with host_errors():
                return os.listxattr(fd_path(fd))
        finally:
            os.close(fd)

    def setxattr(self, name: str, value: bytes, flags: int) -> None:
        with host_errors():
            self._upper_inode().setxattr(name, value, flags)

    def removexattr(self, name: str) -> None:
        with host_errors():
            self._upper_inode().removexattr(name)

    # --- directory operations (overlayfs/dir.c) -----------------------------------------
    def create(self, task, name, mode):
        return ovl_dir.ovl_create(self, task, name, mode)

    def mkdir(self, task, name, mode):
        return ovl_dir.ovl_mkdir(self, task, name, mode)

    def tmpfile(self, task, mode, flags):
        return ovl_dir.ovl_tmpfile(self, task, mode, flags)

    def symlink(self, task, name, target):
        ovl_dir.ovl_symlink(self, task, name, target)

    def mknod(self, task, name, mode, dev=0):
        ovl_dir.ovl_mknod(self, task, name, mode, dev)

    def link(self, task, old, name):
        ovl_dir.ovl_link(self, task, old, name)

    def unlink(self, task, child):
        ovl_dir.ovl_remove(self, task, child, is_dir=False)

    def rmdir(self, task, child):
        ovl_dir.ovl_remove(self, task, child, is_dir=True)

    def rename(self, task, old, new_dir, new_name, new, flags):
        ovl_dir.ovl_rename(self, task, old, new_dir, new_name, new, flags)


def _merged_dir_stat(upper, lower) -> os.stat_result:
    """Upper's attributes under lower's identity (ovl_getattr for a merged directory)."""
    return os.stat_result(
        (upper.st_mode, lower.st_ino, lower.st_dev, lower.st_nlink, upper.st_uid, upper.st_gid,
         upper.st_size, upper.st_atime, upper.st_mtime, upper.st_ctime),
        {"st_atime_ns": upper.st_atime_ns, "st_mtime_ns": upper.st_mtime_ns,
         "st_ctime_ns": upper.st_ctime_ns, "st_blksize": upper.st_blksize,
         "st_blocks": upper.st_blocks, "st_rdev": upper.st_rdev})


def _upper_identities(ofs, seen: dict) -> None:
    """d_ino and d_type as stat shows them: copied-up files keep lower's inode number,
    device placeholders show their type."""
    for name, (ino, dtype) in list(seen.items()):
        if dtype == DT_DIR:
            continue
        key = (ofs.upper_dev, ino)
        origin = ofs.origins.get(key)
        node = ofs.devnodes.get(key)
        if node is not None:
            dtype = DT_CHR if node[0] == pystat.S_IFCHR else DT_BLK
        seen[name] = (origin[1] if origin is not None else ino, dtype)


def _scan(layer, path: str, seen: dict, visible) -> None:
    """Add the entries of one layer's directory to ``seen`` (name -> (ino, d_type))."""
    with host_errors():
        entries = layer.scandir(path)
    for name, ino, ftype in entries:
        if name in seen or not visible(name):
            continue
        seen[name] = (ino, dt_from_mode(ftype) if ftype is not None else 0)
