"""The overlay's layers and bookkeeping (fs/overlayfs/super.c, ovl_fs).

``lower`` is a host directory that is never written (host ``/`` or ``--root DIR``);
``upper`` is a fresh private directory that takes every change. Both are ``Layer``s: host
objects are reached only beneath a directory descriptor (layer.py). Deleting an entry that
exists in lower records a *whiteout* (the guest path, in memory); a directory created in
upper where lower had something is *opaque* (lower's entries below it are hidden).

The dentries that open files and working directories hold are *pinned*: a rename moves
them (d_move) and an unlink marks them deleted (d_delete), so a descriptor keeps naming the
object it was opened on, as in Linux, and never whatever the guest later put at its old path.
"""
import os
import stat
import weakref

from glasskernel.fs.internal import host_errors
from glasskernel.fs.overlayfs.copy_up import copy_root_attrs
from glasskernel.fs.overlayfs.layer import Layer
from glasskernel.fs.overlayfs.workdir import make_upper, remove_upper
from glasskernel.uapi.errno import Errno, KernelError

LSTAT_CACHE_SIZE = 65536      # remembered lstat results per layer (then start afresh)
DEFAULT_QUOTA_MAX = 16 << 30  # --disk-quota's default: half the free space, at most this


class OverlayFs:
    """One overlay mount: the two layers, the whiteout set and the opaque-directory set."""

    mnt_id = 21

    def __init__(self, lower: str, quota: int | None = None):
        self.lower_root = os.path.realpath(lower)
        self.lower = Layer(self.lower_root)
        self.upper_root, self._lock_fd, base = make_upper()
        self.upper = Layer(self.upper_root)
        copy_root_attrs(self.lower, self.upper)
        self.whiteouts = set()    # guest paths whose lower entry is deleted
        self.opaque = set()       # guest paths of upper dirs that hide the lower dir below
        self._lower_stats = {}    # guest path -> lower layer's lstat result (or None)
        self._upper_absent = set()  # guest paths known to have no upper entry
        self._lower_links = {}    # guest path -> body of the lower layer's symlink there
        self.pinned = weakref.WeakSet()   # dentries held by files and fs_structs
        # Copied-up objects keep the identity they had in lower (trusted.overlay.origin):
        # upper (st_dev, st_ino) -> lower (st_dev, st_ino). Keyed by the upper inode,
        # so renames and hard links keep it; dropped when its last name goes.
        self.origins = {}
        # Device nodes the guest made (mknod, or a copy-up of one from lower): the host
        # holds an empty regular file in their place, never a real node (our drivers
        # open them by number, fs/char_dev.py). upper (st_dev, st_ino) -> (S_IFCHR or
        # S_IFBLK, rdev), kept over renames and links like ``origins``.
        self.devnodes = {}
        self.upper_dev = os.fstat(self.upper.root_fd).st_dev
        self.quota = quota if quota is not None else _default_quota(self.upper)
        self.used = 0             # bytes of data the upper layer holds (its quota)
        base_st = os.stat(base)
        self._hidden = (base_st.st_dev, base_st.st_ino)
        self._hide_upper_in_lower(base)

    def _hide_upper_in_lower(self, base: str) -> None:
        """Every run's layer lives in one private host directory, which may be inside
        lower: the guest must not see (or reach) it there, so it starts out whited out;
        ``hidden`` also catches it under any other name (a bind mount, a symlinked /tmp)."""
        real_base = os.path.realpath(base)
        root = self.lower_root.rstrip("/")
        if real_base.startswith(root + "/"):
            self.whiteouts.add(real_base[len(root):])

    def hidden(self, st) -> bool:
        """Is this lower directory the private directory of the layers?"""
        return (st.st_dev, st.st_ino) == self._hidden

    # --- the lower layer (read-only, so remembered) ---------------------------------------
    def lower_lstat(self, path: str):
        """lstat of guest ``path`` in the lower layer (None if absent), remembered.

        Linux's overlayfs leaves changes to a lower layer made behind its back undefined
        (Documentation/filesystems/overlayfs.rst) and caches its lookups; so do we, which
        spares host calls per path component of every lookup and stat.
        """
        try:
            return self._lower_stats[path]
        except KeyError:
            pass
        if len(self._lower_stats) >= LSTAT_CACHE_SIZE:
            self._lower_stats.clear()
        with host_errors():
            st = self.lower.lstat(path)
        if st is not None and stat.S_ISDIR(st.st_mode) and self.hidden(st):
            st = None
        self._lower_stats[path] = st
        return st

    def lower_readlink(self, path: str) -> str:
        """The body of the lower layer's symlink at guest ``path``, remembered as its lstat
        is (a usrmerged host resolves /bin through one at every exec)."""
        target = self._lower_links.get(path)
        if target is None:
            if len(self._lower_links) >= LSTAT_CACHE_SIZE:
                self._lower_links.clear()
            with host_errors():
                target = self._lower_links[path] = self.lower.readlink(path)
        return target

    # --- the upper layer ------------------------------------------------------------------
    def upper_lstat(self, path: str):
        """lstat of guest ``path`` in the upper layer (None if absent).

        Upper changes only through this overlay, so an absence is remembered until the
        overlay creates or moves something there (``upper_changed``); most lookups are of
        paths the guest never wrote, and this spares their host calls.
        """
        if path in self._upper_absent:
            return None
        with host_errors():
            st = self.upper.lstat(path)
        if st is None:
            if len(self._upper_absent) >= LSTAT_CACHE_SIZE:
                self._upper_absent.clear()
            self._upper_absent.add(path)
        elif self.devnodes:
            st = self.device_stat(st)
        return st

    def device_stat(self, st):
        """st as the guest sees it: a device node's placeholder shows its type and rdev."""
        node = self.devnodes.get((st.st_dev, st.st_ino))
        if node is None:
            return st
        fields = list(st[:10])
        fields[0] = node[0] | stat.S_IMODE(st.st_mode)
        fields[6] = 0                                           # st_size
        return os.stat_result(fields, {"st_atime_ns": st.st_atime_ns, "st_mtime_ns": st.st_mtime_ns,
                                       "st_ctime_ns": st.st_ctime_ns, "st_blksize": st.st_blksize,
                                       "st_blocks": 0, "st_rdev": node[1]})

    def add_devnode(self, pfd: int, name: str, kind: int, rdev: int) -> None:
        """The placeholder ``name`` in directory pfd stands for a device node."""
        st = os.stat(name, dir_fd=pfd, follow_symlinks=False)
        self.devnodes[(st.st_dev, st.st_ino)] = (kind, rdev)

    def upper_changed(self) -> None:
        """Something was created, copied up or moved in upper: forget remembered absences."""
        self._upper_absent.clear()

    def charge(self, nbytes: int) -> None:
        """Account ``nbytes`` more data in upper: ENOSPC past the quota (--disk-quota)."""
        if nbytes > 0 and self.used + nbytes > self.quota:
            raise KernelError(Errno.ENOSPC)
        self.used = max(0, self.used + nbytes)

    def room(self) -> int:
        """Bytes the upper layer may still take."""
        return max(0, self.quota - self.used)

    # --- whiteouts and opaque directories -------------------------------------------------
    def is_opaque(self, path: str) -> bool:
        return path in self.opaque

    def add_whiteout(self, path: str) -> None:
        """Hide lower's entry at ``path``, and forget bookkeeping below it."""
        self.whiteouts.add(path)
        self.forget_below(path)

    def claim(self, path: str, is_dir: bool) -> None:
        """A new upper entry is made at ``path``: a directory over a deleted one is opaque."""
        self.upper_changed()
        if path in self.whiteouts:
            self.whiteouts.discard(path)
            if is_dir:
                self.opaque.add(path)

    def forget_below(self, path: str) -> None:
        self.upper_changed()
        prefix = path.rstrip("/") + "/"
        self.opaque.discard(path)
        for group in (self.whiteouts, self.opaque):
            stale = [p for p in group if p.startswith(prefix)]
            group.difference_update(stale)

    # --- identity of copied-up objects ---------------------------------------------------
    def set_origin(self, upper_st, lower_st) -> None:
        self.origins[(upper_st.st_dev, upper_st.st_ino)] = (lower_st.st_dev, lower_st.st_ino)

    def drop_origin(self, upper_st) -> None:
        """The upper object's last name is going: the host may reuse its inode number."""
        if upper_st is not None and upper_st.st_nlink <= 1:
            self.origins.pop((upper_st.st_dev, upper_st.st_ino), None)
            self.devnodes.pop((upper_st.st_dev, upper_st.st_ino), None)

    def shown_identity(self, st):
        """st with the lower identity of the object it was copied up from, if any."""
        origin = self.origins.get((st.st_dev, st.st_ino)) if self.origins else None
        if origin is None:
            return st
        fields = list(st[:10])
        fields[1], fields[2] = origin[1], origin[0]          # st_ino, st_dev
        return os.stat_result(fields, {"st_atime_ns": st.st_atime_ns, "st_mtime_ns": st.st_mtime_ns,
                                       "st_ctime_ns": st.st_ctime_ns, "st_blksize": st.st_blksize,
                                       "st_blocks": st.st_blocks, "st_rdev": st.st_rdev})

    # --- pinned dentries (d_move, d_delete) ---------------------------------------------
    def pin(self, dentry) -> None:
        self.pinned.add(dentry)

    def pinned_at_or_below(self, path: str) -> list:
        """The live pinned dentries naming ``path`` or something below it."""
        prefix = path.rstrip("/") + "/"
        return [d for d in list(self.pinned)
                if not d.deleted and (d.path == path or d.path.startswith(prefix))]

    def d_delete(self, path: str) -> None:
        """The entry at ``path`` is about to go: dentries pinned at or below it grab their
        host objects while the name still reaches them, and are deleted."""
        for d in self.pinned_at_or_below(path):
            d.grab_inode()
            d.deleted = True

    def d_move(self, old: str, new: str) -> None:
        """``old`` was renamed to ``new``: pinned dentries at or below follow it."""
        moved = self.pinned_at_or_below(old)
        for d in moved:
            d.path = new + d.path[len(old):]
        for d in moved:
            d.reparent()

    def close(self) -> None:
        """Remove the upper layer (the sandbox's changes vanish with it)."""
        self.upper.close()
        self.lower.close()
        remove_upper(self.upper_root, self._lock_fd)


def _default_quota(upper: Layer) -> int:
    st = upper.statvfs()
    return min(DEFAULT_QUOTA_MAX, st.f_bavail * st.f_frsize // 2)
