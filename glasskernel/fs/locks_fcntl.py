"""fcntl's record locks and /proc/locks (fs/locks.c: fcntl_getlk, fcntl_setlk, locks_show).

F_GETLK/F_SETLK/F_SETLKW lock byte ranges for the process (its descriptor table owns them);
the F_OFD_* forms lock them for the open file description. The range comes from a struct
flock (whence, start, len; a negative len reaches backwards), checked as
flock64_to_posix_lock checks it.
"""
import os
import struct

from glasskernel.fs.locks import (F_RDLCK, F_UNLCK, F_WRLCK, FL_FLOCK, FL_LEASE, FL_OFDLCK,
                                  FL_POSIX, FL_SLEEP, OFFSET_MAX, FileLock, file_locks,
                                  lock_inode_wait, locks_get_lock_context, locks_remove_posix,
                                  may_sleep, posix_find_conflict, posix_lock_inode,
                                  task_lock_pid)
from glasskernel.kernel.pid import pid_nr_ns, task_active_pid_ns
from glasskernel.mm.uaccess import copy_from_user, copy_to_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import (F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLKW, SEEK_CUR,
                                    SEEK_END, SEEK_SET)

_FLOCK = struct.Struct("<hhxxxxqqixxxx")     # struct flock on x86-64 (32 bytes)


def _read_flock(task, arg: int, layout=_FLOCK) -> list:
    """[l_type, l_whence, l_start, l_len, l_pid] from the user's struct flock (EFAULT);
    layout: the struct's (i386's compat_flock or compat_flock64 for fcntl64)."""
    return list(layout.unpack(copy_from_user(task, arg, layout.size)))


def flock_to_posix_lock(task, file, l: list) -> FileLock:
    """flock64_to_posix_lock: the struct's range made absolute (EINVAL for a bad whence or
    a range before 0, EOVERFLOW past OFFSET_MAX), owned by the process."""
    ltype, whence, start, length, _pid = l
    if whence == SEEK_SET:
        base = 0
    elif whence == SEEK_CUR:
        base = file.pos
    elif whence == SEEK_END:
        base = file.size()
    else:
        raise KernelError(Errno.EINVAL)
    if start > OFFSET_MAX - base:
        raise KernelError(Errno.EOVERFLOW)
    fstart = base + start
    if fstart < 0:
        raise KernelError(Errno.EINVAL)
    if length > 0:
        if length - 1 > OFFSET_MAX - fstart:
            raise KernelError(Errno.EOVERFLOW)
        fend = fstart + length - 1
    elif length < 0:
        if fstart + length < 0:
            raise KernelError(Errno.EINVAL)
        fstart, fend = fstart + length, fstart - 1
    else:
        fend = OFFSET_MAX
    if ltype not in (F_RDLCK, F_WRLCK, F_UNLCK):
        raise KernelError(Errno.EINVAL)
    pid, links = task_lock_pid(task)
    return FileLock(task.files, FL_POSIX, ltype, fstart, fend, file, pid, links)


def locks_translate_pid(fl: FileLock, viewer) -> int:
    """The locker's pid as ``viewer`` sees it; -1 for an OFD lock, 0 if invisible."""
    if fl.is_ofd():
        return -1
    return pid_nr_ns(list(fl.pid_links), task_active_pid_ns(viewer)) if fl.pid_links else fl.pid


def fcntl_getlk(task, file, cmd: int, arg: int, layout=_FLOCK, fixup=None) -> int:
    """F_GETLK/F_OFD_GETLK: the first lock that would block the described one, or
    l_type = F_UNLCK if none would. fixup(l) adjusts the answer to a compat struct."""
    l = _read_flock(task, arg, layout)
    if l[0] not in (F_RDLCK, F_WRLCK):
        raise KernelError(Errno.EINVAL)
    request = flock_to_posix_lock(task, file, l)
    if cmd == F_OFD_GETLK:
        if l[4] != 0:
            raise KernelError(Errno.EINVAL)
        request.flags |= FL_OFDLCK
        request.owner = file
    ctx = locks_get_lock_context(task.kernel, file, create=False)
    conflict = posix_find_conflict(ctx, request) if ctx is not None else None
    if conflict is None:
        l[0] = F_UNLCK
    else:
        length = 0 if conflict.end == OFFSET_MAX else conflict.end - conflict.start + 1
        l = [conflict.type, SEEK_SET, conflict.start, length,
             locks_translate_pid(conflict, task)]
    if fixup is not None:
        fixup(l)
    copy_to_user(task, arg, layout.pack(*l))
    return 0


