"""One layer of the overlay, reached only through a directory descriptor we hold.

The rule (docs/design.md, "The sandbox's host access"): the host is never handed a path it
could resolve through a symlink. Every guest path is resolved by our own VFS; a layer then
opens the host object beneath its root descriptor with openat2(RESOLVE_BENEATH |
RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), so a symlink anywhere on the way (the guest
can plant one in the upper layer, pointing anywhere on the host) makes the host call fail
with ELOOP instead of being followed. Changes are made through the parent's descriptor
(``*at`` calls with AT_SYMLINK_NOFOLLOW) or through a descriptor of the object itself.
Hosts without openat2 get the same guarantee one component at a time (O_NOFOLLOW |
O_DIRECTORY per directory).
"""
import ctypes
import errno
import os
import stat as pystat

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

NR_RENAMEAT2, NR_OPENAT2 = 316, 437
RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH = 0x02, 0x04, 0x08
_RESOLVE = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS
HOST_RENAME_EXCHANGE = 2
# Longest relative path handed to one host call: the host's PATH_MAX is 4096 bytes, and a
# guest may build a deeper tree than that one relative step at a time.
_CHUNK = 3072
_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


def _raise_errno(what: str) -> None:
    err = ctypes.get_errno()
    raise OSError(err, os.strerror(err), what)


def _openat2(dirfd: int, rel: bytes, flags: int, mode: int) -> int:
    how = _OpenHow(flags | os.O_CLOEXEC, mode, _RESOLVE)
    while True:
        fd = _libc.syscall(NR_OPENAT2, dirfd, rel, ctypes.byref(how), ctypes.sizeof(how))
        if fd >= 0:
            return fd
        if ctypes.get_errno() != errno.EAGAIN:      # EAGAIN: a rename raced the walk
            _raise_errno(os.fsdecode(rel))


def _openat_walk(dirfd: int, rel: bytes, flags: int, mode: int) -> int:
    """The same as _openat2 for hosts without it: one component at a time, never
    following a symlink (O_NOFOLLOW) nor climbing out (".." is refused)."""
    names = [n for n in rel.split(b"/") if n not in (b"", b".")]
    if b".." in names:
        raise OSError(errno.EXDEV, "path climbs out of the layer")
    if not names:
        return os.open(".", flags | os.O_CLOEXEC, mode, dir_fd=dirfd)
    fd = dirfd
    try:
        for name in names[:-1]:
            nxt = os.open(name, _DIR_FLAGS, dir_fd=fd)
            if fd != dirfd:
                os.close(fd)
            fd = nxt
        return os.open(names[-1], flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=fd)
    finally:
        if fd != dirfd:
            os.close(fd)


def _probe_openat2() -> bool:
    try:
        fd = os.open("/", _DIR_FLAGS)
    except OSError:
        return False
    try:
        os.close(_openat2(fd, b".", _DIR_FLAGS, 0))
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


_open_beneath = _openat2 if _probe_openat2() else _openat_walk


def rel_path(path: str) -> bytes:
    """A guest absolute path as a path relative to a layer's root ("/" is ".")."""
    rel = path.lstrip("/")
    return os.fsencode(rel) if rel else b"."


