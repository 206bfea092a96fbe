"""The guest's mount namespace: the sandbox root and what is mounted on it (fs/namespace.c).

``Vfs.create`` builds the overlay root (host ``/`` or ``--root DIR`` read-only below a
private writable layer) with procfs on /proc and devtmpfs on /dev. The Kernel keeps the
Vfs as ``kernel.vfs``; ``close()`` throws the writable layer away.
"""
import os

from glasskernel.fs.libfs import SyntheticFs
from glasskernel.fs.overlayfs.inode import OvlDentry
from glasskernel.fs.overlayfs.super import OverlayFs


class Vfs:
    """The mount tree: one overlay root, procfs and devtmpfs mounted on it."""

    def __init__(self, lower: str, quota: int | None = None):
        self.overlay = OverlayFs(lower, quota)
        self.procfs = SyntheticFs("proc", os.makedev(0, 22), 22)
        self.devfs = SyntheticFs("devtmpfs", os.makedev(0, 5), 23)
        self.root = OvlDentry(self, self.overlay, "/", None, "/", lower=True)
        # (st_dev, st_ino) -> AddressSpace of files with MAP_SHARED mappings (mm/filemap.py);
        # a file's dentry finds it through its ``vfs``.
        self.address_spaces = {}
        # mount point -> factory(parent dentry) of the mounted root (vfsmount list)
        # (procfs and devtmpfs are imported at their first lookup: a short run may need
        # neither, and their modules are a good part of start-up's imports)
        self._mounts = {"/proc": self._proc_root, "/dev": self._dev_root,
                        "/sys/kernel/mm/hugepages": self._hugepages_root}

    def _proc_root(self, parent):
        from glasskernel.fs.proc.root import ProcRoot
        return ProcRoot(self.procfs, "proc", parent)

    def _hugepages_root(self, parent):
        """The huge page pools' sysfs directory over the host's (mm/hugetlb_sysfs.py)."""
        from glasskernel.mm.hugetlb_sysfs import hugepages_root
        return hugepages_root(parent)

    def _dev_root(self, parent):
        from glasskernel.drivers.base.devtmpfs import DevRoot
        return DevRoot(self.devfs, "dev", parent)

    @classmethod
    def create(cls, root: str | None = None, quota: int | None = None) -> "Vfs":
        """The sandbox: ``root`` (default the host ``/``) read-only under a fresh upper
        that may hold ``quota`` bytes (default: see OverlayFs)."""
        return cls("/" if root is None else root, quota)

    @property
    def lower(self) -> str:
        """Host directory the guest's ``/`` shows (read-only)."""
        return self.overlay.lower_root

    def mount_at(self, path: str, parent):
        """The root dentry of what is mounted at guest ``path``, or None (lookup_mnt)."""
        factory = self._mounts.get(path)
        if factory is None:
            return None
        mounted = factory(parent)
        mounted.path = path
        return mounted

    def mount_names(self, dir_path: str) -> list:
        """(path, name) of the mount points directly inside directory ``dir_path``."""
        return [(p, p.rsplit("/", 1)[1]) for p in self._mounts
                if (p.rsplit("/", 1)[0] or "/") == dir_path]

    def host_to_guest(self, host_path: str) -> str | None:
        """Guest path of a host path inside the lower root, or None if it is outside."""
        host_path = os.path.realpath(host_path)
        lower = self.lower
        if lower == "/":
            return host_path
        if host_path == lower:
            return "/"
        if host_path.startswith(lower + "/"):
            return host_path[len(lower):]
        return None

    def close(self) -> None:
        """Unmount everything: delete the private writable layer."""
        self.overlay.close()
