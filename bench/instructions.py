#!/usr/bin/env python3
"""Instructions per operation under glasskernel, counted by cachegrind: a steady measure.

    python3 bench/instructions.py [--no-preempt] [--n N] WORKLOAD [WORKLOAD...]

Wall-clock times on a shared machine move by 20% and more between runs, so a change worth
5% cannot be seen in them. This runs glasskernel under ``valgrind --tool=cachegrind`` with
N operations and with n0, and reports (Ir(N) - Ir(n0)) / (N - n0): the host instructions
one operation costs, the same from run to run. It is a proxy, not a time: a cache miss
counts as one instruction, and ``rep stosb`` (the emulator's TLB flush, a memset) counts
one per byte, so the memset share is shown apart.

``--no-preempt`` turns off wake-up preemption (check_preempt_wakeup), whose decisions
follow the host clock and so change with valgrind's slowdown: it measures the steady
path alone (for pipe_pingpong, the switch inside the syscall hook).

Needs valgrind (Debian: ``apt-get install valgrind``); a workload costs ~1000x its
normal time, so N is small. The workloads and programs are bench/run.py's.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import run as bench                       # bench/run.py (the script's directory is on sys.path)

DEFAULT_N = {"getpid": 20000, "write": 20000, "compute": 2000000, "fork_wait": 30,
             "fork_exec_wait": 20, "pipe_pingpong": 2000, "thread_create_join": 30,
             "busybox_true_loop": 30, "seq_sort_pipeline": 1}
# Run glasskernel's command line, optionally with wake-up preemption off (see above).
_RUNNER = """\
import sys
if sys.argv[1] == "--no-preempt":
    from glasskernel.kernel.sched import core
    core.check_preempt_wakeup = lambda rq, p: False
from glasskernel.cli import main
sys.argv = ["glasskernel", "run"] + sys.argv[2:]
sys.exit(main())
"""


def cachegrind(argv: list, no_preempt: bool, out: str) -> None:
    """Run glasskernel on argv under cachegrind, counts to out."""
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--smc-check=all-non-file",
           f"--cachegrind-out-file={out}", sys.executable, "-c", _RUNNER,
           "--no-preempt" if no_preempt else "--preempt", *argv]
    done = subprocess.run(cmd, capture_output=True, timeout=3600)
    if not os.path.exists(out):
        raise RuntimeError(f"cachegrind failed on {argv[0]}: {done.stderr[-400:]!r}")


def counts(path: str) -> tuple:
    """(all instructions, those in memset) of a cachegrind output file: "fn=NAME" lines,
    then "LINE COUNT" lines for that function."""
    total = memset = 0
    with open(path) as f:
        in_memset = False
        for line in f:
            if line.startswith("fn="):
                in_memset = "memset" in line
            elif line[:1].isdigit():
                value = int(line.split()[1])
                total += value
                if in_memset:
                    memset += value
    return total, memset


def measure(workload, n: int, n0: int, bins: dict, no_preempt: bool) -> tuple:
    """(instructions, memset instructions) per operation."""
    with tempfile.TemporaryDirectory() as tmp:
        outs = [os.path.join(tmp, "n0"), os.path.join(tmp, "n")]
        with ThreadPoolExecutor(2) as pool:       # the two runs side by side
            list(pool.map(lambda job: cachegrind(workload.argv(job[0], bins), no_preempt,
                                                 job[1]), [(n0, outs[0]), (n, outs[1])]))
        (t0, m0), (t1, m1) = counts(outs[0]), counts(outs[1])
    return (t1 - t0) / (n - n0), (m1 - m0) / (n - n0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="+", metavar="WORKLOAD")
    parser.add_argument("--n", type=int, help="operations (default: per workload)")
    parser.add_argument("--no-preempt", action="store_true",
                        help="wake-up preemption off: the steady path alone")
    args = parser.parse_args()
    known = {w.name: w for w in bench.WORKLOADS}
    unknown = [name for name in args.workloads if name not in known]
    if unknown:
        print(f"instructions.py: no workload {unknown[0]!r} (one of: {', '.join(known)})",
              file=sys.stderr)
        return 2
    if shutil.which("valgrind") is None:
        print("instructions.py: valgrind is not installed (apt-get install valgrind)",
              file=sys.stderr)
        return 2
    for name in args.workloads:
        workload = known[name]
        bins = bench.build(workload.needs)
        if bins is None:
            print("instructions.py: cannot build the programs (musl-gcc?)", file=sys.stderr)
            return 2
        n = args.n or DEFAULT_N.get(name, 100)
        n0 = n // 10
        total, memset = measure(workload, n, n0, bins, args.no_preempt)
        print(f"{name}: {total:,.0f} instructions per operation "
              f"({total - memset:,.0f} without memset), N={n}, n0={n0}"
              + (", wake-up preemption off" if args.no_preempt else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