class Layer:
    """A host directory seen only through ``root_fd`` (struct path of an ovl layer)."""

    __slots__ = ("path", "root_fd")

    def __init__(self, path: str):
        self.path = path                        # for messages and statfs only
        self.root_fd = os.open(path, _DIR_FLAGS)

    def close(self) -> None:
        if self.root_fd >= 0:
            os.close(self.root_fd)
            self.root_fd = -1

    # --- reaching an object ---------------------------------------------------------
    def open(self, path: str, flags: int, mode: int = 0) -> int:
        """A host descriptor for guest ``path`` in this layer; O_NOFOLLOW is implied, and a
        symlink on the way is ELOOP. Paths past the host's PATH_MAX go in chunks."""
        rel = rel_path(path)
        dirfd = self.root_fd
        try:
            while len(rel) > _CHUNK:
                cut = rel.rindex(b"/", 0, _CHUNK)
                fd = _open_beneath(dirfd, rel[:cut], _DIR_FLAGS, 0)
                if dirfd != self.root_fd:
                    os.close(dirfd)
                dirfd, rel = fd, rel[cut + 1:]
            return _open_beneath(dirfd, rel, flags | os.O_NOFOLLOW, mode)
        finally:
            if dirfd != self.root_fd:
                os.close(dirfd)

    def open_parent(self, path: str):
        """(descriptor of the parent directory, last name) for a change made with an
        ``*at`` call; the caller closes the descriptor (``ParentDir`` does)."""
        head, _, name = path.rstrip("/").rpartition("/")
        return self.open(head or "/", _DIR_FLAGS), name

    def parent(self, path: str) -> "ParentDir":
        return ParentDir(self, path)

    def lstat(self, path: str):
        """lstat of guest ``path`` in this layer, or None if it is not there (a
        non-directory or symlink on the way counts as absent: nothing lies below it)."""
        try:
            fd = self.open(path, os.O_PATH)
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
                return None
            raise
        try:
            return os.fstat(fd)
        finally:
            os.close(fd)

    def readlink(self, path: str) -> str:
        with self.parent(path) as (pfd, name):
            return os.readlink(name, dir_fd=pfd)

    def scandir(self, path: str) -> list:
        """[(name, ino, st_mode type bits or None)] of the directory at guest ``path``."""
        fd = self.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            with os.scandir(fd) as it:
                return [(e.name, e.inode(), _dtype_mode(e)) for e in it]
        finally:
            os.close(fd)

    def statvfs(self):
        return os.fstatvfs(self.root_fd)


class ParentDir:
    """``with layer.parent(path) as (dirfd, name):`` the parent held open for an *at call."""

    __slots__ = ("layer", "path", "fd")

    def __init__(self, layer: Layer, path: str):
        self.layer, self.path, self.fd = layer, path, -1

    def __enter__(self):
        self.fd, name = self.layer.open_parent(self.path)
        return self.fd, name

    def __exit__(self, *exc):
        os.close(self.fd)
        return False


def _dtype_mode(entry) -> int | None:
    """The S_IFMT bits of a directory entry from its d_type (no stat for the usual ones)."""
    if entry.is_symlink():
        return pystat.S_IFLNK
    if entry.is_dir(follow_symlinks=False):
        return pystat.S_IFDIR
    if entry.is_file(follow_symlinks=False):
        return pystat.S_IFREG
    try:
        return pystat.S_IFMT(entry.stat(follow_symlinks=False).st_mode)
    except OSError:
        return None


def fd_path(fd: int) -> str:
    """The host's magic link for our own descriptor ``fd``: it names exactly the inode
    the descriptor holds, whatever has been renamed or unlinked since."""
    return f"/proc/self/fd/{fd}"


def renameat2(olddirfd: int, oldname: str, newdirfd: int, newname: str, flags: int) -> None:
    """renameat2(2), which Python's os module lacks (RENAME_EXCHANGE is atomic there)."""
    r = _libc.syscall(NR_RENAMEAT2, olddirfd, os.fsencode(oldname), newdirfd,
                      os.fsencode(newname), flags)
    if r < 0:
        _raise_errno(oldname)


def host_fallocate(fd: int, mode: int, offset: int, length: int) -> None:
    """fallocate(2) with its mode bits (os.posix_fallocate has none)."""
    if _libc.fallocate(fd, mode, ctypes.c_int64(offset), ctypes.c_int64(length)) < 0:
        _raise_errno("fallocate")


def chmod_fd(fd: int, mode: int) -> None:
    """chmod the inode behind an O_PATH descriptor (fchmod refuses O_PATH ones)."""
    os.chmod(fd_path(fd), mode)


def copy_sparse(src: int, dst: int, size: int, charge) -> None:
    """Copy a regular file's data, keeping its holes (SEEK_DATA/SEEK_HOLE): one byte
    written into a 1 GiB sparse file must not cost a gigabyte of host disk. ``charge(n)``
    is told each data extent's size first (the layer's quota)."""
    pos = 0
    while pos < size:
        try:
            start = os.lseek(src, pos, os.SEEK_DATA)
        except OSError as err:
            if err.errno == errno.ENXIO:       # only a hole remains
                break
            raise
        end = os.lseek(src, start, os.SEEK_HOLE)
        charge(end - start)
        off = start
        while off < end:
            n = os.copy_file_range(src, dst, end - off, off, off)
            if n == 0:
                break
            off += n
        pos = end
    os.ftruncate(dst, size)
