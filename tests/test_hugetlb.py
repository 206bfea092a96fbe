"""Huge pages (mm/hugetlb.py, fs/hugetlbfs/inode.py): the pool, MAP_HUGETLB, SHM_HUGETLB.

``test_hugetlb_errors`` is differential, and needs the host's pool to be empty (its
default): it never changes a host setting. ``test_hugetlb_pool`` resizes the pool, which
natively would change the host's vm.nr_hugepages, so it runs under glasskernel only and
compares with Linux 6.1's outcomes, written down in tests/programs/hugetlb_pool.expected
(each line follows from mm/hugetlb.c: reservations at mmap, pages taken at fault, surplus
pages for in-use pages when the pool shrinks, copy-on-write of private pages after fork).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness import differential, run_glasskernel

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="switches uids: needs root")


def _host_pool_empty() -> bool:
    try:
        with open("/proc/meminfo") as f:
            lines = dict(line.split(":", 1) for line in f if ":" in line)
    except OSError:
        return False
    return os.path.isdir("/sys/kernel/mm/hugepages") and \
        int(lines.get("HugePages_Total", "1").split()[0]) == 0 and \
        int(lines.get("Hugepagesize", "0 kB").split()[0]) == 2048


def test_hugetlb_errors(build, toolchain):
    """With no huge pages: ENOMEM for a reserving MAP_HUGETLB or SHM_HUGETLB, EINVAL for
    an unknown MAP_HUGE_* size or a misaligned MAP_FIXED/shmat, a 4 KiB MAP_NORESERVE
    mapping that is 2 MiB long and aligned in /proc/self/maps, EINVAL for munmap or
    mprotect off the huge page boundary and for mremap growth, SIGBUS at the first touch
    (no page to fault in), EPERM for SHM_HUGETLB without CAP_IPC_LOCK; a
    memfd_create(MFD_HUGETLB) file (no write(2), ftruncate and munmap in huge pages,
    its fstat and /proc/self/fd name, the same reservations)."""
    if not _host_pool_empty():
        pytest.skip("the host has huge pages reserved: the outcomes differ natively")
    exe = build("hugetlb_errors", toolchain)
    native, _ = differential([exe])
    assert b"private reserve: ENOMEM" in native[0]
    assert b"shared touch: signal 7" in native[0]


def test_hugetlb_pool(build, toolchain):
    """The pool through /proc/sys/vm and sysfs (root only, EINVAL for junk), MemFree
    paying for it and a pool larger than RAM stopping short, the meminfo counters
    through mmap, fault, munmap, fork (shared pages shared, private ones copied on
    write), shrinking under use (surplus) and nr_overcommit_hugepages; drop_caches and
    compact_memory (write-only, 1..4 for drop_caches)."""
    exe = build("hugetlb_pool", toolchain)
    out, err, status = run_glasskernel([exe], extra_opts=("--mem", "256M"))
    expected = (Path(__file__).parent / "programs" / "hugetlb_pool.expected").read_bytes()
    assert (status, err) == (0, b"")
    assert out.decode() == expected.decode()
