"""struct file: one open file description (include/linux/fs.h, fs/file_table.c).

A File is shared by every descriptor that dup() made from it and by forked children, so
the offset and status flags are shared too, as in Linux. ``get()``/``put()`` count the
references; the last ``put()`` calls ``release()`` (__fput).

Subclasses provide the file_operations: ``HostFile`` for regular files of the overlay,
``DirFile`` for directories, ``PathFile`` for O_PATH, ``SeqFile`` for generated text
(procfs); devices and the host terminal live under glasskernel/drivers/.
"""
import os

from glasskernel.fs.internal import host_errors
from glasskernel.fs.notify import fsnotify
from glasskernel.fs.select import DEFAULT_POLLMASK
from glasskernel.mm.filemap import find_address_space
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import (O_ACCMODE, O_APPEND, O_PATH, O_RDONLY, O_RDWR, O_WRONLY,
                                    SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET)
from glasskernel.uapi.ioctls import Ioctl
from glasskernel.uapi.stat import DT_DIR

# Plain ints for the read/write hot path: arithmetic on IntFlag members goes through the
# enum machinery and cost more than the rest of a write(2) to /dev/null (measured).
_O_PATH, _O_ACCMODE, _O_WRONLY, _O_RDWR, _O_APPEND = (int(f) for f in (O_PATH, O_ACCMODE, O_WRONLY,
                                                                       O_RDWR, O_APPEND))


