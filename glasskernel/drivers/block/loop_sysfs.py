"""/sys/block as the guest sees it: the loop devices' sysfs attributes (block/genhd.c's
disk attributes, drivers/block/loop.c's loop_attr_*).

The rest of /sys is the host's, read-only through the overlay; /sys/block alone is ours,
so the guest sees its own block devices (the loop devices of the run) and not the host's
disks. Each /sys/block/loopN directory has size (512-byte sectors), ro, dev and removable,
and, while the device is bound, loop/ with backing_file, offset, sizelimit, autoclear,
partscan and dio. (Linux makes /sys/block/loopN a symlink into /sys/devices/virtual/block;
here it is the directory itself.)
"""
import os

from glasskernel.drivers.block.loop import (LO_FLAGS_AUTOCLEAR, LO_FLAGS_DIRECT_IO,
                                            LO_FLAGS_PARTSCAN, LO_FLAGS_READ_ONLY, LOOP_MAJOR,
                                            loop_devices)
from glasskernel.fs.libfs import SimpleDir, SimpleFile

SYSFS_DEV = os.makedev(0, 21)


class SysBlockDir(SimpleDir):
    """/sys/block: one directory per loop device."""

    MODE = 0o040755

    def children(self, task) -> dict:
        return {f"loop{n}": _device_dir(self.sb, f"loop{n}", n)
                for n in sorted(loop_devices(task.kernel).devices)}


def _device_dir(sb, name, number):
    return lambda parent: LoopSysDir(sb, name, parent, number=number)


class LoopSysDir(SimpleDir):
    """/sys/block/loopN (disk attributes) or its loop/ subdirectory (bound only)."""

    MODE = 0o040755

    def __init__(self, sb, name, parent, *, number: int, loop_attrs: bool = False):
        super().__init__(sb, name, parent)
        self.number = number
        self.loop_attrs = loop_attrs

    def children(self, task) -> dict:
        lo = loop_devices(task.kernel).devices.get(self.number)
        if lo is None:
            return {}
        if self.loop_attrs:
            return self._loop_children(lo)
        entries = {
            "size": _attr(self.sb, "size", lambda: f"{lo.size() >> 9}\n"),
            "ro": _attr(self.sb, "ro", lambda: f"{int(bool(lo.flags & LO_FLAGS_READ_ONLY))}\n"),
            "dev": _attr(self.sb, "dev", lambda: f"{LOOP_MAJOR}:{lo.number}\n"),
            "removable": _attr(self.sb, "removable", lambda: "0\n"),
        }
        if lo.file is not None:
            entries["loop"] = lambda parent: LoopSysDir(self.sb, "loop", parent,
                                                        number=self.number, loop_attrs=True)
        return entries

    def _loop_children(self, lo) -> dict:
        """loop_attr_*: what LOOP_GET_STATUS64 also says, as text."""
        if lo.file is None:
            return {}
        sb = self.sb
        return {
            "backing_file": _attr(sb, "backing_file", lambda: f"{lo.file.path}\n"),
            "offset": _attr(sb, "offset", lambda: f"{lo.offset}\n"),
            "sizelimit": _attr(sb, "sizelimit", lambda: f"{lo.sizelimit}\n"),
            "autoclear": _attr(sb, "autoclear",
                               lambda: f"{int(bool(lo.flags & LO_FLAGS_AUTOCLEAR))}\n"),
            "partscan": _attr(sb, "partscan",
                              lambda: f"{int(bool(lo.flags & LO_FLAGS_PARTSCAN))}\n"),
            "dio": _attr(sb, "dio", lambda: f"{int(bool(lo.flags & LO_FLAGS_DIRECT_IO))}\n"),
        }


def _attr(sb, name, text):
    return lambda parent: SimpleFile(sb, name, parent, lambda task: text().encode())
