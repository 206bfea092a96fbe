#!/usr/bin/env python3
"""What an attached gdb costs a guest that hits no breakpoint (issue 20's target: <= 10%).

    python3 bench/gdb_attached.py [--reps N]

For each workload of bench/programs (built with musl-gcc -static -O2), runs
`glasskernel run PROGRAM N` plain and under `--gdb unix:SOCKET` with Debian's gdb
attached (`gdb -batch -ex 'target remote SOCKET' -ex continue`), at two sizes; the
difference t(N) - t(n0) leaves out start-up and gdb's own connection (reading symbols,
its first packets), which is the same at both sizes. t is the CPU time (user + system)
of the glasskernel process, from wait4: on a shared machine wall time mostly measures the
other users (a run that takes 0.4 s of CPU can take 3 s of wall time). gdb's own time
is not counted: it is another process, idle while the guest runs without stops.
Repetitions alternate the two modes; medians are printed as a Markdown table for
docs/benchmarks.md.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# name: (small n, large N)
WORKLOADS = {"compute": (1_000, 200_000_000), "getpid": (100, 1_000_000),
             "fork_wait": (2, 300), "pipe_pingpong": (100, 20_000)}


def build(name: str, out_dir: str) -> str:
    out = os.path.join(out_dir, name)
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", out,
                    os.path.join(ROOT, "bench", "programs", f"{name}.c")], check=True)
    return out


def run_once(program: str, n: int, attached: bool, work: str) -> float:
    """CPU seconds of one glasskernel run, gdb attached or not."""
    command = [sys.executable, "-m", "glasskernel", "run"]
    sock = os.path.join(work, "gdb.sock")
    if attached:
        command += ["--gdb", f"unix:{sock}"]
    guest = subprocess.Popen(command + [program, str(n)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, cwd=ROOT)
    gdb = None
    if attached:
        guest.stderr.readline()                        # "waiting for gdb on ..."
        # sysroot /: gdb reads the program's symbols from the host (the same files), not
        # through vFile, so that its start-up varies less between the two sizes.
        gdb = subprocess.Popen(["gdb", "-batch", "-nx", "-ex", "set sysroot /",
                                "-ex", f"target remote {sock}",
                                "-ex", "continue", program], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    guest.stderr.read()
    _pid, status, usage = os.wait4(guest.pid, 0)
    guest.returncode = os.waitstatus_to_exitcode(status)
    if guest.returncode != 0:
        raise SystemExit(f"{program} {n} failed (attached={attached})")
    if gdb is not None:
        gdb.wait()
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    args = parser.parse_args()
    if shutil.which("gdb") is None or shutil.which("musl-gcc") is None:
        raise SystemExit("needs gdb and musl-gcc")
    work = tempfile.mkdtemp(prefix="gk-gdb-bench-")
    rows = []
    try:
        for name in args.workloads:
            program = build(name, work)
            small, large = WORKLOADS[name]
            costs = {False: [], True: []}
            for _ in range(args.reps):
                for attached in (False, True):
                    costs[attached].append(run_once(program, large, attached, work)
                                           - run_once(program, small, attached, work))
            plain, with_gdb = (statistics.median(costs[a]) for a in (False, True))
            rows.append((name, large - small, plain, with_gdb))
            print(f"{name}: plain {plain:.3f} s, gdb attached {with_gdb:.3f} s "
                  f"({with_gdb / plain - 1:+.1%})", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| workload | iterations | not attached (CPU) | gdb attached, no breakpoints (CPU) | cost |")
    print("|---|---|---|---|---|")
    for name, n, plain, with_gdb in rows:
        print(f"| {name} | {n:,} | {plain:.3f} s | {with_gdb:.3f} s | {with_gdb / plain - 1:+.1%} |")


if __name__ == "__main__":
    main()
