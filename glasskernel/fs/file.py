"""struct files_struct: the descriptor table (fs/file.c), and dup/dup2/dup3.

Each slot holds a reference to a File (the open file description); dup'd descriptors hold
the same File, so they share offset and status flags. Close-on-exec is per descriptor.
"""
from glasskernel.fs.internal import fd_arg, uint_arg
from glasskernel.fs.locks import locks_remove_posix
from glasskernel.fs.notify.dnotify import dnotify
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import O_CLOEXEC
from glasskernel.uapi.resource import INR_OPEN_CUR, RLIMIT_NOFILE


class FileSysctl:
    """fs.nr_open (sysctl_nr_open): the most descriptors a table may have."""

    __slots__ = ("nr_open",)
    NR_OPEN_MIN = 64                         # BITS_PER_LONG
    NR_OPEN_MAX = 2147483584                 # INT_MAX rounded down to whole words

    def __init__(self):
        self.nr_open = 1024 * 1024


file_sysctl = FileSysctl()


class FilesStruct:
    """The fd table: fd -> File, the close-on-exec set, the RLIMIT_NOFILE bound."""

    __slots__ = ("fds", "cloexec", "max_fds", "users", "flctxs")

    def __init__(self):
        self.fds = {}              # fd -> File
        self.cloexec = set()       # fds with FD_CLOEXEC (close_on_exec bitmap)
        self.max_fds = INR_OPEN_CUR
        self.users = 1             # tasks sharing this table (CLONE_FILES)
        self.flctxs = {}           # inode key -> lock context where we own POSIX locks

    @classmethod
    def with_stdio(cls, kernel=None) -> "FilesStruct":
        """init's table: 0, 1, 2 are the host's stdin, stdout and stderr; one that was
        closed when glasskernel started stays closed (EBADF), as it would natively."""
        from glasskernel.drivers.tty.host_stdio import closed_at_start
        from glasskernel.drivers.tty.tty_io import open_host_stdio
        files = cls()
        closed = closed_at_start()
        for fd in (0, 1, 2):
            if fd not in closed:
                files.install(fd, open_host_stdio(fd, kernel))
        return files

    # --- lookups ----------------------------------------------------------------------
    def fdget(self, fd: int):
        """fdget: the File at ``fd``, EBADF if none. fd may also be the raw register of
        an ``int fd`` argument: a descriptor in the table is found as it is, and only a
        miss is cast to int (the upper bits ignored) and looked up again."""
        file = self.fds.get(fd)
        if file is None:
            file = self.fds.get(fd_arg(fd))
            if file is None:
                raise KernelError(Errno.EBADF)
        return file

    def limit(self, task=None) -> int:
        """rlimit(RLIMIT_NOFILE) of the task, or the table's default."""
        if task is not None and RLIMIT_NOFILE in task.rlimits:
            value = task.rlimits[RLIMIT_NOFILE]
            return value[0] if isinstance(value, tuple) else int(value)
        return self.max_fds

    # --- allocation -----------------------------------------------------------------------
    def alloc_fd(self, start: int = 0, limit: int | None = None) -> int:
        """alloc_fd: the lowest free descriptor >= start, EMFILE past the limit."""
        limit = self.max_fds if limit is None else limit
        fd = start
        while fd in self.fds:
            fd += 1
        if fd >= limit:
            raise KernelError(Errno.EMFILE)
        return fd

    def install(self, fd: int, file, cloexec: bool = False) -> int:
        """fd_install: put ``file`` (whose reference we take over) at ``fd``."""
        self.fds[fd] = file
        self.set_cloexec(fd, cloexec)
        return fd

    def install_new(self, file, cloexec: bool = False, start: int = 0, task=None) -> int:
        """get_unused_fd_flags + fd_install; drops the file's reference on EMFILE."""
        try:
            fd = self.alloc_fd(start, self.limit(task))
        except KernelError:
            file.put()
            raise
        return self.install(fd, file, cloexec)

    def set_cloexec(self, fd: int, on: bool) -> None:
        if on:
            self.cloexec.add(fd)
        else:
            self.cloexec.discard(fd)

    # --- closing ----------------------------------------------------------------------
    def close_fd(self, fd: int) -> None:
        """close_fd: remove ``fd`` and drop its reference (EBADF if unused)."""
        file = self.fds.pop(fd, None)
        if file is None:
            raise KernelError(Errno.EBADF)
        self.cloexec.discard(fd)
        if self.flctxs:
            locks_remove_posix(self, file)     # filp_close: any close drops our locks
        if dnotify.nr_dnotify:
            dnotify.dnotify_flush(file, self)  # filp_close: our F_NOTIFY on it ends
        file.put()

    def close_on_exec(self) -> None:
        """do_close_on_exec: execve closes every descriptor marked FD_CLOEXEC."""
        for fd in sorted(self.cloexec):
            if fd in self.fds:
                self.close_fd(fd)
        self.cloexec.clear()

    def close_all(self) -> None:
        """put_files_struct at exit: close everything."""
        for fd in sorted(self.fds):
            self.close_fd(fd)

    def copy(self) -> "FilesStruct":
        """dup_fd: a child's private table (no CLONE_FILES) sharing the same Files.
        EMFILE when the table would need more slots than fs.nr_open allows now (it
        may have been lowered below a descriptor already open: alloc_fdtable)."""
        if self.fds:
            open_files = -(-(max(self.fds) + 1) // 64) * 64     # count_open_files, whole words
            if open_files > 64:
                nr = 1 << (open_files - 1).bit_length()          # roundup_pow_of_two
                if nr > file_sysctl.nr_open and file_sysctl.nr_open // 64 * 64 < open_files:
                    raise KernelError(Errno.EMFILE)
        new = FilesStruct()
        new.max_fds = self.max_fds
        new.fds = {fd: file.get() for fd, file in self.fds.items()}
        new.cloexec = set(self.cloexec)
        return new

    # --- dup family (ksys_dup3, do_dup2) ------------------------------------------------
    def replace_fd(self, newfd: int, file, cloexec: bool, task=None) -> int:
        """do_dup2: make ``newfd`` refer to ``file``, closing what it held."""
        if newfd < 0 or newfd >= self.limit(task):
            raise KernelError(Errno.EBADF)
        old = self.fds.get(newfd)
        self.install(newfd, file.get(), cloexec)
        if old is not None:
            if self.flctxs:
                locks_remove_posix(self, old)
            if dnotify.nr_dnotify:
                dnotify.dnotify_flush(old, self)
            old.put()
        return newfd


def sys_dup(task, fildes) -> int:
    """dup(2): the lowest free descriptor for the same open file, without FD_CLOEXEC."""
    files = task.files
    file = files.fdget(fd_arg(fildes))
    return files.install_new(file.get(), task=task)


def sys_dup2(task, oldfd, newfd) -> int:
    """dup2(2): like dup3 without flags, but the same fd twice returns it if it is valid."""
    old, new = fd_arg(oldfd), fd_arg(newfd)
    if old == new:
        task.files.fdget(old)
        return new
    return _dup3(task, old, new, 0)


def sys_dup3(task, oldfd, newfd, flags) -> int:
    """dup3(2): EINVAL for flags other than O_CLOEXEC or for oldfd == newfd."""
    old, new, flags = fd_arg(oldfd), fd_arg(newfd), uint_arg(flags)
    if flags & ~int(O_CLOEXEC):
        raise KernelError(Errno.EINVAL)
    if old == new:
        raise KernelError(Errno.EINVAL)
    return _dup3(task, old, new, flags)


def _dup3(task, old: int, new: int, flags: int) -> int:
    """ksys_dup3: newfd is checked against the limit first (EBADF), then oldfd."""
    files = task.files
    if new < 0 or new >= files.limit(task):
        raise KernelError(Errno.EBADF)
    file = files.fdget(old)
    return files.replace_fd(new, file, bool(flags & O_CLOEXEC), task)


CLOSE_RANGE_UNSHARE, CLOSE_RANGE_CLOEXEC = 1 << 1, 1 << 2


def unshare_fd(task) -> None:
    """Give the task a private copy of a descriptor table it shares (CLONE_FILES)."""
    files = task.files
    if files.users > 1:
        files.users -= 1
        task.files = files.copy()


def sys_close_range(task, fd, max_fd, flags) -> int:
    """close_range(2): close, or mark close-on-exec, every open descriptor in [fd, max_fd];
    CLOSE_RANGE_UNSHARE first gives the caller its own table. EINVAL for unknown flags or
    a range that ends before it starts."""
    first, last, flags = uint_arg(fd), uint_arg(max_fd), uint_arg(flags)
    if flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) or first > last:
        raise KernelError(Errno.EINVAL)
    if flags & CLOSE_RANGE_UNSHARE:
        unshare_fd(task)
    files = task.files
    for n in sorted(n for n in files.fds if first <= n <= last):
        if flags & CLOSE_RANGE_CLOEXEC:
            files.set_cloexec(n, True)
        else:
            files.close_fd(n)
    return 0
