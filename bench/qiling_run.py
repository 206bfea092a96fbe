"""Run one static x86-64 Linux program under Qiling (the benchmark's third column).

    /opt/qiling-venv/bin/python bench/qiling_run.py [--threads] PROGRAM ARGS...

--threads turns on Qiling's multithread mode, which clone with CLONE_VM (threads, and
the vfork busybox sh uses) needs; it makes emulation much slower, so only the workloads
that need it use it.

Qiling lives in its own virtual environment (bench/run.py looks for it at
$GLASSKERNEL_QILING_PYTHON, default /opt/qiling-venv/bin/python); this script runs there,
not in glasskernel's, and imports nothing of glasskernel. The host's / is the rootfs.
"""
import sys

from qiling import Qiling
from qiling.const import QL_VERBOSE


def main() -> int:
    argv = sys.argv[1:]
    threads = bool(argv) and argv[0] == "--threads"
    if threads:
        argv = argv[1:]
    ql = Qiling(argv, rootfs="/", verbose=QL_VERBOSE.DISABLED, multithread=threads)
    ql.run()
    return getattr(ql.os, "exit_code", 0) or 0


if __name__ == "__main__":
    sys.exit(main())
