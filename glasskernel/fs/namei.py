"""Path walking, all ours (fs/namei.c).

The walk goes component by component from the task's root or cwd (or a dirfd), asking each
dentry for its child. Symlinks are read and walked again *inside the guest root*: an
absolute target restarts at the root, ``..`` at the root stays there, and procfs magic
links jump to a dentry of the same tree. 40 links at most (ELOOP). Because every step is a
lookup in our own dentries, no host path outside the sandbox is ever reached.
"""
import os
from dataclasses import dataclass

from glasskernel.fs.dcache import Dentry
from glasskernel.fs.inode import deny_write_access, put_write_access
from glasskernel.fs.internal import fd_arg
from glasskernel.mm.uaccess import strncpy_from_user
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.uapi.fcntl import AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW
from glasskernel.uapi.limits import NAME_MAX, PATH_MAX

MAXSYMLINKS = 40                  # symlinks one lookup may follow (include/linux/namei.h)
# openat2's resolve flags (include/uapi/linux/openat2.h)
RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS = 0x01, 0x02, 0x04
RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_CACHED = 0x08, 0x10, 0x20
RESOLVE_SCOPED = RESOLVE_BENEATH | RESOLVE_IN_ROOT
MAY_EXEC, MAY_WRITE, MAY_READ = 1, 2, 4
LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT = 0, 1, 2, 3


class Nameidata:
    """struct nameidata: the state of one walk (the task, its root, links followed)."""

    def __init__(self, task):
        self.task = task
        self.root = task.fs.root
        self.links = 0
        self.resolve = 0        # openat2's RESOLVE_* flags (0 for every other walk)
        self.cred = task.cred


@dataclass
class Parent:
    """Result of filename_parentat: the parent directory and the last component."""

    dentry: Dentry
    last: str
    last_type: int
    trailing_slash: bool


def getname(task, addr: int, allow_empty: bool = False) -> str:
    """getname_flags: copy a path from user memory (ENAMETOOLONG, EFAULT, ENOENT if empty)."""
    raw = strncpy_from_user(task, addr, PATH_MAX)
    if not raw and not allow_empty:
        raise KernelError(Errno.ENOENT)
    return os.fsdecode(raw)


def split_path(path: str):
    """Components of a path (empty ones dropped) and whether it ends in a slash."""
    return [c for c in path.split("/") if c], path.endswith("/")


def fd_dentry(task, dfd: int) -> Dentry:
    """The dentry a dirfd names: the cwd for AT_FDCWD, else the open file's (EBADF)."""
    if fd_arg(dfd) == AT_FDCWD:
        return task.fs.cwd
    return task.files.fdget(fd_arg(dfd)).dentry


def revalidate(task, dentry: Dentry) -> Dentry:
    """d_revalidate for a remembered dentry: walk its path again from the root.

    A cwd or dirfd may have been renamed or deleted since it was looked up; walking afresh
    gives ENOENT for a vanished directory and guarantees the host paths we derive are
    reached through real directories only.
    """
    if getattr(dentry, "deleted", False):
        raise KernelError(Errno.ENOENT)
    if dentry.path == task.fs.root.path:
        return task.fs.root
    nd = Nameidata(task)
    nd.cred = None          # our own re-walk: Linux never searches a cwd's ancestors again
    return walk(nd, nd.root, dentry.path, follow_last=False)


def path_init(nd: Nameidata, dfd: int, path: str) -> Dentry:
    """Where a walk starts: the root for absolute paths, else the cwd or the dirfd. A
    scoped openat2 walk (RESOLVE_BENEATH, RESOLVE_IN_ROOT) takes the dirfd as its root."""
    if path.startswith("/") and not nd.resolve & RESOLVE_SCOPED:
        return nd.root
    start = fd_dentry(nd.task, dfd)
    if not start.is_dir():
        raise KernelError(Errno.ENOTDIR)
    start = revalidate(nd.task, start)
    if nd.resolve & RESOLVE_SCOPED:
        nd.root = start
        if path.startswith("/") and nd.resolve & RESOLVE_BENEATH:
            raise KernelError(Errno.EXDEV)
    return start


