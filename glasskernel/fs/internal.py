"""Helpers shared inside fs/ (the role of fs/internal.h).

Host system calls made on the guest's behalf can fail; ``host_errors`` turns the host's
OSError into the same errno for the guest, which is exact because the host is Linux too.
"""
import os
from contextlib import contextmanager

from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.capability import CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
from glasskernel.uapi.stat import S_ISDIR


class _HostErrors:
    """``with host_errors():`` runs a host file operation, re-raising OSError as
    KernelError with the same errno. A plain class rather than a @contextmanager
    generator: it wraps host calls on every open, read and exec, where a generator's
    setup costs more than the call."""

    __slots__ = ()

    def __enter__(self):
        return None

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, OSError):
            errno = exc.errno or Errno.EIO
            if errno == Errno.EMFILE:
                # Our own host descriptor table is full: for the guest that is the
                # system's file table (ENFILE); its EMFILE comes from its own table.
                errno = Errno.ENFILE
            raise KernelError(errno, str(exc)) from exc
        return False


_HOST_ERRORS = _HostErrors()


def host_errors() -> _HostErrors:
    return _HOST_ERRORS


def child_path(parent: str, name: str) -> str:
    """Guest absolute path of ``name`` inside the directory at guest path ``parent``."""
    return "/" + name if parent == "/" else parent + "/" + name


def is_subpath(path: str, ancestor: str) -> bool:
    """True when guest path ``path`` is ``ancestor`` or lies below it."""
    if ancestor == "/":
        return True
    return path == ancestor or path.startswith(ancestor + "/")


_DAC_CAPS = (1 << CAP_DAC_OVERRIDE) | (1 << CAP_DAC_READ_SEARCH)


def generic_permission(st, mask: int, cred=None) -> bool:
    """fs/namei.c generic_permission: may the caller's fs ids (``cred``; without one, the
    host user we run as) access the inode?

    ``mask`` is MAY_READ(4)|MAY_WRITE(2)|MAY_EXEC(1). When the mode bits say no,
    CAP_DAC_READ_SEARCH still reads anything and searches any directory, and
    CAP_DAC_OVERRIDE reads and writes anything, searches any directory and executes
    anything with an execute bit. (The host user without a cred: root has both.)
    """
    mode = st.st_mode
    if cred is None:
        uid, gid, groups = os.geteuid(), os.getegid(), os.getgroups()
        caps = _DAC_CAPS if uid == 0 else 0
    else:
        uid, gid, groups = cred.fsuid, cred.fsgid, cred.groups
        caps = cred.cap_effective
        ns = cred.user_ns
        if ns is not None:              # capable_wrt_inode_uidgid: only over mapped inodes
            from glasskernel.kernel.user_namespace import privileged_wrt_inode_uidgid
            if not privileged_wrt_inode_uidgid(ns, st):
                caps = 0
    if st.st_uid == uid:
        bits = (mode >> 6) & 7
    elif st.st_gid == gid or st.st_gid in groups:
        bits = (mode >> 3) & 7
    else:
        bits = mode & 7
    if (bits & mask) == mask:
        return True
    mask &= 7
    read_search = caps >> CAP_DAC_READ_SEARCH & 1
    override = caps >> CAP_DAC_OVERRIDE & 1
    if S_ISDIR(mode):
        return bool((read_search and not mask & 2) or override)
    if mask == 4 and read_search:
        return True
    return bool(override and (not mask & 1 or mode & 0o111))


# Syscall arguments: one definition for the whole kernel (fd_arg is an int argument).
from glasskernel.arch.x86.entry.args import int_arg as fd_arg  # noqa: E402
from glasskernel.arch.x86.entry.args import long_arg, uint_arg  # noqa: E402,F401
