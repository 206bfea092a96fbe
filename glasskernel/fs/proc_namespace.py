"""/proc/<pid>/mounts, /proc/<pid>/mountinfo and /proc/mounts (fs/proc_namespace.c).

The sandbox has one mount namespace: the overlay root, procfs on /proc, devtmpfs on
/dev and devpts on /dev/pts. Each mount is described once (``MountEntry``) and printed in the two formats:
show_vfsmnt (mounts: device, mount point, type, options, and fstab's two zeros) and
show_mountinfo (mountinfo: mount id, parent id, major:minor, root, mount point, per-mount
options, no optional fields since the namespace's mounts are private, "-", type, source,
super-block options). The ids are the ones statx reports as stx_mnt_id (the dentries'
``mnt_id``), and major:minor is the st_dev stat gives for the mount's root, so
findmnt, df and ``stat -c %m`` can match a file to its mount.
"""
import os

from glasskernel.fs.devpts.inode import DEVPTS_MNT_ID, devpts_dev
from glasskernel.fs.file_table import SeqFile
from glasskernel.fs.libfs import SimpleFile
from glasskernel.uapi.poll import POLLERR, POLLIN, POLLPRI, POLLRDNORM

# The root mount's parent is the initial rootfs, which is outside the namespace's root
# and so never listed, as on a system booted through an initramfs.
ROOTFS_MNT_ID = 1


class MountEntry:
    """One mount: its id, parent, mount point, type, source and both option lists."""

    __slots__ = ("mnt_id", "parent_id", "where", "fstype", "source", "mnt_opts", "sb_opts",
                 "mnt", "root")

    def __init__(self, mnt_id, parent_id, where, fstype, source, mnt_opts, sb_opts, mnt=None):
        self.mnt = mnt                  # the guest's own mounts: their Mount
        self.root = _mnt_root_path(mnt)  # the mount's root inside its file system
        self.mnt_id, self.parent_id, self.where = mnt_id, parent_id, where
        self.fstype, self.source = fstype, source
        self.mnt_opts = mnt_opts        # show_mnt_opts: rw/ro, nosuid, nodev, ... relatime
        self.sb_opts = sb_opts          # super_block options after show_options


def _mount_table(task) -> list:
    return mount_table(task.kernel)


def mount_table(kernel) -> list:
    """The mounts of the namespace, in mount order, with the kernel's ids: the ones made
    at start-up, then what the guest mounted (fs/namespace.py's list)."""
    vfs = kernel.vfs
    root_id = getattr(getattr(vfs, "overlay", None), "mnt_id", 21)
    proc_id = getattr(getattr(vfs, "procfs", None), "mnt_id", 22)
    dev_id = getattr(getattr(vfs, "devfs", None), "mnt_id", 23)
    mounts = getattr(vfs, "mounts", None) or []
    root_ro = bool(mounts) and mounts[0].readonly
    table = [MountEntry(root_id, ROOTFS_MNT_ID, "/", "overlay", "overlay",
                        ("ro" if root_ro else "rw") + ",relatime", "ro" if root_ro else "rw")]
    for mnt in mounts[1:]:
        if mnt.mnt_id == proc_id and mnt.mountpoint == "/proc":
            table.append(MountEntry(proc_id, root_id, "/proc", "proc", "proc",
                                    "rw,nosuid,nodev,noexec,relatime", "rw"))
        elif mnt.mnt_id == dev_id and mnt.mountpoint == "/dev":
            table.append(MountEntry(dev_id, root_id, "/dev", "devtmpfs", "devtmpfs",
                                    "rw,nosuid,relatime", "rw,mode=755"))
            table.append(MountEntry(DEVPTS_MNT_ID, dev_id, "/dev/pts", "devpts", "devpts",
                                    "rw,nosuid,noexec,relatime",
                                    "rw,gid=5,mode=620,ptmxmode=000"))
        else:
            table.append(_user_entry(mnt))
    return table


def _mnt_root_path(mnt) -> str:
    """mountinfo's root field: "/" unless a bind mount shows a directory of a tmpfs, whose
    path from the file system's root it is then."""
    inode = getattr(mnt, "root_inode", None)
    names = []
    while inode is not None and inode.parent is not inode and inode.nlink:
        names.append(inode.name)
        inode = inode.parent
    return "/" + "/".join(reversed(names))