def walk(nd: Nameidata, start: Dentry, path: str, follow_last: bool) -> Dentry:
    """link_path_walk + lookup_last: resolve ``path`` from ``start``.

    A trailing slash means the result must be a directory (and a final symlink is
    followed, as Linux does).
    """
    comps, trailing = split_path(path)
    node = nd.root if path.startswith("/") else start
    follow_last = follow_last or trailing
    for i, name in enumerate(comps):
        last = i == len(comps) - 1
        node = step(nd, node, name, follow=follow_last or not last)
    if trailing and not node.is_dir():
        raise KernelError(Errno.ENOTDIR)
    return node


def step(nd: Nameidata, node: Dentry, name: str, follow: bool) -> Dentry:
    """walk_component: one name from directory ``node``; follow a symlink if asked."""
    if not node.is_dir():
        raise KernelError(Errno.ENOTDIR)
    cred = nd.cred
    # CAP_DAC_OVERRIDE|_READ_SEARCH search anything (in a user namespace: what it maps)
    if cred is not None and (not cred.cap_effective & 0b110 or cred.user_ns is not None):
        node.permission(MAY_EXEC, cred)             # may_lookup: search permission
    if name == ".":
        return node
    if name == "..":
        # follow_dotdot: the root is its own parent, so nobody climbs out of the sandbox
        # (nor out of the dirfd of RESOLVE_BENEATH, which refuses to try: EXDEV).
        if node.path == nd.root.path:
            if nd.resolve & RESOLVE_BENEATH:
                raise KernelError(Errno.EXDEV)
            return node
        parent = node.parent
        if nd.resolve & RESOLVE_NO_XDEV and parent.mnt_id != node.mnt_id:
            raise KernelError(Errno.EXDEV)
        return parent
    # (a name of 63 characters or fewer encodes to at most 252 bytes: no need to encode)
    if len(name) > NAME_MAX // 4 and len(os.fsencode(name)) > NAME_MAX:
        raise KernelError(Errno.ENAMETOOLONG)
    child = node.lookup(nd.task, name)
    if nd.resolve & RESOLVE_NO_XDEV and child.mnt_id != node.mnt_id:
        raise KernelError(Errno.EXDEV)
    if follow and child.is_symlink():
        if nd.resolve & RESOLVE_NO_SYMLINKS:
            raise KernelError(Errno.ELOOP)
        return follow_link(nd, node, child)
    return child


def follow_link(nd: Nameidata, directory: Dentry, link: Dentry) -> Dentry:
    """pick_link + step_into: walk a symlink's body from ``directory`` (or the root)."""
    nd.links += 1
    if nd.links > MAXSYMLINKS:
        raise KernelError(Errno.ELOOP)
    from glasskernel.fs.namespace import path_nosymfollow
    if path_nosymfollow(nd.task, link):
        raise KernelError(Errno.ELOOP)      # pick_link: a nosymfollow mount's links stop walks
    target = get_link_checked(nd, link)
    if isinstance(target, Dentry):       # nd_jump_link: /proc/<pid>/{cwd,root,exe,fd/N}
        return revalidate(nd.task, target) if target.is_dir() else target
    return walk(nd, directory, target, follow_last=True)


def get_link_checked(nd: Nameidata, link: Dentry):
    """A symlink's body (or a magic link's dentry) as openat2's resolve flags allow it:
    magic links are ELOOP with RESOLVE_NO_MAGICLINKS and EXDEV in a scoped walk; an
    absolute body is EXDEV under RESOLVE_BENEATH; an empty one ENOENT."""
    if nd.resolve & RESOLVE_NO_SYMLINKS:
        raise KernelError(Errno.ELOOP)
    target = link.get_link(nd.task)
    if isinstance(target, Dentry):
        if nd.resolve & RESOLVE_NO_MAGICLINKS:
            raise KernelError(Errno.ELOOP)
        if nd.resolve & (RESOLVE_SCOPED | RESOLVE_NO_XDEV):
            raise KernelError(Errno.EXDEV)
        return target
    if not target:
        raise KernelError(Errno.ENOENT)
    if target.startswith("/") and nd.resolve & RESOLVE_BENEATH:
        raise KernelError(Errno.EXDEV)
    return target


