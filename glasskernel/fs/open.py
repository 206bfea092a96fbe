"""open, close and the path-attribute syscalls (fs/open.c; umask from kernel/sys.c).

``do_filp_open`` is the whole of open: flags are normalised as build_open_flags does, the
path is walked (creating the last component for O_CREAT), the result checked like
may_open, and the file system's open makes the File.
"""
import dataclasses
import os
import struct

from glasskernel.fs.attr import inode_newsize_ok
from glasskernel.fs.dcache import Dentry
from glasskernel.fs.inode import get_write_access, put_write_access
from glasskernel.fs.file_table import PathFile
from glasskernel.fs.namei import (MAXSYMLINKS, MAY_EXEC, MAY_READ, MAY_WRITE, RESOLVE_BENEATH,
                                  RESOLVE_CACHED, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS,
                                  RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV, Nameidata,
                                  get_link_checked, getname, lookup_child, path_init,
                                  revalidate, split_path, user_path_at, walk)
from glasskernel.fs.internal import fd_arg, long_arg, uint_arg
from glasskernel.fs.namespace import mnt_want_write, path_nosymfollow
from glasskernel.fs.namei_dir import FS_APPEND_FL, inode_flags
from glasskernel.fs.notify import fsnotify
from glasskernel.mm.uaccess import copy_from_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import (AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW,
                                    FASYNC, O_ACCMODE, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECT,
                                    O_DIRECTORY, O_DSYNC, O_EXCL, O_LARGEFILE, O_NOATIME,
                                    O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR,
                                    O_SYNC, O_TMPFILE, O_TRUNC, O_WRONLY, R_OK, W_OK, X_OK,
                                    __O_TMPFILE)
from glasskernel.uapi.limits import NAME_MAX
from glasskernel.uapi.stat import S_IALLUGO, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISGID
from glasskernel.kernel.capability import cred_capable
from glasskernel.uapi.capability import (CAP_CHOWN, CAP_FOWNER, CAP_FSETID,
                                        SECURE_NO_SETUID_FIXUP)

# Flags open() accepts and keeps (VALID_OPEN_FLAGS in include/linux/fcntl.h).
VALID_OPEN_FLAGS = (O_WRONLY | O_RDWR | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND
                    | O_NONBLOCK | O_DSYNC | FASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY
                    | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE)
# f_flags never keep these (do_dentry_open, and O_CLOEXEC lives in the fd table).
_OPEN_ONLY_FLAGS = O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC
MAX_NON_LFS = 0x7FFFFFFF              # the largest offset of a file opened without O_LARGEFILE


def build_open_flags(flags: int, mode: int):
    """build_open_flags: (flags, mode, access mask) or EINVAL/EOPNOTSUPP."""
    flags &= VALID_OPEN_FLAGS
    mode = (mode & S_IALLUGO) if flags & (O_CREAT | __O_TMPFILE) else 0
    if flags & __O_TMPFILE:
        if (flags & (__O_TMPFILE | O_DIRECTORY | O_CREAT)) != (__O_TMPFILE | O_DIRECTORY):
            raise KernelError(Errno.EINVAL)
        if flags & O_ACCMODE == O_RDONLY:
            raise KernelError(Errno.EINVAL)
    if flags & O_PATH:
        flags &= O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC
        return flags, mode, 0
    acc = {O_RDONLY: MAY_READ, O_WRONLY: MAY_WRITE}.get(flags & O_ACCMODE,
                                                       MAY_READ | MAY_WRITE)
    if flags & O_TRUNC:
        acc |= MAY_WRITE
    return flags, mode, acc


def file_flags(flags: int, largefile: bool = True) -> int:
    """What F_GETFL will report: open-only flags removed, O_LARGEFILE forced on 64-bit
    (force_o_largefile; a compat open leaves it to the caller: largefile False)."""
    kept = flags & ~int(_OPEN_ONLY_FLAGS)
    return int(kept if flags & O_PATH or not largefile else kept | O_LARGEFILE)


