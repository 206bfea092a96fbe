"""Opening a character device node by its number (fs/char_dev.c: chrdev_open).

A device node is only a type and a (major, minor) pair; opening it runs the driver
registered for that number. Here that holds for every node the guest can reach: those in
devtmpfs, those it made with mknod, and those in the host tree below its root. A host
node is never opened on the host: its numbers name one of our drivers, or none (ENXIO),
so a guest that makes /tmp/sda (b 8 0) reads nothing of the host's disk.
"""
import os

from glasskernel.uapi.errno import Errno, KernelError

TTYAUX_MAJOR = 5
UNIX98_PTY_SLAVE_MAJOR = 136        # 136..143: /dev/pts/N


def chrdev_open(task, dentry, rdev: int, flags: int):
    """The File of the driver behind character device rdev; ENXIO when there is none."""
    major, minor = os.major(rdev), os.minor(rdev)
    opener = None
    if major == 1:
        from glasskernel.drivers.char.mem import MEM_DEVICES, memory_open
        if minor in MEM_DEVICES:
            opener = memory_open(minor)
    elif major == TTYAUX_MAJOR and minor in (0, 2):
        if minor == 0:
            from glasskernel.drivers.tty.tty_io import open_dev_tty as opener
        else:
            from glasskernel.drivers.tty.pty import ptmx_open as opener
    elif major == 10 and minor == 237:
        from glasskernel.drivers.block.loop import loop_control_open as opener
    if opener is None:
        raise KernelError(Errno.ENXIO)
    return opener(dentry, flags, task)
