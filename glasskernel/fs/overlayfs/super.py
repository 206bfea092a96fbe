"""The overlay's layers and bookkeeping (fs/overlayfs/super.c, ovl_fs).

``lower`` is a host directory that is never written (host ``/`` or ``--root DIR``);
``upper`` is a fresh temporary directory that takes every change. Deleting an entry that
exists in lower records a *whiteout* (the guest path, in memory); a directory created in
upper where lower had something is *opaque* (lower's entries below it are hidden).
"""
import os
import shutil
import stat
import tempfile

from glasskernel.fs.internal import host_errors, lstat_or_none
from glasskernel.uapi.errno import Errno, KernelError

LSTAT_CACHE_SIZE = 65536      # remembered lstat results per layer (then start afresh)


class OverlayFs:
    """One overlay mount: the two layers, the whiteout set and the opaque-directory set."""

    mnt_id = 21

    def __init__(self, lower: str):
        self.lower = os.path.realpath(lower)
        self.upper = tempfile.mkdtemp(prefix="glasskernel-upper-")
        self.whiteouts = set()    # guest paths whose lower entry is deleted
        self.opaque = set()       # guest paths of upper dirs that hide the lower dir below
        self._lower_stats = {}    # guest path -> lower layer's lstat result (or None)
        self._upper_absent = set()  # guest paths known to have no upper entry
        self._lower_links = {}    # guest path -> body of the lower layer's symlink there
        self._hide_upper_in_lower()

    def _hide_upper_in_lower(self) -> None:
        """The upper layer lives in the host's /tmp, which may be inside lower: the guest
        must not see (or reach) it there, so it starts out whited out."""
        real_upper = os.path.realpath(self.upper)
        base = self.lower.rstrip("/")
        if real_upper.startswith(base + "/"):
            self.whiteouts.add(real_upper[len(base):])

    def lower_path(self, path: str) -> str:
        """Host path of guest ``path`` in the lower layer (the caller checked visibility)."""
        return self.lower if path == "/" else self.lower.rstrip("/") + path

    def lower_lstat(self, path: str):
        """lstat of guest ``path`` in the lower layer (None if absent), remembered.

        Linux's overlayfs leaves changes to a lower layer made behind its back undefined
        (Documentation/filesystems/overlayfs.rst) and caches its lookups; so do we, which
        spares a host lstat per path component of every lookup and stat.
        """
        try:
            return self._lower_stats[path]
        except KeyError:
            pass
        if len(self._lower_stats) >= LSTAT_CACHE_SIZE:
            self._lower_stats.clear()
        st = self._lower_stats[path] = lstat_or_none(self.lower_path(path))
        return st

    def lower_readlink(self, path: str) -> str:
        """The body of the lower layer's symlink at guest ``path``, remembered as its lstat
        is (a usrmerged host resolves /bin through one at every exec)."""
        target = self._lower_links.get(path)
        if target is None:
            if len(self._lower_links) >= LSTAT_CACHE_SIZE:
                self._lower_links.clear()
            with host_errors():
                target = self._lower_links[path] = os.readlink(self.lower_path(path))
        return target

    def upper_lstat(self, path: str):
        """lstat of guest ``path`` in the upper layer (None if absent).

        Upper changes only through this overlay, so an absence is remembered until the
        overlay creates or moves something there (``upper_changed``); most lookups are of
        paths the guest never wrote, and this spares their host lstat.
        """
        if path in self._upper_absent:
            return None
        st = lstat_or_none(self.upper_path(path))
        if st is None:
            if len(self._upper_absent) >= LSTAT_CACHE_SIZE:
                self._upper_absent.clear()
            self._upper_absent.add(path)
        return st

    def upper_changed(self) -> None:
        """Something was created, copied up or moved in upper: forget remembered absences."""
        self._upper_absent.clear()

    def upper_path(self, path: str) -> str:
        return self.upper if path == "/" else self.upper + path

    def safe_upper_path(self, path: str) -> str:
        """upper_path, after checking that no upper ancestor is a symlink or a file.

        Used before changing upper or listing it through a dentry that may be stale (an
        fd kept across renames): a host symlink planted in upper must never be followed.
        """
        prefix = self.upper
        for name in path.strip("/").split("/")[:-1]:
            prefix += "/" + name
            try:
                mode = os.lstat(prefix).st_mode
            except FileNotFoundError:
                return self.upper_path(path)       # nothing below can exist either
            if not stat.S_ISDIR(mode):
                raise KernelError(Errno.ENOENT)
        return self.upper_path(path)

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

    def close(self) -> None:
        """Remove the upper layer (the sandbox's changes vanish with it)."""
        shutil.rmtree(self.upper, ignore_errors=True)
