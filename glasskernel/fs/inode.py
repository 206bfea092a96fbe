"""Write access to an inode (fs/inode.c's i_writecount; get_write_access and
deny_write_access in include/linux/fs.h).

A regular file's count is positive while files are open on it for writing and negative
while it is being executed: a program's file (mm->exe_file, from exec until the last
process running it is gone) and an interpreter while exec loads it. Each side refuses
the other with ETXTBSY: exec of a file open for writing, and opening for writing (or
truncating) a running program. Inodes are named by the (st_dev, st_ino) the guest sees.
"""
from glasskernel.uapi.errno import Errno, KernelError


class WriteCounts:
    """The kernel's i_writecount of every inode that has one: key -> count."""

    __slots__ = ("counts",)

    def __init__(self):
        self.counts = {}

    def take(self, key, delta: int) -> None:
        """One writer (delta 1) or one execution (-1) more: ETXTBSY against the other."""
        count = self.counts.get(key, 0)
        if count * delta < 0:
            raise KernelError(Errno.ETXTBSY)
        self.counts[key] = count + delta

    def give_back(self, key, delta: int) -> None:
        count = self.counts.get(key, 0) - delta
        if count:
            self.counts[key] = count
        else:
            self.counts.pop(key, None)


def write_counts(kernel) -> WriteCounts:
    table = kernel.inode_writecounts
    if table is None:
        table = kernel.inode_writecounts = WriteCounts()
    return table


def inode_key(dentry):
    st = dentry.stat()
    return (st.st_dev, st.st_ino)


def _take(kernel, dentry, delta: int):
    counts, key = write_counts(kernel), inode_key(dentry)
    counts.take(key, delta)
    return counts, key, delta


def get_write_access(kernel, dentry):
    """One writer more; ETXTBSY while the file is being executed. Returns the token
    put_write_access gives back."""
    return _take(kernel, dentry, 1)


def deny_write_access(kernel, dentry):
    """One execution more; ETXTBSY while the file is open for writing."""
    return _take(kernel, dentry, -1)


def put_write_access(token) -> None:
    """Give back what get_write_access or deny_write_access took."""
    counts, key, delta = token
    counts.give_back(key, delta)
