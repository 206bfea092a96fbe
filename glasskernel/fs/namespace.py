"""The guest's mount namespace: the sandbox root and what is mounted on it (fs/namespace.c).

``Vfs.create`` builds the overlay root (host ``/`` or ``--root DIR`` read-only below a
private writable layer) with procfs on /proc and devtmpfs on /dev. The Kernel keeps the
Vfs as ``kernel.vfs``; ``close()`` throws the writable layer away.

The mount tree is the list of ``Mount`` objects (struct mount) the Vfs holds, with a stack
of them per mount point path: a walk that reaches a mount point asks ``mount_at`` and goes
on in the root of the top mount there (lookup_mnt). mount(2) and umount2(2) change that
tree only (namespace_mount.py); a guest's mount never touches the host's mount table.
"""
import os

from glasskernel.fs.libfs import SyntheticFs
from glasskernel.fs.overlayfs.inode import OvlDentry
from glasskernel.fs.overlayfs.super import OverlayFs
from glasskernel.uapi.errno import Errno, KernelError

# mnt_flags (include/linux/mount.h)
MNT_NOSUID, MNT_NODEV, MNT_NOEXEC, MNT_NOATIME = 0x01, 0x02, 0x04, 0x08
MNT_NODIRATIME, MNT_RELATIME, MNT_READONLY, MNT_NOSYMFOLLOW = 0x10, 0x20, 0x40, 0x80
MNT_ATIME_MASK = MNT_NOATIME | MNT_NODIRATIME | MNT_RELATIME
FIRST_USER_MNT_ID = 28          # ids of the mounts made at start-up are below this


class Mount:
    """struct mount: one instance of a file system attached at a mount point."""

    __slots__ = ("vfs", "mnt_id", "parent", "mountpoint", "sb", "fstype", "source", "flags",
                 "root_inode", "_factory")

    def __init__(self, vfs, mnt_id: int, mountpoint: str, sb, fstype: str, source: str,
                 flags: int, factory=None, root_inode=None):
        self.vfs = vfs
        self.mnt_id = mnt_id
        self.parent = None              # the mount this one is attached to
        self.mountpoint = mountpoint    # guest path (mnt_mountpoint, as d_path shows it)
        self.sb = sb                    # the superblock (ShmemSb for tmpfs)
        self.fstype, self.source = fstype, source
        self.flags = flags              # MNT_* per-mount flags
        self.root_inode = root_inode    # mnt_root of an in-memory instance (tmpfs)
        self._factory = factory         # root dentry maker of a synthetic mount

    @property
    def readonly(self) -> bool:
        """__mnt_is_readonly: the mount or its superblock is read-only."""
        return bool(self.flags & MNT_READONLY) or bool(getattr(self.sb, "readonly", False))

    def root_dentry(self, parent):
        """The dentry of this mount's root, its parent being the covered directory's."""
        if self._factory is not None:
            mounted = self._factory(parent)
            mounted.path = self.mountpoint
            mounted.mnt_id = self.mnt_id        # proc mounted twice: two mounts, one sb
            return mounted
        from glasskernel.mm.shmem_dir import TmpfsDentry
        root = TmpfsDentry(self, self.root_inode, self.mountpoint.rsplit("/", 1)[-1], None)
        root.parent = parent
        return root