def fcntl_setlk(task, fd: int, file, cmd: int, arg: int, layout=_FLOCK) -> int:
    """F_SETLK/F_SETLKW and the OFD forms: EBADF for a read lock on a descriptor not open
    for reading (write: writing), EAGAIN on a conflict, or wait for it (F_SETLKW)."""
    l = _read_flock(task, arg, layout)
    request = flock_to_posix_lock(task, file, l)
    if (request.type == F_RDLCK and not file.readable) or \
            (request.type == F_WRLCK and not file.writable):
        raise KernelError(Errno.EBADF)
    ofd = cmd in (F_OFD_SETLK, F_OFD_SETLKW)
    if ofd:
        if l[4] != 0:
            raise KernelError(Errno.EINVAL)
        request.flags |= FL_OFDLCK
        request.owner = file
    if cmd in (F_SETLKW, F_OFD_SETLKW):
        request.flags |= FL_SLEEP
    may_sleep(task, request)
    ctx = locks_get_lock_context(task.kernel, file, request.type != F_UNLCK)
    if ctx is None:
        return 0
    files = task.files
    if ofd:
        file.f_flctx = ctx
    elif request.type != F_UNLCK:
        files.flctxs[ctx.key] = ctx
    lock_inode_wait(task, ctx, request, posix_lock_inode)
    if not ofd and request.type != F_UNLCK and files.fds.get(fd) is not file:
        locks_remove_posix(files, file)     # closed while we waited: undo, as Linux does
        raise KernelError(Errno.EBADF)
    return 0


# --- /proc/locks -----------------------------------------------------------------------
def _lock_kind(fl: FileLock) -> str:
    if fl.flags & FL_POSIX:
        return ("OFDLCK" if fl.is_ofd() else "POSIX ") + " ADVISORY  "
    if fl.flags & FL_FLOCK:
        return "FLOCK  ADVISORY  "
    if fl.flags & FL_LEASE:
        from glasskernel.fs.locks_lease import lease_status
        return lease_status(fl)
    return "UNKNOWN UNKNOWN  "


def lock_get_status(fl: FileLock, key, viewer, ident: int, level: int) -> str:
    """One line of /proc/locks; a waiter is indented under what it waits for."""
    if fl.flags & FL_LEASE:
        from glasskernel.fs.locks_lease import target_leasetype
        ltype = target_leasetype(fl)
    else:
        ltype = fl.type
    prefix = " " * (level - 1) + "-> " if level else ""
    word = {F_WRLCK: "WRITE", F_RDLCK: "READ"}.get(ltype, "UNLCK")
    dev, ino = key
    pid = locks_translate_pid(fl, viewer)
    if fl.file is None:             # a lease breaker has no file
        where = f"{pid} <none>:0"
    else:
        where = f"{pid} {os.major(dev):02x}:{os.minor(dev):02x}:{ino}"
    if fl.flags & FL_POSIX:
        span = f"{fl.start} EOF" if fl.end == OFFSET_MAX else f"{fl.start} {fl.end}"
    else:
        span = "0 EOF"
    return f"{ident}: {prefix}{_lock_kind(fl)}{word} {where} {span}\n"


def proc_locks(viewer) -> bytes:
    """/proc/locks: every held lock, newest first, each followed by its waiters."""
    reg = file_locks(viewer.kernel)
    keys = {}
    for ctx in reg.contexts.values():
        for fl in ctx.flock + ctx.posix + ctx.lease:
            keys[id(fl)] = ctx.key
    out, ident = [], 0
    for fl in reg.all:
        ident += 1                  # the position counts the locks not shown too
        if locks_translate_pid(fl, viewer) == 0 or id(fl) not in keys:
            continue
        stack = [(fl, 0)]
        while stack:
            cur, level = stack.pop()
            out.append(lock_get_status(cur, keys[id(fl)], viewer, ident, level))
            stack.extend((w, level + 1) for w in reversed(cur.blocked))
    return "".join(out).encode()
