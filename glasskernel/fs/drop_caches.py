"""vm.drop_caches (fs/drop_caches.c) and vm.compact_memory (mm/compaction.c).

Both are write-only for root (mode 0200: even root cannot read them). drop_caches takes
1 to 4: bit 1 drops the clean page-cache pages nobody maps, bit 2 the slab caches (this
kernel keeps none: its objects are Python's), bit 4 only quietens the log. Compaction has
nothing to do here: a huge page needs no contiguous frames (mm/hugetlb.py), so the write
is accepted and changes nothing, as on a machine with nothing to move.
"""
from glasskernel.fs.proc.proc_sysctl import parse_int



def drop_caches_sysctl_handler(kernel, text: str) -> None:
    """proc_dointvec_minmax in 1..4 (EINVAL otherwise), then drop what bit 1 asks for."""
    value = parse_int(text, 1, 4)
    if value & 1:
        kernel.phys.page_cache.shrink()                 # drop_pagecache_sb: clean, unmapped pages


def sysctl_compaction_handler(kernel, text: str) -> None:
    """compact_nodes: any write, nothing to compact."""