def filename_lookup(task, dfd: int, path: str, follow: bool = True,
                    empty_ok: bool = False) -> Dentry:
    """filename_lookup: the dentry ``path`` names (AT_EMPTY_PATH: the dirfd's own)."""
    if not path:
        if not empty_ok:
            raise KernelError(Errno.ENOENT)
        return fd_dentry(task, dfd)
    nd = Nameidata(task)
    return walk(nd, path_init(nd, dfd, path), path, follow_last=follow)


def user_path_at(task, dfd: int, addr: int, at_flags: int = 0,
                 follow_default: bool = True) -> Dentry:
    """user_path_at: copy the path from user memory and look it up per AT_* flags."""
    empty = bool(at_flags & AT_EMPTY_PATH)
    path = getname(task, addr, allow_empty=empty)
    follow = follow_default and not at_flags & AT_SYMLINK_NOFOLLOW
    if at_flags & AT_SYMLINK_FOLLOW:
        follow = True
    return filename_lookup(task, dfd, path, follow=follow, empty_ok=empty)


def filename_parentat(task, dfd: int, path: str) -> Parent:
    """filename_parentat: walk to the parent of the last component and classify it."""
    nd = Nameidata(task)
    comps, trailing = split_path(path)
    start = path_init(nd, dfd, path)
    if not comps:
        return Parent(start, "", LAST_ROOT, trailing)
    prefix = "/".join(comps[:-1])
    parent = walk(nd, start, prefix, follow_last=True) if prefix else start
    if not parent.is_dir():
        raise KernelError(Errno.ENOTDIR)
    last = comps[-1]
    kind = {".": LAST_DOT, "..": LAST_DOTDOT}.get(last, LAST_NORM)
    if kind == LAST_NORM and len(os.fsencode(last)) > NAME_MAX:
        raise KernelError(Errno.ENAMETOOLONG)
    return Parent(parent, last, kind, trailing)


def lookup_child(task, parent: Dentry, name: str) -> Dentry | None:
    """lookup_one: the child ``name`` of ``parent``, or None for a negative dentry."""
    try:
        return parent.lookup(task, name)
    except KernelError as err:
        if err.errno == Errno.ENOENT:
            return None
        raise


def open_exec(task, dfd: int, pathname: bytes, flags: int):
    """do_open_execat: open a program for execve/execveat.

    Only AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW are accepted (EINVAL); the file must be a
    regular file with some execute bit (EACCES), a final symlink with NOFOLLOW is ELOOP.
    """
    if flags & ~int(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW):
        raise KernelError(Errno.EINVAL)
    path = os.fsdecode(pathname)
    if not path and not flags & AT_EMPTY_PATH:
        raise KernelError(Errno.ENOENT)
    dentry = filename_lookup(task, dfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW,
                             empty_ok=True)
    if dentry.is_symlink():
        raise KernelError(Errno.ELOOP)
    if not dentry.is_reg() or not dentry.mode() & 0o111:
        raise KernelError(Errno.EACCES)
    from glasskernel.fs.namespace import path_noexec
    if path_noexec(task, dentry):
        raise KernelError(Errno.EACCES)      # a noexec mount runs nothing
    dentry.permission(MAY_EXEC, task.cred)
    token = deny_write_access(task.kernel, dentry)   # ETXTBSY while open for writing
    try:
        file = dentry.open(task, 0)
    except BaseException:
        put_write_access(token)
        raise
    file.write_access = token
    return file