def do_filp_open(task, dfd: int, path: str, flags: int, mode: int, resolve: int = 0, *,
                 largefile: bool = True):
    """do_filp_open/path_openat: walk, create if asked, check and open (largefile: the
    64-bit open's forced O_LARGEFILE)."""
    flags, mode, acc = build_open_flags(flags, mode)
    nd = Nameidata(task)
    nd.resolve = resolve
    start = path_init(nd, dfd, path)
    created = False
    if flags & __O_TMPFILE:
        return do_tmpfile(nd, start, path, flags, mode, largefile)
    if flags & O_CREAT:
        dentry, created = open_last_create(nd, start, path, flags, mode)
    else:
        dentry = walk(nd, start, path, follow_last=not flags & O_NOFOLLOW)
    file = do_open(task, dentry, flags, acc, created, largefile)
    if fsnotify.nr_marks:
        fsnotify.fsnotify_open(file, created, bool(flags & O_TRUNC))
    return file


def open_last_create(nd, start: Dentry, path: str, flags: int, mode: int):
    """open_last_lookups with O_CREAT: find or create the last component.

    A final symlink is followed (so a dangling link creates its target), except with
    O_EXCL (EEXIST) or O_NOFOLLOW (ELOOP).
    """
    comps, trailing = split_path(path)
    if not comps or comps[-1] in (".", "..") or trailing:
        raise KernelError(Errno.EISDIR)
    base = nd.root if path.startswith("/") else start
    prefix = "/".join(comps[:-1])
    parent = walk(nd, base, prefix, follow_last=True) if prefix else base
    if not parent.is_dir():
        raise KernelError(Errno.ENOTDIR)
    name = comps[-1]
    if len(os.fsencode(name)) > NAME_MAX:
        raise KernelError(Errno.ENAMETOOLONG)
    child = lookup_child(nd.task, parent, name)
    if child is None:
        mnt_want_write(nd.task, parent)
        parent.permission(MAY_WRITE | MAY_EXEC, nd.task.cred)
        umask = nd.task.fs.umask
        return parent.create(nd.task, name, mode & ~umask & S_IALLUGO), True
    if flags & O_EXCL:
        raise KernelError(Errno.EEXIST)
    if not child.is_symlink():
        return child, False
    if flags & O_NOFOLLOW:
        raise KernelError(Errno.ELOOP)
    nd.links += 1
    if nd.links > MAXSYMLINKS or path_nosymfollow(nd.task, child):
        raise KernelError(Errno.ELOOP)
    target = get_link_checked(nd, child)
    if isinstance(target, Dentry):
        return (revalidate(nd.task, target) if target.is_dir() else target), False
    return open_last_create(nd, parent, target, flags, mode)


def do_tmpfile(nd, start: Dentry, path: str, flags: int, mode: int, largefile: bool = True):
    """do_tmpfile: an unnamed regular file in the directory ``path`` names (O_TMPFILE);
    a file system without ->tmpfile gives EOPNOTSUPP."""
    directory = walk(nd, start, path, follow_last=True)
    if not directory.is_dir():
        raise KernelError(Errno.ENOTDIR)
    mnt_want_write(nd.task, directory)
    directory.permission(MAY_WRITE | MAY_EXEC, nd.task.cred)
    file = directory.tmpfile(nd.task, mode & ~nd.task.fs.umask & S_IALLUGO,
                             flags & ~int(__O_TMPFILE | O_DIRECTORY))
    file.set_open_flags(file_flags(flags, largefile))
    return file


