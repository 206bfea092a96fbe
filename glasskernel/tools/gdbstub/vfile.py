"""vFile: gdb reads the program and its libraries through the guest's own file system.

gdb's default sysroot is "target:": with vFile it opens, reads and stats files on the
target, here the guest's VFS seen from the selected process (its root and working
directory), so a `--root DIR` run shows gdb DIR's libraries, not the host's. Only
reading is offered: opens for writing and unlink answer EACCES/EPERM.
"""
import os
import struct

from glasskernel.tools.gdbstub.transport import escape
from glasskernel.uapi.errno import Errno, KernelError

AT_FDCWD = -100
# gdb's File-I/O errno values (gdb/gdbsupport/fileio.h); the others are EUNKNOWN.
_FILEIO_ERRNO = {1: 1, 2: 2, 4: 4, 9: 9, 13: 13, 14: 14, 16: 16, 17: 17, 19: 19, 20: 20, 21: 21,
                 22: 22, 23: 23, 24: 24, 27: 27, 28: 28, 29: 29, 30: 30, 36: 91}
FILEIO_EUNKNOWN = 9999
FILEIO_WRITE_FLAGS = 0x1 | 0x2 | 0x8 | 0x200 | 0x400 | 0x800
MAX_OPEN = 64
MAX_READ = 0x4000


def _error(errno: int) -> str:
    """An F-1,errno reply in gdb's File-I/O numbering."""
    return f"F-1,{_FILEIO_ERRNO.get(errno, FILEIO_EUNKNOWN):x}"


class VFile:
    """The open files of one connection, and the vFile operations."""

    def __init__(self, session):
        self.session = session
        self.files = {}                 # fd -> File
        self.fs_pid = 0                 # vFile:setfs: whose view of the files (0: selected)

    def handle(self, packet: bytes):
        """One vFile:OPERATION packet."""
        op, _, rest = packet.partition(b":")
        handler = {b"setfs": self.setfs, b"open": self.open, b"pread": self.pread,
                   b"close": self.close, b"fstat": self.fstat, b"readlink": self.readlink,
                   b"unlink": lambda rest: _error(Errno.EPERM),
                   b"pwrite": lambda rest: _error(Errno.EBADF)}.get(op)
        if handler is None:
            return ""
        try:
            return handler(rest)
        except KernelError as err:
            return _error(err.errno)
        except (ValueError, IndexError):
            return _error(Errno.EINVAL)

    def _task(self):
        """Whose view of the files: setfs's process, else the selected thread's."""
        session = self.session
        task = session.debugger.find(self.fs_pid, None) if self.fs_pid else None
        return task or session.selected()

    def setfs(self, rest: bytes):
        """vFile:setfs:PID."""
        self.fs_pid = int(rest, 16)
        return "F0"

    def open(self, rest: bytes):
        """vFile:open:PATH,FLAGS,MODE (read-only)."""
        from glasskernel.fs.open import do_filp_open
        path_hex, flags, _mode = rest.split(b",")
        if int(flags, 16) & FILEIO_WRITE_FLAGS:
            return _error(Errno.EACCES)
        if len(self.files) >= MAX_OPEN:
            return _error(Errno.EMFILE)
        path = os.fsdecode(bytes.fromhex(path_hex.decode()))
        file = do_filp_open(self._task(), AT_FDCWD, path, os.O_RDONLY, 0)
        fd = next(n for n in range(MAX_OPEN + 1) if n not in self.files)
        self.files[fd] = file
        return f"F{fd:x}"

    def _file(self, fd_text: bytes):
        """The File of a vFile descriptor (EBADF if none)."""
        file = self.files.get(int(fd_text, 16))
        if file is None:
            raise KernelError(Errno.EBADF)
        return file

    def pread(self, rest: bytes):
        """vFile:pread:FD,COUNT,OFFSET."""
        fd, count, offset = rest.split(b",")
        data = self._file(fd).pread(min(int(count, 16), MAX_READ), int(offset, 16))
        return f"F{len(data):x};".encode() + escape(bytes(data))

    def close(self, rest: bytes):
        """vFile:close:FD."""
        file = self.files.pop(int(rest, 16), None)
        if file is None:
            return _error(Errno.EBADF)
        file.close()
        return "F0"

    def fstat(self, rest: bytes):
        """vFile:fstat:FD, as gdb's struct stat (big-endian)."""
        st = self._file(rest).stat()
        packed = struct.pack(">IIIIIIIQQQIII", st.st_dev & 0xFFFFFFFF, st.st_ino & 0xFFFFFFFF,
                             st.st_mode, st.st_nlink, st.st_uid, st.st_gid, st.st_rdev & 0xFFFFFFFF,
                             st.st_size, st.st_blksize, st.st_blocks, st.atime[0] & 0xFFFFFFFF,
                             st.mtime[0] & 0xFFFFFFFF, st.ctime[0] & 0xFFFFFFFF)
        return f"F{len(packed):x};".encode() + escape(packed)

    def readlink(self, rest: bytes):
        """vFile:readlink:PATH."""
        from glasskernel.fs.namei import filename_lookup
        path = os.fsdecode(bytes.fromhex(rest.decode()))
        task = self._task()
        dentry = filename_lookup(task, AT_FDCWD, path, follow=False, empty_ok=False)
        if not dentry.is_symlink():
            return _error(Errno.EINVAL)
        text = os.fsencode(dentry.readlink(task))
        return f"F{len(text):x};".encode() + escape(text)

    def close_all(self) -> None:
        """Close what gdb left open (the connection ended)."""
        for file in self.files.values():
            file.close()
        self.files.clear()
