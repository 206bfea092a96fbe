"""/proc/<pid>/fd: one magic link per open descriptor; /proc/<pid>/fdinfo: one text file
per descriptor (fs/proc/fd.c)."""
from glasskernel.fs.libfs import SimpleFile, SimpleLink
from glasskernel.fs.proc.internal import PidEntryDir, get_proc_task
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_CLOEXEC


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
    return lambda parent: FdLink(sb, str(fd), parent, lambda t: file.dentry,
                                 lambda t: file.path)


class FdLink(SimpleLink):
    """The link's mode shows the file's access mode, as proc_fd_instantiate does."""

    MODE = 0o120700


class FdInfoDir(PidEntryDir):
    """proc_fdinfo_operations: one file per descriptor, readable by everyone who may
    search the directory (mode 0400 files in a 0500 directory)."""

    MODE = 0o040500

    def children(self, task) -> dict:
        target = get_proc_task(task, self.pid)
        files = target.files
        if files is None:
            return {}
        return {str(fd): _fdinfo_file(self.sb, self.pid, fd) for fd in sorted(files.fds)}


def _fdinfo_file(sb, pid: int, fd: int):
    return lambda parent: SimpleFile(sb, str(fd), parent,
                                     lambda t: seq_show(get_proc_task(t, pid), fd), mode=0o100400)


def seq_show(target, fd: int) -> bytes:
    """The descriptor's position, flags (with O_CLOEXEC when close-on-exec is set), mount
    and inode, then what the file adds (its show_fdinfo). ENOENT once it is closed."""
    files = target.files
    file = files.fds.get(fd) if files is not None else None
    if file is None:
        raise KernelError(Errno.ENOENT)
    flags = file.flags | (int(O_CLOEXEC) if fd in files.cloexec else 0)
    try:
        ino = file.stat().st_ino
    except KernelError:
        ino = 0
    text = (f"pos:\t{file.pos}\nflags:\t0{flags:o}\nmnt_id:\t{getattr(file.dentry, 'mnt_id', 0)}\n"
            f"ino:\t{ino}\n")
    show = getattr(file, "show_fdinfo", None)
    if show is not None:
        text += show()
    return text.encode()