def do_open(task, dentry: Dentry, flags: int, acc: int, created: bool, largefile: bool = True):
    """do_open + may_open + vfs_open: the checks on the final dentry, then ->open."""
    if flags & O_PATH:
        if flags & O_DIRECTORY and not dentry.is_dir():
            raise KernelError(Errno.ENOTDIR)
        dentry.pin()
        return PathFile(dentry, file_flags(flags))
    if flags & O_CREAT and not created and dentry.is_dir():
        raise KernelError(Errno.EISDIR)
    if flags & O_DIRECTORY and not dentry.is_dir():
        raise KernelError(Errno.ENOTDIR)
    if not created:
        may_open(dentry, acc, task.cred, bool(flags & O_NOATIME))
        if inode_flags(dentry) & FS_APPEND_FL and \
                (acc & MAY_WRITE and not flags & O_APPEND or flags & O_TRUNC):
            raise KernelError(Errno.EPERM)      # an append-only file is only appended to
        if (acc & MAY_WRITE or flags & O_TRUNC) and dentry.mode() & S_IFMT in (S_IFREG, S_IFDIR,
                                                                               S_IFLNK):
            mnt_want_write(task, dentry)        # do_dentry_open's for FMODE_WRITE, O_TRUNC's
    if not dentry.is_reg():
        flags &= ~int(O_TRUNC)
    elif not created:
        if not largefile and not flags & O_LARGEFILE and dentry.stat().st_size > MAX_NON_LFS:
            raise KernelError(Errno.EOVERFLOW)      # generic_file_open: a 32-bit offset
        break_lease(task, dentry, flags)
    token = None
    if acc & MAY_WRITE and dentry.is_reg():
        token = get_write_access(task.kernel, dentry)     # ETXTBSY for a running program
    try:
        file = dentry.open(task, flags & ~int(O_TRUNC) if created else flags)
    except BaseException:
        if token is not None:
            put_write_access(token)
        raise
    file.write_access = token
    if flags & O_TRUNC and not created:
        truncate_inode_pages(file, 0)       # pages of shared mappings read as zeros now
    file.set_open_flags(file_flags(flags, largefile))
    return file


def break_lease(task, dentry: Dentry, flags: int) -> None:
    """do_dentry_open's break_lease: an open that conflicts with a lease waits for it."""
    from glasskernel.fs.locks import file_locks
    contexts = file_locks(task.kernel).contexts
    if contexts and any(ctx.lease for ctx in contexts.values()):
        from glasskernel.fs.locks_lease import break_lease as __break_lease
        st = dentry.stat()
        __break_lease(task, (st.st_dev, st.st_ino), flags)


def truncate_inode_pages(obj, length: int) -> None:
    """truncate_pagecache: the file (an open File or a dentry) becomes length bytes long,
    so bytes past it in the pages its shared mappings map are zeroed."""
    from glasskernel.mm.filemap import find_address_space
    space = find_address_space(obj)
    if space is not None:
        space.zero_beyond(min(length, obj.stat().st_size))


def may_open(dentry: Dentry, acc: int, cred=None, noatime: bool = False) -> None:
    """may_open: ELOOP for a symlink, EISDIR to write a directory, then permission."""
    kind = dentry.mode() & S_IFMT
    if kind == S_IFLNK:
        raise KernelError(Errno.ELOOP)
    if kind == S_IFDIR and acc & MAY_WRITE:
        raise KernelError(Errno.EISDIR)
    if noatime and cred is not None and cred.fsuid != dentry.stat().st_uid and \
            not cred_capable(cred, CAP_FOWNER, dentry.stat()):
        raise KernelError(Errno.EPERM)      # O_NOATIME: the owner's (or CAP_FOWNER's) only
    dentry.permission(acc, cred)


def do_sys_open(task, dfd: int, filename: int, flags: int, mode: int, resolve: int = 0, *,
                largefile: bool = True) -> int:
    """do_sys_openat2: reserve a descriptor, open, install."""
    flags, mode = uint_arg(flags), uint_arg(mode)
    path = getname(task, filename)
    files = task.files
    files.alloc_fd(0, files.limit(task))      # EMFILE before any lookup, as Linux
    file = do_filp_open(task, fd_arg(dfd), path, flags, mode, resolve, largefile=largefile)
    return files.install_new(file, cloexec=bool(flags & O_CLOEXEC), task=task)


def sys_open(task, filename, flags, mode) -> int:
    return do_sys_open(task, AT_FDCWD, filename, flags, mode)


def sys_openat(task, dfd, filename, flags, mode) -> int:
    return do_sys_open(task, dfd, filename, flags, mode)