def _user_entry(mnt) -> "MountEntry":
    """A mount the guest made: show_mnt_opts from its flags, the superblock's options."""
    from glasskernel.fs.namespace import (MNT_NOATIME, MNT_NODEV, MNT_NODIRATIME,
                                          MNT_NOEXEC, MNT_NOSUID, MNT_NOSYMFOLLOW,
                                          MNT_READONLY, MNT_RELATIME)
    opts = ["ro" if mnt.flags & MNT_READONLY else "rw"]
    for flag, name in ((MNT_NOSUID, "nosuid"), (MNT_NODEV, "nodev"), (MNT_NOEXEC, "noexec"),
                       (MNT_NOATIME, "noatime"), (MNT_NODIRATIME, "nodiratime"),
                       (MNT_RELATIME, "relatime"), (MNT_NOSYMFOLLOW, "nosymfollow")):
        if mnt.flags & flag:
            opts.append(name)
    sb = mnt.sb
    sb_opts = "ro" if getattr(sb, "readonly", False) else "rw"
    show = getattr(sb, "show_options", None)
    if show is not None:
        sb_opts += show()
    elif mnt.fstype == "devtmpfs":
        sb_opts += ",mode=755"
    parent = mnt.parent.mnt_id if mnt.parent is not None else ROOTFS_MNT_ID
    return MountEntry(mnt.mnt_id, parent, mnt.mountpoint, mnt.fstype, mnt.source,
                      ",".join(opts), sb_opts, mnt)


def _mount_dev(task, entry) -> int:
    """The st_dev of the mount's root as the guest's stat shows it (0 if unknown)."""
    vfs = task.kernel.vfs
    if entry.where == "/":
        try:
            return vfs.root.stat().st_dev
        except Exception:               # the host root went away: no device to name
            return 0
    if entry.fstype == "devpts":
        return devpts_dev(task.kernel)
    if entry.mnt is not None and hasattr(entry.mnt.sb, "dev"):
        return entry.mnt.sb.dev
    sb = vfs.procfs if entry.fstype == "proc" else vfs.devfs
    return sb.dev


def mangle(text: str) -> str:
    """seq_escape(" \\t\\n\\\\"): the characters that would break the line, as octal."""
    return "".join(f"\\{ord(c):03o}" if c in " \t\n\\" else c for c in text)


def _extra_opts(sb_opts: str) -> str:
    """The file system's own options (show_options), without the leading rw/ro."""
    rest = sb_opts.split(",", 1)[1:] if sb_opts.startswith(("rw", "ro")) else [sb_opts]
    return "," + rest[0] if rest and rest[0] else ""


def proc_mounts(task) -> bytes:
    """show_vfsmnt for each mount the task's namespace holds."""
    return "".join(f"{mangle(m.source)} {mangle(m.where)} {m.fstype} "
                   f"{_vfsmnt_opts(m)}{_extra_opts(m.sb_opts)} 0 0\n"
                   for m in _mount_table(task)).encode()


def _vfsmnt_opts(m) -> str:
    """show_vfsmnt's options: "ro" when the mount or its superblock is read-only."""
    if m.mnt is not None and m.mnt.readonly and m.mnt_opts.startswith("rw"):
        return "ro" + m.mnt_opts[2:]
    return m.mnt_opts


def proc_mountinfo(task) -> bytes:
    """show_mountinfo for each mount the task's namespace holds."""
    lines = []
    for m in _mount_table(task):
        dev = _mount_dev(task, m)
        lines.append(f"{m.mnt_id} {m.parent_id} {os.major(dev)}:{os.minor(dev)} {mangle(m.root)} "
                     f"{mangle(m.where)} {m.mnt_opts} - {m.fstype} {mangle(m.source)} "
                     f"{m.sb_opts}\n")
    return "".join(lines).encode()



class MountsDentry(SimpleFile):
    """/proc/<pid>/mounts or mountinfo: generated text that can also be polled for
    changes of the mount table (mounts_poll)."""

    def open(self, task, flags: int):
        return MountsFile(self, flags, task, self._render)


class MountsFile(SeqFile):
    """A mounts file: always readable, and EPOLLERR|EPOLLPRI once after each change of
    the mount table since it was opened or last polled."""

    def __init__(self, dentry, flags, task, render):
        super().__init__(dentry, flags, task, render)
        self.vfs = task.kernel.vfs
        self.poll_event = self.vfs.event

    def poll(self, pt) -> int:
        from glasskernel.fs.select import poll_wait
        from glasskernel.kernel.sched.wait import WaitQueue
        vfs = self.vfs
        if vfs.poll_wq is None:
            vfs.poll_wq = WaitQueue("mnt_ns")
        poll_wait(self, vfs.poll_wq, pt)
        mask = POLLIN | POLLRDNORM
        if self.poll_event != vfs.event:
            self.poll_event = vfs.event
            mask |= POLLERR | POLLPRI
        return mask
