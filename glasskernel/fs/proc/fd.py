"""/proc/<pid>/fd: one magic link per open descriptor (fs/proc/fd.c)."""
import dataclasses

from glasskernel.fs.libfs import SimpleLink
from glasskernel.fs.proc.internal import PidEntryDir, get_proc_task
from glasskernel.uapi.fcntl import O_PATH

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