class Vfs:
    """The mount tree: one overlay root, procfs and devtmpfs mounted on it, and what the
    guest mounted since (kept in one object so a mount namespace can copy it whole)."""

    def __init__(self, lower: str, quota: int | None = None):
        self.overlay = OverlayFs(lower, quota)
        self.procfs = SyntheticFs("proc", os.makedev(0, 22), 22)
        self.devfs = SyntheticFs("devtmpfs", os.makedev(0, 5), 23)
        self.root = OvlDentry(self, self.overlay, "/", None, "/", lower=True)
        # (st_dev, st_ino) -> AddressSpace of files with MAP_SHARED mappings (mm/filemap.py);
        # a file's dentry finds it through its ``vfs``.
        self.address_spaces = {}
        # (procfs and devtmpfs are imported at their first lookup: a short run may need
        # neither, and their modules are a good part of start-up's imports)
        root = Mount(self, self.overlay.mnt_id, "/", self.overlay, "overlay", "overlay",
                     MNT_RELATIME)
        proc = Mount(self, self.procfs.mnt_id, "/proc", self.procfs, "proc", "proc",
                     MNT_NOSUID | MNT_NODEV | MNT_NOEXEC | MNT_RELATIME, self._proc_root)
        dev = Mount(self, self.devfs.mnt_id, "/dev", self.devfs, "devtmpfs", "devtmpfs",
                    MNT_NOSUID | MNT_RELATIME, self._dev_root)
        proc.parent = dev.parent = root
        self.mounts = [root, proc, dev]          # the namespace's list, in mount order
        # mount point -> the mounts stacked there, the visible one last (the mount hash)
        self._mounts = {"/proc": [proc], "/dev": [dev]}
        # /sys is the host's, read-only, but for /sys/block: the run's own block devices
        # (drivers/block/loop_sysfs.py), not the host's disks. Not a mount of the list.
        self.sysfs = SyntheticFs("sysfs", os.makedev(0, 21), 25)
        self._mounts["/sys/block"] = [Mount(self, 25, "/sys/block", self.sysfs, "sysfs",
                                            "sysfs", MNT_NOSUID | MNT_NODEV | MNT_NOEXEC,
                                            self._sys_block)]
        # ... and its huge page pools' directory (mm/hugetlb_sysfs.py), over the host's
        self._mounts["/sys/kernel/mm/hugepages"] = [
            Mount(self, 24, "/sys/kernel/mm/hugepages", self.sysfs, "sysfs", "sysfs",
                  MNT_NOSUID | MNT_NODEV | MNT_NOEXEC, self._hugepages_root)]
        self._anon_minors = set()
        self.expiry_marks = {}                   # mnt_id -> MNT_EXPIRE asked once
        # mnt_namespace's event count and poll queue: a change of the mount table wakes
        # the pollers of /proc/*/mounts and mountinfo with EPOLLPRI (mounts_poll)
        self.event = 0
        self.poll_wq = None

    def _proc_root(self, parent):
        from glasskernel.fs.proc.root import ProcRoot
        return ProcRoot(self.procfs, "proc", parent)

    def _hugepages_root(self, parent):
        """The huge page pools' sysfs directory over the host's (mm/hugetlb_sysfs.py)."""
        from glasskernel.mm.hugetlb_sysfs import hugepages_root
        return hugepages_root(parent)

    def _sys_block(self, parent):
        from glasskernel.drivers.block.loop_sysfs import SysBlockDir
        return SysBlockDir(self.sysfs, "block", parent)

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

    # --- the mount hash -----------------------------------------------------------------
    def mount_at(self, path: str, parent):
        """The root dentry of what is mounted at guest ``path``, or None (lookup_mnt)."""
        stack = self._mounts.get(path)
        if not stack:
            return None
        return stack[-1].root_dentry(parent)

    def mount_names(self, dir_path: str) -> list:
        """(path, name) of the mount points directly inside directory ``dir_path``."""
        return [(p, p.rsplit("/", 1)[1]) for p, stack in self._mounts.items()
                if stack and (p.rsplit("/", 1)[0] or "/") == dir_path]

    def mount_by_id(self, mnt_id: int):
        """The mount a dentry belongs to (by its ``mnt_id``), or None."""
        for mnt in self.mounts:
            if mnt.mnt_id == mnt_id:
                return mnt
        return None

    def top_mount(self, path: str):
        """The visible mount whose root is at ``path``, or None."""
        if path == "/":
            return self.mounts[0]
        stack = self._mounts.get(path)
        return stack[-1] if stack else None

    def new_mnt_id(self) -> int:
        """mnt_alloc_id: the smallest id not in use."""
        used = {m.mnt_id for m in self.mounts}
        mnt_id = FIRST_USER_MNT_ID
        while mnt_id in used:
            mnt_id += 1
        return mnt_id

    def get_anon_dev(self) -> int:
        """get_anon_bdev: a free device number of major 0 for a new superblock."""
        minor = 40
        while minor in self._anon_minors:
            minor += 1
        self._anon_minors.add(minor)
        return os.makedev(0, minor)

    def attach(self, mnt: Mount, parent: Mount) -> None:
        """attach_mnt: put ``mnt`` on top of its mount point."""
        mnt.parent = parent
        self.mounts.append(mnt)
        self._mounts.setdefault(mnt.mountpoint, []).append(mnt)

    def children_of(self, mnt: Mount) -> list:
        """The mounts attached inside ``mnt`` (mnt_mounts)."""
        return [m for m in self.mounts if m.parent is mnt]

    def detach(self, mnt: Mount) -> None:
        """umount_tree: ``mnt`` and everything mounted below it leave the tree."""
        for child in self.children_of(mnt):
            self.detach(child)
        self.detach_one(mnt)
        dev = getattr(mnt.sb, "dev", None)
        if dev is not None and not any(m.sb is mnt.sb for m in self.mounts):
            self._anon_minors.discard(os.minor(dev))

    def detach_one(self, mnt: Mount) -> None:
        """Take ``mnt`` alone out of the list and the hash (umount_mnt)."""
        self.mounts.remove(mnt)
        stack = self._mounts.get(mnt.mountpoint, [])
        if mnt in stack:
            stack.remove(mnt)
        if not stack:
            self._mounts.pop(mnt.mountpoint, None)

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


