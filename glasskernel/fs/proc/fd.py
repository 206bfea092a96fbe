"""/proc/<pid>/fd: one magic link per open descriptor (fs/proc/fd.c)."""
from glasskernel.fs.libfs import SimpleLink
from glasskernel.fs.proc.internal import PidEntryDir, get_proc_task


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
