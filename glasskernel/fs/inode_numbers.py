"""Inode numbers of the pseudo filesystems (fs/inode.c: get_next_ino; proc_alloc_inum).

pipefs, sockfs, memfd, hugetlbfs and the namespaces' proc inodes number their inodes from a
counter of their own. Linux's counters start again at every boot; here a boot is a Kernel,
several of which may run in one process (batch runs a deterministic job twice, an API
user opens two sessions): ``reset_at_boot`` starts every counter again, so two runs of the
same program see the same numbers (pipe:[100000]) and leave the same trace.
"""
import itertools

_starts = {}        # counter name -> its first number
_counters = {}


def register(name: str, start: int) -> None:
    """A counter, named after its filesystem, that begins at start."""
    _starts[name] = start
    _counters[name] = itertools.count(start)


def next_ino(name: str) -> int:
    return next(_counters[name])


def reset_at_boot() -> None:
    for name, start in _starts.items():
        _counters[name] = itertools.count(start)