def touch_mnt_namespace(kernel) -> None:
    """The mount table changed: a new event for the pollers of the mounts files."""
    vfs = kernel.vfs
    vfs.event += 1
    if vfs.poll_wq is not None:
        from glasskernel.uapi.poll import POLLERR, POLLPRI
        vfs.poll_wq.wake_up(kernel, POLLERR | POLLPRI)


def mnt_want_write(task, dentry) -> None:
    """mnt_want_write: EROFS if the mount ``dentry`` belongs to is read-only."""
    vfs = task.kernel.vfs
    if len(vfs.mounts) <= 3 and not vfs.mounts[0].flags & MNT_READONLY:
        return                                  # nothing mounted: all read-write
    mnt = vfs.mount_by_id(dentry.mnt_id)
    if mnt is not None and mnt.readonly:
        raise KernelError(Errno.EROFS)


def mnt_flags_of(task, dentry) -> int:
    """The MNT_* flags of the mount ``dentry`` belongs to (0 if it has none)."""
    vfs = task.kernel.vfs
    if len(vfs.mounts) <= 3:
        return 0                                # only the start-up mounts: none of these
    mnt = vfs.mount_by_id(dentry.mnt_id)
    return mnt.flags if mnt is not None else 0


def path_noexec(task, dentry) -> bool:
    """path_noexec: the file is on a noexec mount (exec and PROT_EXEC mappings refuse)."""
    return bool(mnt_flags_of(task, dentry) & MNT_NOEXEC)


def path_nosymfollow(task, dentry) -> bool:
    """The symlink is on a nosymfollow mount: a walk may not follow it (ELOOP)."""
    return bool(mnt_flags_of(task, dentry) & MNT_NOSYMFOLLOW)


# ----- mount namespaces (partial) --------------------------------------------------------------


class MntNamespace:
    """struct mnt_namespace, for now only an identity: every namespace shares the one
    mount tree (kernel.vfs); CLONE_NEWNS gives a new identity, not a copy of the tree."""

    __slots__ = ("user_ns", "inum", "vfs")

    def __init__(self, vfs, user_ns, inum: int):
        self.vfs, self.user_ns, self.inum = vfs, user_ns, inum


def init_mnt_ns(kernel) -> MntNamespace:
    """The run's first mount namespace (its number is allocated, as Linux's is)."""
    ns = kernel.init_mnt_ns
    if ns is None:
        from glasskernel.kernel.pid import ns_alloc_inum
        from glasskernel.kernel.user_namespace import init_user_ns
        ns = kernel.init_mnt_ns = MntNamespace(kernel.vfs, init_user_ns,
                                               ns_alloc_inum())
    return ns


def copy_mnt_ns(flags: int, ns: MntNamespace, user_ns, new_fs) -> MntNamespace:
    """CLONE_NEWNS: a new namespace over the same mount tree (not yet a copy of it)."""
    from glasskernel.kernel.pid import ns_alloc_inum
    from glasskernel.uapi.sched import CLONE_NEWNS
    if not flags & CLONE_NEWNS:
        return ns
    return MntNamespace(ns.vfs, user_ns, ns_alloc_inum())