class File:
    """Generic open file: offset, flags and reference count; ops default to Linux's NULLs."""

    seekable = True
    is_regular = False              # a regular file: writes obey RLIMIT_FSIZE
    compat_ioctl = True             # an i386 caller reaches ioctl too (f_op->compat_ioctl)
    f_ep = None                     # epoll items watching this file (fs/eventpoll.py)
    f_flctx = None                  # the inode's lock context once this file locked (fs/locks.py)
    write_access = None             # what get/deny_write_access took (fs/inode.py)

    def __init__(self, dentry, flags: int):
        self.dentry = dentry
        self.set_open_flags(flags)
        self.pos = 0                # f_pos
        self._refs = 1

    def set_open_flags(self, flags: int) -> None:
        """f_flags (access mode and status flags, F_GETFL) and the f_mode that open
        derives from them once (do_dentry_open): FMODE_READ for O_RDONLY or O_RDWR,
        FMODE_WRITE for O_WRONLY or O_RDWR, neither for O_PATH. Later changes of the
        status flags (fcntl F_SETFL) keep the access mode, so f_mode stays right."""
        flags = self.flags = int(flags)
        acc = -1 if flags & _O_PATH else flags & _O_ACCMODE
        self.readable = acc in (0, _O_RDWR)
        self.writable = acc in (_O_WRONLY, _O_RDWR)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path} refs={self._refs}>"

    # --- reference counting (get_file / fput) -------------------------------------------
    def get(self) -> "File":
        self._refs += 1
        return self

    def put(self) -> None:
        self._refs -= 1
        if self._refs == 0:
            if self.f_ep:
                from glasskernel.fs.eventpoll import eventpoll_release
                eventpoll_release(self)     # __fput: out of every epoll set first
            if self.f_flctx is not None:
                from glasskernel.fs.locks import locks_remove_file
                locks_remove_file(self)     # __fput: its flock, OFD locks and leases go
            if fsnotify.nr_marks:
                fsnotify.fsnotify_close(self)      # __fput: CLOSE_WRITE/CLOSE_NOWRITE
            if self.write_access is not None:
                from glasskernel.fs.inode import put_write_access
                put_write_access(self.write_access)
                self.write_access = None
            self.release()

    def close(self) -> None:
        """Drop the caller's reference (for kernel users such as open_exec)."""
        self.put()

    def release(self) -> None:
        """Free what the description holds (->release); called once, at the last put."""

    # --- identity -------------------------------------------------------------------------
    @property
    def path(self) -> str:
        """d_path of the file: what /proc/<pid>/fd/N shows (" (deleted)" once unlinked)."""
        dentry = self.dentry
        return dentry.path + " (deleted)" if getattr(dentry, "deleted", False) else dentry.path

    def check_read(self) -> None:
        if not self.readable:
            raise KernelError(Errno.EBADF)

    def check_write(self) -> None:
        if not self.writable:
            raise KernelError(Errno.EBADF)

    # --- data (vfs_read/vfs_write and friends) ------------------------------------------
    def read(self, count: int) -> bytes:
        """vfs_read at the file position, advancing it."""
        self.check_read()
        data = self.read_at(count, self.pos)
        if self.seekable:
            self.pos += len(data)
        return data

    def unread(self, data: bytes) -> None:
        """A read of an unseekable file whose copy to the user faulted (EFAULT): a file
        that can keeps the bytes for the next read (a pipe does); others drop them."""

    def write(self, data: bytes) -> int:
        """vfs_write at the file position (the end for O_APPEND), advancing it."""
        self.check_write()
        pos = self.size() if (self.flags & _O_APPEND and self.seekable) else self.pos
        n = self.write_at(data, pos)
        if self.seekable:
            self.pos = pos + n
        return n

    def pread(self, count: int, offset: int) -> bytes:
        self.check_read()
        if not self.seekable:
            raise KernelError(Errno.ESPIPE)
        return self.read_at(count, offset)

    def pwrite(self, data: bytes, offset: int) -> int:
        """pwrite64; like Linux, O_APPEND makes it append whatever the offset."""
        self.check_write()
        if not self.seekable:
            raise KernelError(Errno.ESPIPE)
        if self.flags & O_APPEND:
            offset = self.size()
        return self.write_at(data, offset)

    def read_at(self, count: int, pos: int) -> bytes:
        raise KernelError(Errno.EINVAL)

    def write_at(self, data: bytes, pos: int) -> int:
        raise KernelError(Errno.EINVAL)

    def size(self) -> int:
        return self.stat().st_size

    def lseek(self, offset: int, whence: int) -> int:
        """generic_file_llseek: SEEK_SET/CUR/END/DATA/HOLE over size()."""
        if self.flags & O_PATH:
            raise KernelError(Errno.EBADF)
        if not self.seekable:
            raise KernelError(Errno.ESPIPE)
        if whence == SEEK_SET:
            new = offset
        elif whence == SEEK_CUR:
            new = self.pos + offset
        elif whence == SEEK_END:
            new = self.size() + offset
        elif whence in (SEEK_DATA, SEEK_HOLE):
            size = self.size()
            if offset < 0 or offset >= size:
                raise KernelError(Errno.ENXIO)
            new = offset if whence == SEEK_DATA else size
        else:
            raise KernelError(Errno.EINVAL)
        if new < 0:
            raise KernelError(Errno.EINVAL)
        self.pos = new
        return new

    # --- everything else --------------------------------------------------------------
    def poll(self, pt) -> int:
        """->poll (fs/select.py has the protocol). Without one of its own a file is always
        ready to read and write, as vfs_poll answers, and epoll refuses it (EPERM)."""
        return DEFAULT_POLLMASK

    def stat(self):
        return self.dentry.stat()

    def getdents(self) -> list:
        """Entries from the current position: list of (name, ino, d_type, next_offset)."""
        raise KernelError(Errno.EBADF if self.flags & O_PATH else Errno.ENOTDIR)

    def ioctl(self, cmd: int, arg: int, task) -> int:
        """The file's unlocked_ioctl; anything unknown is ENOTTY."""
        raise KernelError(Errno.ENOTTY)

    def chown(self, uid, gid) -> None:
        """fchown on this description: the inode it was opened on."""
        self.dentry.chown(uid, gid)

    def fallocate(self, mode: int, offset: int, length: int) -> None:
        """->fallocate; a file without one is EOPNOTSUPP."""
        raise KernelError(Errno.EOPNOTSUPP)

    def truncate(self, length: int) -> None:
        """do_ftruncate on this description (the caller checked it is writable)."""
        raise KernelError(Errno.EINVAL)

    def fsync(self) -> None:
        """vfs_fsync of a file without an ->fsync operation (a pipe, a terminal, a
        character device, a /proc file): EINVAL."""
        raise KernelError(Errno.EINVAL)

    def isatty(self) -> bool:
        return False


class PathFile(File):
    """An O_PATH descriptor: names a location, supports no I/O (fs/open.c, FMODE_PATH)."""

    def read(self, count: int) -> bytes:
        raise KernelError(Errno.EBADF)

    def write(self, data: bytes) -> int:
        raise KernelError(Errno.EBADF)

    def ioctl(self, cmd: int, arg: int, task) -> int:
        raise KernelError(Errno.EBADF)

    def fsync(self) -> None:
        raise KernelError(Errno.EBADF)


class HostFdFile(File):
    """A file whose data lives on a host descriptor: positioned I/O and fstat go to it."""

    can_mmap = True                 # file_operations.mmap is set

    def __init__(self, dentry, flags: int, host_fd: int):
        super().__init__(dentry, flags)
        self.host_fd = host_fd

    def read_at(self, count: int, pos: int) -> bytes:
        with host_errors():
            return os.pread(self.host_fd, count, pos)

    def write_at(self, data: bytes, pos: int) -> int:
        with host_errors():
            return os.pwrite(self.host_fd, data, pos)

    def stat(self):
        from glasskernel.fs.kstat import StatResult
        with host_errors():
            return StatResult.from_host(os.fstat(self.host_fd))


