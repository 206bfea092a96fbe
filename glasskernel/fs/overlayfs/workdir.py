"""Where the upper layers live on the host (the role of overlayfs's workdir).

Every run's upper layer is a directory inside one private host directory
(``$XDG_RUNTIME_DIR``-like: ``$TMPDIR/glasskernel-<uid>``, mode 0700, owned by us), which
the overlay hides from every guest. A run holds an exclusive lock on ``<layer>.lock`` for its
whole life; a layer whose lock nobody holds belongs to a run that died (``kill -9``) and is
removed by the next run that starts.
"""
import fcntl
import os
import shutil
import stat
import tempfile
import time

from glasskernel.uapi.errno import Errno, KernelError

STALE_AFTER = 60      # seconds: a layer without a lock younger than this may be starting


def layers_dir() -> str:
    """The private directory of all layers, made (and checked to be ours, 0700) if needed."""
    base = os.path.join(tempfile.gettempdir(), f"glasskernel-{os.geteuid()}")
    try:
        os.mkdir(base, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(base)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        raise KernelError(Errno.EPERM, f"{base} is not a directory of ours")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(base, 0o700)
    return base


def make_upper():
    """(path of a fresh upper layer, descriptor holding its lock, the layers' directory),
    after removing the layers of dead runs."""
    base = layers_dir()
    remove_stale(base)
    upper = tempfile.mkdtemp(prefix="run-", dir=base)
    # The lock gets its name only once it is held: a ".lock" nobody holds is a dead run's.
    lock_fd, tmp = tempfile.mkstemp(prefix="tmp-", dir=base)
    fcntl.flock(lock_fd, fcntl.LOCK_EX)
    os.rename(tmp, upper + ".lock")
    return upper, lock_fd, base


def remove_stale(base: str) -> None:
    """Remove every layer in ``base`` whose run no longer holds its lock.

    A run starting at this moment may have made its layer but not yet named its lock:
    a layer or a temporary lock without a named lock is taken for dead only once it is
    older than STALE_AFTER seconds.
    """
    now = time.time()
    for name in os.listdir(base):
        path = os.path.join(base, name)
        if not name.endswith(".lock"):
            try:
                young = now - os.lstat(path).st_mtime < STALE_AFTER
            except OSError:
                continue
            if not young and not os.path.lexists(path + ".lock"):
                _rmtree(path)             # a run that died before it named its lock
            continue
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)                  # its run is alive
            continue
        # Another run may be sweeping the same dead layer: whoever unlinks second finds
        # nothing there.
        _rmtree(path[:-len(".lock")])
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        os.close(fd)


def remove_upper(upper: str, lock_fd: int) -> None:
    """Delete this run's layer, then its lock."""
    _rmtree(upper)
    try:
        os.unlink(upper + ".lock")
    except OSError:
        pass
    os.close(lock_fd)


def _rmtree(path: str) -> None:
    """shutil.rmtree (which never follows symlinks), making unreadable guest directories
    readable first: a guest may chmod its directories to 0. A plain file is unlinked."""
    if not os.path.isdir(path) or os.path.islink(path):
        try:
            os.unlink(path)
        except OSError:
            pass
        return
    def fix(func, p, _exc):
        try:
            parent = os.path.dirname(p)
            os.chmod(parent, 0o700)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=fix)