# compat_sys_open: open(2) of i386: O_LARGEFILE only if the caller passes it (a file past
# 2 GiB is then EOVERFLOW, and writes and truncation stop at 2 GiB - 1).
def compat_sys_open(task, filename, flags, mode) -> int:
    return do_sys_open(task, AT_FDCWD, filename, flags, mode, largefile=False)


# compat_sys_openat: openat(2) of i386, as compat_sys_open.
def compat_sys_openat(task, dfd, filename, flags, mode) -> int:
    return do_sys_open(task, dfd, filename, flags, mode, largefile=False)


OPEN_HOW_SIZE_VER0 = 24               # struct open_how: flags, mode, resolve (u64 each)
VALID_RESOLVE_FLAGS = (RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS
                       | RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED)


def copy_open_how(task, uhow: int, usize: int) -> tuple:
    """copy_struct_from_user for struct open_how: EINVAL below the first version's size,
    E2BIG past a page or when a larger struct's extra bytes are not zero."""
    if usize < OPEN_HOW_SIZE_VER0:
        raise KernelError(Errno.EINVAL)
    if usize > 4096:
        raise KernelError(Errno.E2BIG)
    raw = copy_from_user(task, uhow, usize)
    if any(raw[OPEN_HOW_SIZE_VER0:]):
        raise KernelError(Errno.E2BIG)
    return struct.unpack_from("<QQQ", raw)


def sys_openat2(task, dfd, filename, how, usize) -> int:
    """openat2: open with every flag checked (unknown ones are EINVAL, unlike open) and
    the walk bounded by the RESOLVE_* flags (build_open_how)."""
    flags, mode, resolve = copy_open_how(task, how, long_arg(usize))
    if flags & ~VALID_OPEN_FLAGS or flags >> 32:
        raise KernelError(Errno.EINVAL)
    if flags & O_PATH and flags & ~(O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC):
        raise KernelError(Errno.EINVAL)
    if mode and not flags & (O_CREAT | __O_TMPFILE):
        raise KernelError(Errno.EINVAL)
    if mode & ~S_IALLUGO or mode >> 32:
        raise KernelError(Errno.EINVAL)
    if resolve & ~VALID_RESOLVE_FLAGS:
        raise KernelError(Errno.EINVAL)
    if resolve & RESOLVE_BENEATH and resolve & RESOLVE_IN_ROOT:
        raise KernelError(Errno.EINVAL)
    if resolve & RESOLVE_CACHED and flags & (O_TRUNC | O_CREAT | __O_TMPFILE):
        raise KernelError(Errno.EAGAIN)
    return do_sys_open(task, dfd, filename, flags, mode, resolve)


def sys_creat(task, pathname, mode) -> int:
    return do_sys_open(task, AT_FDCWD, pathname, O_CREAT | O_WRONLY | O_TRUNC, mode)


def sys_close(task, fd) -> int:
    """close(2): EBADF for a descriptor not in use."""
    task.files.close_fd(fd_arg(fd))
    return 0


