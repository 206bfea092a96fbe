#!/usr/bin/env python3
"""glasskernel with its tracepoints compiled out, to measure what they cost when off.

    python3 bench/notrace.py run PROGRAM [ARGS...]

Replaces ``tracepoint.traced`` with a decorator that returns the function unchanged
before any kernel module is imported, then runs the normal command line. The difference
between this and ``python3 -m glasskernel run`` is the whole price of the tracepoints
(wrappers and the per-syscall check) with no tracer attached.
"""
import sys

from glasskernel.kernel.trace import tracepoint


def _untraced(name=None, args=None, ret=None, flow=None):
    return lambda fn: fn


tracepoint.traced = _untraced

from glasskernel.cli import main  # noqa: E402  (after the patch, on purpose)

if __name__ == "__main__":
    sys.exit(main())
