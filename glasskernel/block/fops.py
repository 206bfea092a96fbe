"""Opening a block device node by its number (block/fops.c: blkdev_open).

Block drivers (the loop device) register their major number here; a node whose number
no driver claims opens nothing (ENXIO), whoever made it: the host's disks stay out of
reach (see fs/char_dev.py).
"""
import os

from glasskernel.uapi.errno import Errno, KernelError

# major -> opener(task, dentry, minor, flags), set by the drivers (register_blkdev)
_BLOCK_MAJORS = {}


def register_blkdev(major: int, opener) -> None:
    """A block driver claims its major number."""
    _BLOCK_MAJORS[major] = opener


# major -> module whose import registers the driver (loaded at the first open)
_DRIVER_MODULES = {7: "glasskernel.drivers.block.loop"}


def blkdev_open(task, dentry, rdev: int, flags: int):
    """The File of the block device rdev; ENXIO when no driver has that number."""
    if os.major(rdev) not in _BLOCK_MAJORS and os.major(rdev) in _DRIVER_MODULES:
        import importlib
        importlib.import_module(_DRIVER_MODULES[os.major(rdev)])
    opener = _BLOCK_MAJORS.get(os.major(rdev))
    if opener is None:
        raise KernelError(Errno.ENXIO)
    return opener(task, dentry, os.minor(rdev), flags)
