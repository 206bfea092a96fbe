"""/sys/kernel/mm/hugepages (mm/hugetlb.c: hugetlb_sysfs_init): one directory per huge
page size with its pool's counters; nr_hugepages and nr_overcommit_hugepages take writes
(root: the files are 0644 and root's), the others are read-only.

Only this directory is the guest's own: the rest of /sys is the host's, read-only.
"""
import os

from glasskernel.fs.libfs import SimpleDir, SimpleFile, StoreFile, SyntheticFs
from glasskernel.mm.hugetlb import hugetlb_of, nr_hugepages_store, nr_overcommit_store

SYSFS_DEV = os.makedev(0, 21)


def _show(h, attr):
    def render(task):
        value = h.persistent_huge_pages() if attr == "nr_hugepages" else getattr(h, attr)
        return b"%d\n" % value
    return render


class HstateDir(SimpleDir):
    """hugepages-<size>kB: the kobject of one hstate."""

    MODE = 0o040755

    def __init__(self, sb, name, parent, h):
        super().__init__(sb, name, parent)
        self._h = h

    def children(self, task) -> dict:
        h = self._h

        def store(fn):
            return lambda task, data: fn(h, data.decode("ascii", "replace"))

        def rw(name, attr, fn):
            return lambda parent: StoreFile(self.sb, name, parent, _show(h, attr), store(fn))

        def ro(name, attr):
            return lambda parent: SimpleFile(self.sb, name, parent, _show(h, attr))
        return {
            "free_hugepages": ro("free_hugepages", "free_huge_pages"),
            "nr_hugepages": rw("nr_hugepages", "nr_hugepages", nr_hugepages_store),
            "nr_hugepages_mempolicy": rw("nr_hugepages_mempolicy", "nr_hugepages",
                                         nr_hugepages_store),
            "nr_overcommit_hugepages": rw("nr_overcommit_hugepages", "nr_overcommit_huge_pages",
                                          nr_overcommit_store),
            "resv_hugepages": ro("resv_hugepages", "resv_huge_pages"),
            "surplus_hugepages": ro("surplus_hugepages", "surplus_huge_pages"),
        }


class HugepagesDir(SimpleDir):
    """/sys/kernel/mm/hugepages: one directory per hstate."""

    MODE = 0o040755

    def children(self, task) -> dict:
        state = hugetlb_of(task.kernel.phys)
        return {h.name: (lambda parent, h=h: HstateDir(self.sb, h.name, parent, h))
                for h in state.hstates}


def hugepages_root(parent):
    """The factory the mount tree calls for /sys/kernel/mm/hugepages."""
    sb = getattr(hugepages_root, "sb", None)
    if sb is None:
        sb = hugepages_root.sb = SyntheticFs("sysfs", SYSFS_DEV, 24)
    return HugepagesDir(sb, "hugepages", parent)
