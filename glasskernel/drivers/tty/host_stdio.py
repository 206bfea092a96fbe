"""The host's descriptors 0, 1 and 2 as glasskernel found them at start.

A program started with stdin (or stdout, stderr) closed sees EBADF on that descriptor,
and its first open gets that number. Run under glasskernel it must see the same: none of
glasskernel's own host descriptors (the wake-up pipes, overlay files, the strace file)
may land on 0-2 and then be handed to the guest as its stdio. So the first thing
glasskernel does, on import, is note which of the three are closed and fill each with a
placeholder on /dev/null; the guest's table then leaves those numbers empty.
"""
import os
import sys

_closed_at_start = None               # frozenset of 0-2 closed when we started


def reserve_host_stdio() -> frozenset:
    """Note which of 0-2 are closed and hold each with /dev/null (once per process)."""
    global _closed_at_start
    if _closed_at_start is None:
        closed = set()
        for fd in (0, 1, 2):
            try:
                os.fstat(fd)
            except OSError:
                closed.add(fd)
        for fd in sorted(closed):
            placeholder = os.open(os.devnull, os.O_RDWR)   # the lowest free number: fd
            if placeholder != fd:
                os.dup2(placeholder, fd, inheritable=False)
                os.close(placeholder)
        _closed_at_start = frozenset(closed)
        if sys.stderr is None and 2 in closed:
            sys.stderr = open(os.devnull, "w")     # our messages go nowhere, not to stdout
    return _closed_at_start


def closed_at_start() -> frozenset:
    """The host stdio descriptors the guest must see closed."""
    return reserve_host_stdio()