class HostFile(HostFdFile):
    """A regular file of the overlay, backed by a host descriptor we own.

    We keep our own offset and use pread/pwrite so that the description's offset is shared
    exactly as the guest expects, whatever the host descriptor's offset is.
    """

    is_regular = True

    def release(self) -> None:
        os.close(self.host_fd)

    def size(self) -> int:
        with host_errors():
            return os.fstat(self.host_fd).st_size

    # The inode's shared-mapping pages (mm/filemap.py: AddressSpace), while a MAP_SHARED
    # mapping of it exists, are newer than the host file: reads take their bytes, writes
    # and truncation update them. Without one, the host file is the whole truth.
    def read_at(self, count: int, pos: int) -> bytes:
        data = super().read_at(count, pos)
        space = find_address_space(self)
        return data if space is None else space.read_patch(data, pos)

    def write_at(self, data: bytes, pos: int) -> int:
        self.__dict__.pop("_page_cache_key", None)      # new bytes: a new private-cache key
        space = find_address_space(self)
        if space is not None:
            size = self.size()
            if pos + len(data) > size:
                space.zero_beyond(size)     # what a mapping stored past EOF is not data
        written = super().write_at(data, pos)
        if space is not None:
            space.write_through(data[:written], pos)
        return written

    def truncate(self, length: int) -> None:
        self.__dict__.pop("_page_cache_key", None)
        space = find_address_space(self)
        if space is not None:
            space.zero_beyond(min(length, self.size()))
        with host_errors():
            os.ftruncate(self.host_fd, length)

    def lseek(self, offset: int, whence: int) -> int:
        """SEEK_DATA and SEEK_HOLE ask the host file where its holes really are."""
        if whence not in (SEEK_DATA, SEEK_HOLE):
            return super().lseek(offset, whence)
        with host_errors():
            self.pos = os.lseek(self.host_fd, offset, whence)
        return self.pos

    def fsync(self) -> None:
        """vfs_fsync: pages written through shared mappings reach the file."""
        space = find_address_space(self)
        if space is not None:
            space.writeback()

    # address_space_operations: the host file as the pages' backing store (writeback
    # goes through write_at, which the overlay's quota accounting sees).
    def readpage(self, pos: int) -> bytes:
        with host_errors():
            return os.pread(self.host_fd, 4096, pos)


    def ioctl(self, cmd: int, arg: int, task) -> int:
        from glasskernel.mm.uaccess import put_user_i32
        if cmd == Ioctl.FIONREAD:
            put_user_i32(task, arg, max(0, min(self.size() - self.pos, 0x7FFFFFFF)))
            return 0
        raise KernelError(Errno.ENOTTY)


class DirFile(File):
    """An open directory: a snapshot of its entries, the offset counts entries (readdir).

    The snapshot is taken at open and again when the offset returns to 0 (rewinddir),
    which is within what POSIX allows for entries added or removed meanwhile.
    """

    def __init__(self, dentry, flags: int, task):
        super().__init__(dentry, flags)
        self._task = task
        self._entries = None

    def _snapshot(self) -> list:
        d = self.dentry
        me = d.stat().st_ino
        try:
            up = d.parent.stat().st_ino
        except KernelError:
            up = me
        return [(".", me, DT_DIR), ("..", up, DT_DIR)] + list(d.iterate(self._task))

    def fsync(self) -> None:
        """A directory syncs fine (nothing to do: the sandbox needs no durability)."""

    def getdents(self) -> list:
        if self._entries is None or self.pos == 0:
            self._entries = self._snapshot()
        return [(name, ino, dtype, i + 1)
                for i, (name, ino, dtype) in enumerate(self._entries) if i >= self.pos]

    def read(self, count: int) -> bytes:
        raise KernelError(Errno.EISDIR)

    def read_at(self, count: int, pos: int) -> bytes:
        raise KernelError(Errno.EISDIR)

    def lseek(self, offset: int, whence: int) -> int:
        """Directory offsets are entry indexes; only SEEK_SET and SEEK_CUR make sense."""
        if whence not in (SEEK_SET, SEEK_CUR):
            raise KernelError(Errno.EINVAL)
        new = offset if whence == SEEK_SET else self.pos + offset
        if new < 0:
            raise KernelError(Errno.EINVAL)
        self.pos = new
        return new


class SeqFile(File):
    """Read-only generated text (fs/seq_file.c): ``render(task)`` makes the bytes.

    The text is regenerated whenever a read starts at offset 0, as seq_file does.
    """

    def __init__(self, dentry, flags: int, task, render):
        super().__init__(dentry, flags)
        self._task = task
        self._render = render
        self._data = None

    def _content(self, pos: int) -> bytes:
        if self._data is None or pos == 0:
            self._data = self._render(self._task)
        return self._data

    def read_at(self, count: int, pos: int) -> bytes:
        return self._content(pos)[pos:pos + count]

    def size(self) -> int:
        return len(self._content(self.pos))