# --- access ---------------------------------------------------------------------------
def do_faccessat(task, dfd, filename, mode, flags) -> int:
    """do_faccessat: EINVAL for unknown bits, else check the permission (EACCES)."""
    mode, flags = uint_arg(mode), uint_arg(flags)
    if mode & ~int(R_OK | W_OK | X_OK):
        raise KernelError(Errno.EINVAL)
    if flags & ~int(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise KernelError(Errno.EINVAL)
    cred = task.cred
    if not flags & AT_EACCESS:      # access() asks for the real ids (do_faccessat's override)
        # access_override_creds: the real ids, and root's permitted set as effective
        # (nothing for a non-root real uid), unless SECBIT_NO_SETUID_FIXUP
        from glasskernel.security.commoncap import root_uid
        caps = cred.cap_effective
        if not cred.securebits & (1 << SECURE_NO_SETUID_FIXUP):
            caps = cred.cap_permitted if cred.uid == root_uid(cred) else 0
        cred = dataclasses.replace(cred, fsuid=cred.uid, fsgid=cred.gid, cap_effective=caps)
    dentry = user_path_at(task, dfd, filename, flags & ~int(AT_EACCESS))
    if mode:
        dentry.permission(mode, cred)
    if mode & W_OK and dentry.mode() & S_IFMT in (S_IFREG, S_IFDIR, S_IFLNK):
        mnt_want_write(task, dentry)            # SuS: a read-only file system is reported
    return 0


def sys_access(task, filename, mode) -> int:
    return do_faccessat(task, AT_FDCWD, filename, mode, 0)


def sys_faccessat(task, dfd, filename, mode) -> int:
    return do_faccessat(task, dfd, filename, mode, 0)


def sys_faccessat2(task, dfd, filename, mode, flags) -> int:
    return do_faccessat(task, dfd, filename, mode, flags)


# --- working directory -------------------------------------------------------------
def set_cwd(task, dentry: Dentry) -> int:
    if not dentry.is_dir():
        raise KernelError(Errno.ENOTDIR)
    dentry.permission(MAY_EXEC, task.cred)
    old = task.fs.cwd
    task.fs.set_pwd(dentry)
    if fsnotify.nr_marks and old is not dentry:
        fsnotify.fsnotify_dput(old)         # path_put of the old pwd
    return 0


def sys_chdir(task, filename) -> int:
    return set_cwd(task, user_path_at(task, AT_FDCWD, filename))


def sys_fchdir(task, fd) -> int:
    return set_cwd(task, task.files.fdget(fd_arg(fd)).dentry)


# --- mode and size --------------------------------------------------------------------
def chmod_common(dentry: Dentry, mode: int, cred=None) -> int:
    """chmod_common: only the owner or CAP_FOWNER may change the mode (EPERM); the
    set-group-ID bit goes unless the caller is in the file's group or has CAP_FSETID."""
    if cred is None:
        if os.geteuid() != 0 and dentry.stat().st_uid != os.geteuid():
            raise KernelError(Errno.EPERM)
        dentry.chmod(uint_arg(mode) & S_IALLUGO)
        if fsnotify.nr_marks:
            fsnotify.fsnotify_change(dentry, fsnotify.FS_ATTRIB)
        return 0
    st = dentry.stat()
    if cred.fsuid != st.st_uid and not cred_capable(cred, CAP_FOWNER, st):
        raise KernelError(Errno.EPERM)
    mode = uint_arg(mode) & S_IALLUGO
    if mode & S_ISGID and not in_group_p(cred, st.st_gid) and not cred_capable(cred, CAP_FSETID, st):
        mode &= ~S_ISGID
    dentry.chmod(mode)
    if fsnotify.nr_marks:
        fsnotify.fsnotify_change(dentry, fsnotify.FS_ATTRIB)
    return 0


def sys_chmod(task, filename, mode) -> int:
    return sys_fchmodat(task, AT_FDCWD, filename, mode)


def sys_fchmodat(task, dfd, filename, mode) -> int:
    dentry = user_path_at(task, dfd, filename)
    mnt_want_write(task, dentry)
    return chmod_common(dentry, mode, task.cred)


def sys_fchmod(task, fd, mode) -> int:
    file = task.files.fdget(fd_arg(fd))
    if file.flags & O_PATH:
        raise KernelError(Errno.EBADF)
    mnt_want_write(task, file.dentry)
    return chmod_common(file.dentry, mode, task.cred)


def sys_truncate(task, path, length) -> int:
    """do_sys_truncate: EINVAL for a negative length, EISDIR, EACCES without write."""
    length = long_arg(length)
    if length < 0:
        raise KernelError(Errno.EINVAL)
    dentry = user_path_at(task, AT_FDCWD, path)
    if dentry.is_dir():
        raise KernelError(Errno.EISDIR)
    if not dentry.is_reg():
        raise KernelError(Errno.EINVAL)
    mnt_want_write(task, dentry)
    dentry.permission(MAY_WRITE, task.cred)
    break_lease(task, dentry, O_WRONLY)     # vfs_truncate breaks leases as a writer would
    token = get_write_access(task.kernel, dentry)     # ETXTBSY for a running program
    try:
        inode_newsize_ok(task, dentry.stat().st_size, length)
        truncate_inode_pages(dentry, length)
        dentry.truncate(length)
    finally:
        put_write_access(token)
    if fsnotify.nr_marks:
        fsnotify.fsnotify_change(dentry, fsnotify.FS_MODIFY)
    return 0


def sys_ftruncate(task, fd, length) -> int:
    """do_sys_ftruncate: EINVAL unless a regular file opened for writing."""
    length = long_arg(length)
    if length < 0:
        raise KernelError(Errno.EINVAL)
    file = task.files.fdget(fd_arg(fd))
    if file.flags & O_PATH:
        raise KernelError(Errno.EBADF)
    if not file.writable or not file.stat().is_reg():
        raise KernelError(Errno.EINVAL)
    if length > MAX_NON_LFS and not file.flags & O_LARGEFILE:
        raise KernelError(Errno.EINVAL)         # do_sys_ftruncate's small: a 32-bit open
    inode_newsize_ok(task, file.stat().st_size, length)
    file.truncate(length)
    if fsnotify.nr_marks:
        fsnotify.fsnotify_change(file.dentry, fsnotify.FS_MODIFY)
    return 0


# --- ownership ------------------------------------------------------------------------
NO_CHANGE_ID = 0xFFFFFFFF        # (uid_t)-1: leave this id as it is


def in_group_p(cred, gid: int) -> bool:
    """in_group_p (kernel/groups.c): the fs gid or one of the supplementary groups."""
    return gid == cred.fsgid or gid in cred.groups


def chown_ok(cred, st, uid) -> bool:
    """chown_ok (fs/attr.c): only CAP_CHOWN gives a file away; the owner may "change"
    the owner to itself."""
    return uid is None or cred_capable(cred, CAP_CHOWN, st) or (cred.fsuid == st.st_uid and uid == st.st_uid)


def chgrp_ok(cred, st, gid) -> bool:
    """chgrp_ok (fs/attr.c): the owner may pick one of its own groups; CAP_CHOWN any."""
    if gid is None or cred_capable(cred, CAP_CHOWN, st):
        return True
    return cred.fsuid == st.st_uid and (gid == st.st_gid or in_group_p(cred, gid))


def chown_common(task, target, user, group) -> int:
    """chown_common: check the caller may make the change (EPERM), then make it.

    ``target`` is a dentry (chown, lchown, fchownat) or an open File (fchown): either has
    ``stat`` and ``chown``. The file system clears set-user-ID (and group-executable
    set-group-ID) bits of a non-directory as notify_change's ATTR_KILL_* would.
    """
    uid = None if uint_arg(user) == NO_CHANGE_ID else uint_arg(user)
    gid = None if uint_arg(group) == NO_CHANGE_ID else uint_arg(group)
    mnt_want_write(task, getattr(target, "dentry", target))
    ns = task.cred.user_ns
    if ns is not None:                     # make_kuid/make_kgid: unmapped ids are EINVAL
        from glasskernel.kernel.user_namespace import make_kgid, make_kuid
        uid = None if uid is None else make_kuid(ns, uid)
        gid = None if gid is None else make_kgid(ns, gid)
        if uid == -1 or gid == -1:
            raise KernelError(Errno.EINVAL)
    st = target.stat()
    cred = task.cred
    if not chown_ok(cred, st, uid) or not chgrp_ok(cred, st, gid):
        raise KernelError(Errno.EPERM)
    target.chown(uid, gid)
    if fsnotify.nr_marks and (uid is not None or gid is not None):
        fsnotify.fsnotify_change(getattr(target, "dentry", target), fsnotify.FS_ATTRIB)
    return 0


def sys_chown(task, filename, user, group) -> int:
    return chown_common(task, user_path_at(task, AT_FDCWD, filename), user, group)


def sys_lchown(task, filename, user, group) -> int:
    return chown_common(task, user_path_at(task, AT_FDCWD, filename, AT_SYMLINK_NOFOLLOW),
                        user, group)


def sys_fchownat(task, dfd, filename, user, group, flag) -> int:
    """do_fchownat: only AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH are accepted (EINVAL)."""
    flag = uint_arg(flag)
    if flag & ~int(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise KernelError(Errno.EINVAL)
    return chown_common(task, user_path_at(task, dfd, filename, flag), user, group)


def sys_fchown(task, fd, user, group) -> int:
    """ksys_fchown: an O_PATH descriptor is EBADF, as for every fdget user."""
    file = task.files.fdget(fd_arg(fd))
    if file.flags & O_PATH:
        raise KernelError(Errno.EBADF)
    return chown_common(task, file, user, group)


def sys_umask(task, mask) -> int:
    """umask(2) (kernel/sys.c): set the creation mask, return the old one."""
    old = task.fs.umask
    task.fs.umask = uint_arg(mask) & 0o777
    return old


# --- preallocation ----------------------------------------------------------------------
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_COLLAPSE_RANGE = 0x01, 0x02, 0x08
FALLOC_FL_ZERO_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_UNSHARE_RANGE = 0x10, 0x20, 0x40
FALLOC_FL_SUPPORTED_MASK = (FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE
                            | FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE
                            | FALLOC_FL_UNSHARE_RANGE)
MAX_LFS_FILESIZE = (1 << 63) - 1


def check_fallocate_mode(mode: int) -> None:
    """vfs_fallocate's checks of the mode bits (EOPNOTSUPP, EINVAL)."""
    if mode & ~FALLOC_FL_SUPPORTED_MASK:
        raise KernelError(Errno.EOPNOTSUPP)
    if mode & FALLOC_FL_PUNCH_HOLE and mode & FALLOC_FL_ZERO_RANGE:
        raise KernelError(Errno.EINVAL)
    if mode & FALLOC_FL_PUNCH_HOLE and not mode & FALLOC_FL_KEEP_SIZE:
        raise KernelError(Errno.EOPNOTSUPP)
    for alone in (FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE):
        if mode & alone and mode & ~alone:
            raise KernelError(Errno.EINVAL)
    if mode & FALLOC_FL_UNSHARE_RANGE and mode & ~(FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE):
        raise KernelError(Errno.EINVAL)


def sys_fallocate(task, fd, mode, offset, length) -> int:
    """vfs_fallocate: the checks in Linux's order, then the file system's ->fallocate
    (EOPNOTSUPP for a file without one)."""
    mode, offset, length = uint_arg(mode), long_arg(offset), long_arg(length)
    file = task.files.fdget(fd_arg(fd))
    if file.flags & O_PATH:
        raise KernelError(Errno.EBADF)
    if offset < 0 or length <= 0:
        raise KernelError(Errno.EINVAL)
    check_fallocate_mode(mode)
    if not file.writable:
        raise KernelError(Errno.EBADF)
    kind = file.stat().st_mode & S_IFMT
    if kind == 0o010000:
        raise KernelError(Errno.ESPIPE)
    if kind == S_IFDIR:
        raise KernelError(Errno.EISDIR)
    if kind != 0o100000:
        raise KernelError(Errno.ENODEV)
    if offset + length > MAX_LFS_FILESIZE:
        raise KernelError(Errno.EFBIG)
    if not mode & 0x01:                          # FALLOC_FL_KEEP_SIZE: the size may grow
        inode_newsize_ok(task, file.stat().st_size, offset + length)   # (->fallocate's check)
    file.fallocate(mode, offset, length)
    if fsnotify.nr_marks:
        fsnotify.fsnotify_file(file, fsnotify.FS_MODIFY)
    return 0


# compat_sys_truncate: truncate(2) of i386: a compat_off_t (sign-extended) length.
def compat_sys_truncate(task, path, length) -> int:
    from glasskernel.kernel.compat import compat_long
    return sys_truncate(task, path, compat_long(length))


# compat_sys_ftruncate: ftruncate(2) of i386: a compat_off_t length.
def compat_sys_ftruncate(task, fd, length) -> int:
    from glasskernel.kernel.compat import compat_long
    return sys_ftruncate(task, fd, compat_long(length))
