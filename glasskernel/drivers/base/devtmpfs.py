"""/dev as the guest sees it (drivers/base/devtmpfs.c with the usual udev symlinks).

Only the devices this kernel implements are present: the mem devices, /dev/tty, /dev/pts
(fs/devpts) and the stdin/stdout/stderr/fd links into /proc/self/fd.
"""
import os

from glasskernel.drivers.char.mem import MEM_DEVICES, MEM_MAJOR, memory_open
from glasskernel.drivers.tty.pty import ptmx_open
from glasskernel.drivers.tty.tty_io import open_dev_tty
from glasskernel.fs.devpts.inode import DevptsRoot
from glasskernel.fs.libfs import DeviceNode, SimpleDir, SimpleLink
from glasskernel.mm.shmem_fs import ShmDir

TTYAUX_MAJOR = 5


class DevRoot(SimpleDir):
    """The root of devtmpfs."""

    MODE = 0o040755

    def children(self, task) -> dict:
        sb = self.sb
        entries = {}
        for minor, (name, _cls) in MEM_DEVICES.items():
            entries[name] = _device(sb, name, os.makedev(MEM_MAJOR, minor), memory_open(minor))
        entries["tty"] = _device(sb, "tty", os.makedev(TTYAUX_MAJOR, 0), open_dev_tty)
        entries["ptmx"] = _device(sb, "ptmx", os.makedev(TTYAUX_MAJOR, 2), ptmx_open)
        for fd, name in enumerate(("stdin", "stdout", "stderr")):
            entries[name] = _link(sb, name, f"/proc/self/fd/{fd}")
        entries["fd"] = _link(sb, "fd", "/proc/self/fd")
        entries["shm"] = lambda parent: ShmDir(sb, "shm", parent)   # tmpfs for shm_open
        entries["pts"] = lambda parent: DevptsRoot(sb, "pts", parent, task.kernel)
        _loop_entries(sb, entries, task.kernel)
        return entries


def _loop_entries(sb, entries: dict, kernel) -> None:
    """/dev/loop-control and a block node for each loop device (root:disk, 0660)."""
    from glasskernel.drivers.block.loop import (LOOP_CTRL_MINOR, LOOP_MAJOR, MISC_MAJOR,
                                                loop_control_open, loop_devices, loop_open)
    entries["loop-control"] = lambda parent: DeviceNode(
        sb, "loop-control", parent, os.makedev(MISC_MAJOR, LOOP_CTRL_MINOR), loop_control_open,
        mode=0o020660)
    for number in sorted(loop_devices(kernel).devices):
        name = f"loop{number}"
        entries[name] = (lambda name, number: lambda parent: DeviceNode(
            sb, name, parent, os.makedev(LOOP_MAJOR, number), loop_open(number),
            mode=0o060660))(name, number)


def _device(sb, name, rdev, opener):
    return lambda parent: DeviceNode(sb, name, parent, rdev, opener)


def _link(sb, name, target: str):
    return lambda parent: SimpleLink(sb, name, parent, lambda task: target)
