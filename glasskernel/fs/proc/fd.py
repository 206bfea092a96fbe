"""/proc/<pid>/fd: one magic link per open descriptor; /proc/<pid>/fdinfo: one text file
per descriptor (fs/proc/fd.c)."""
import dataclasses
import os

from glasskernel.fs.libfs import SimpleLink
from glasskernel.fs.proc.internal import PidEntryDir, get_proc_task
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_CLOEXEC, O_PATH

S_IFLNK = 0o120000
S_IRUSR, S_IWUSR, S_IXUSR = 0o400, 0o200, 0o100


class FdDir(PidEntryDir):
    """proc_fd_operations: lists the task's descriptors as links to their files."""

    MODE = 0o040500

    def children(self, task) -> dict:
        target = get_proc_task(task, self.pid)
        files = target.files
        if files is None:
            return {}
        return {str(fd): _fd_link(self.sb, fd, files.fds[fd]) for fd in sorted(files.fds)}


def _fd_link(sb, fd: int, file):
    """proc_fd_link: following it reaches the open file's dentry; readlink is d_path."""
    return lambda parent: FdLink(sb, str(fd), parent, file)


def fd_link_mode(file) -> int:
    """proc_fd_instantiate's mode: r-x for a file open for reading, -wx for writing
    (both for O_RDWR), nothing for an O_PATH descriptor."""
    mode = S_IFLNK
    if getattr(file, "flags", 0) & O_PATH:
        return mode
    if getattr(file, "readable", False):
        mode |= S_IRUSR | S_IXUSR
    if getattr(file, "writable", False):
        mode |= S_IWUSR | S_IXUSR
    return mode


class FdLink(SimpleLink):
    """The link's mode shows the file's access mode, and its size is 64, as
    proc_fd_instantiate sets them."""

    def __init__(self, sb, name, parent, file):
        super().__init__(sb, name, parent, lambda t: file.dentry, lambda t: file.path)
        self._mode = fd_link_mode(file)

    def stat(self):
        return dataclasses.replace(super().stat(), st_size=64)


class FdInfoDir(PidEntryDir):
    """proc_fdinfo_operations: one file per descriptor (mode 0400 files in a 0555
    directory, as 6.1's tgid_base_stuff declares it)."""

    MODE = 0o040555

    def children(self, task) -> dict:
        target = get_proc_task(task, self.pid)
        files = target.files
        if files is None:
            return {}
        return {str(fd): _fdinfo_file(self.sb, self.pid, fd) for fd in sorted(files.fds)}


def _fdinfo_file(sb, pid: int, fd: int):
    from glasskernel.fs.libfs import SimpleFile
    return lambda parent: SimpleFile(sb, str(fd), parent,
                                     lambda t: seq_show(get_proc_task(t, pid), fd), mode=0o100400)


def _file_pos(file) -> int:
    """f_pos; for the host's stdio (a redirected file), the host descriptor's offset,
    which is the one the guest's reads and writes move."""
    from glasskernel.drivers.tty.tty_io import HostStdioFile
    if isinstance(file, HostStdioFile) and file.seekable:
        try:
            return os.lseek(file.host_fd, 0, os.SEEK_CUR)
        except OSError:
            return 0
    return int(getattr(file, "pos", 0) or 0)


def seq_show(target, fd: int) -> bytes:
    """The descriptor's position, flags (with O_CLOEXEC when close-on-exec is set), mount
    and inode, then what the file adds (its show_fdinfo). ENOENT once it is closed."""
    files = target.files
    file = files.fds.get(fd) if files is not None else None
    if file is None:
        raise KernelError(Errno.ENOENT)
    flags = file.flags | (int(O_CLOEXEC) if fd in files.cloexec else 0)
    dentry = file.dentry
    try:
        ino = file.stat().st_ino
    except Exception:                           # a host file gone under us
        ino = 0
    mnt_id = getattr(dentry, "mnt_id", 0) or mount_id_of_path(target.kernel,
                                                               getattr(file, "path", "/"))
    text = f"pos:\t{_file_pos(file)}\nflags:\t0{flags:o}\nmnt_id:\t{mnt_id}\nino:\t{ino}\n"
    show = getattr(file, "show_fdinfo", None)
    if show is not None:
        text += show()
    return text.encode()


def mount_id_of_path(kernel, path: str) -> int:
    """The mount a host descriptor's name falls in (the host's stdio has no guest dentry):
    the deepest mount point above it."""
    from glasskernel.fs.proc_namespace import mount_table
    best, best_len = 0, -1
    for m in mount_table(kernel):
        where = m.where.rstrip("/") + "/"
        if (path + "/").startswith(where) and len(where) > best_len:
            best, best_len = m.mnt_id, len(where)
    return best
