#!/usr/bin/env python3
"""`glasskernel batch` against a shell loop of `glasskernel run`, on the same jobs.

    python3 bench/batch.py [--jobs N] [--reps R] [--workers W] [--write-doc] [--quick]

N jobs (default 100), each `busybox sh -c SCRIPT` with a short script (a counting loop,
a pipeline, a fork). Per repetition, back to back:
  loop        `glasskernel run --deterministic /bin/busybox sh -c SCRIPT`, one after another
  batch       `glasskernel batch JOBS -o OUT -j W --rerun` (trace files off: the same work
              as the loop's runs, plus the batch's results, checks and report)
  batch+trace the same with each job's trace, timeline and tree written (the default)
  batch -j 1  one worker: its wall time less the jobs' own run times (the rows'
              wall_time, measured in the worker around boot + run), per job, is the
              batch's overhead with its one-time costs (start, report) spread over the jobs
  pool -j 1   the local pool called in this process on the same jobs, one worker: from
              a job's start to its row's arrival, less the job's own run time, is the
              per-job overhead of the machinery alone (fork, result collection)
Ratios are paired within a repetition; the report gives medians. The speed targets
(issue 21): batch <= 0.6 x loop on 2 cores, overhead <= 10% of a short job's time.
``--write-doc`` replaces the batch section of docs/benchmarks.md (between its markers;
bench/run.py keeps it). Nothing here asserts anything about timings.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import run as bench                 # bench/run.py (the script's directory is on sys.path)

BEGIN, END = bench.KEPT_MARKERS[1]
BUSYBOX = "/bin/busybox"
SCRIPTS = (
    "i=0; while [ $i -lt {n} ]; do i=$((i+1)); done; echo $i",
    "/bin/busybox seq 1 {n} | /bin/busybox sort -rn | /bin/busybox head -1",
    "echo {n} | /bin/busybox wc -c; (exit 3); echo $?",
)


def make_jobs(count: int, path: Path, trace: bool) -> list:
    scripts = [SCRIPTS[i % len(SCRIPTS)].format(n=20 + i) for i in range(count)]
    with open(path, "w") as f:
        for i, script in enumerate(scripts):
            f.write(json.dumps({"id": f"job{i:03d}", "argv": [BUSYBOX, "sh", "-c", script],
                                "trace": trace, "expect": {"exit": 0, "no_zombies": True}}) + "\n")
    return scripts


def glasskernel_command() -> list:
    return [sys.executable, "-m", "glasskernel"]


def time_loop(scripts: list) -> float:
    start = time.perf_counter()
    for script in scripts:
        subprocess.run(glasskernel_command() + ["run", "--deterministic", BUSYBOX, "sh", "-c", script],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def time_batch(jobs: Path, out: Path, workers: int) -> tuple:
    """(wall seconds, the sum of the rows' own run times)."""
    start = time.perf_counter()
    subprocess.run(glasskernel_command() + ["batch", str(jobs), "-o", str(out), "-j", str(workers),
                                            "--rerun", "--no-progress"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return wall, sum(row["wall_time"] or 0 for row in rows)


def time_pool(jobs: Path, out: Path) -> tuple:
    """(seconds from start to row, summed over the jobs; their own run times, summed)."""
    from glasskernel.batch.jobs import load_jobs
    from glasskernel.batch.pool import run_local
    started, spans = {}, []
    run_local(load_jobs(str(jobs)), str(out), 1,
              on_start=lambda job: started.__setitem__(job.id, time.perf_counter()),
              on_row=lambda row: spans.append((time.perf_counter() - started[row["id"]],
                                               row["wall_time"] or 0)))
    return sum(s for s, _ in spans), sum(w for _, w in spans)


def measure(count: int, reps: int, workers: int) -> list:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scripts = make_jobs(count, tmp / "plain.jsonl", trace=False)
        make_jobs(count, tmp / "traced.jsonl", trace=True)
        for rep in range(reps):
            loop = time_loop(scripts)
            pool, _ = time_batch(tmp / "plain.jsonl", tmp / "out-plain", workers)
            traced, _ = time_batch(tmp / "traced.jsonl", tmp / "out-traced", workers)
            one, own = time_batch(tmp / "plain.jsonl", tmp / "out-one", 1)
            spans, pool_own = time_pool(tmp / "plain.jsonl", tmp / "out-pool")
            results.append({"loop": loop, "batch": pool, "batch_trace": traced, "batch_j1": one,
                            "jobs_own": own, "pool_spans": spans, "pool_own": pool_own})
            print(f"rep {rep + 1}: loop {loop:.3f}s, batch {pool:.3f}s ({pool / loop:.2f}x), "
                  f"batch+trace {traced:.3f}s, batch -j1 {one:.3f}s (jobs' own {own:.3f}s), "
                  f"pool -j1 start-to-row {spans:.3f}s (jobs' own {pool_own:.3f}s)", file=sys.stderr)
    return results


def report(results: list, count: int, workers: int) -> str:
    med = lambda key: statistics.median(r[key] for r in results)          # noqa: E731
    ratio = statistics.median(r["batch"] / r["loop"] for r in results)
    ratio_trace = statistics.median(r["batch_trace"] / r["loop"] for r in results)
    overhead = [(r["batch_j1"] - r["jobs_own"]) / count for r in results]
    own = [r["jobs_own"] / count for r in results]
    amortized_share = statistics.median(o / j for o, j in zip(overhead, own))
    machinery = [(r["pool_spans"] - r["pool_own"]) / count for r in results]
    pool_own = [r["pool_own"] / count for r in results]
    share = statistics.median(o / j for o, j in zip(machinery, pool_own))
    loop_job = med("loop") / count
    lines = [
        "| runner | wall time, %d jobs | per job | vs the loop |" % count,
        "|---|---|---|---|",
        "| loop of `glasskernel run` | %.2f s | %.1f ms | 1 |" % (med("loop"), 1000 * loop_job),
        "| `glasskernel batch -j %d` | %.2f s | %.1f ms | **%.2fx** |" % (
            workers, med("batch"), 1000 * med("batch") / count, ratio),
        "| `glasskernel batch -j %d`, traces written | %.2f s | %.1f ms | %.2fx |" % (
            workers, med("batch_trace"), 1000 * med("batch_trace") / count, ratio_trace),
        "| `glasskernel batch -j 1` | %.2f s | %.1f ms | %.2fx |" % (
            med("batch_j1"), 1000 * med("batch_j1") / count,
            statistics.median(r["batch_j1"] / r["loop"] for r in results)),
        "",
        "Per-job overhead of the batch machinery (the pool with one worker: a job's start to "
        "its row, less the job's own run time): **%.1f ms**, %.1f%% of a job's own run time "
        "(%.1f ms). With the command's one-time costs (its start, the report) spread over the "
        "jobs (`glasskernel batch -j 1`'s wall time less the jobs' own times): %.1f ms, %.1f%%. "
        "The loop pays %.1f ms per job in all." % (
            1000 * statistics.median(machinery), 100 * share, 1000 * statistics.median(pool_own),
            1000 * statistics.median(overhead), 100 * amortized_share, 1000 * loop_job),
        "",
        "Each repetition: batch -j %d against the loop %s; per-job overhead %s ms." % (
            workers, ", ".join("%.2fx" % (r["batch"] / r["loop"]) for r in results),
            ", ".join("%.1f" % (1000 * m) for m in machinery)),
        "",
        "Targets (issue 21): batch <= 0.6x the loop on 2 cores: %s (%.2fx); overhead <= 10%% "
        "of a short job: %s (%.1f%%)." % ("met" if ratio <= 0.6 else "missed", ratio,
                                         "met" if share <= 0.10 else "missed", 100 * share),
    ]
    return "\n".join(lines) + "\n"


def write_doc(section: str) -> None:
    doc = bench.DOC
    text = doc.read_text() if doc.exists() else "# glasskernel benchmarks\n"
    block = "%s\n%s%s" % (BEGIN, section, END)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=100)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="6 jobs, 1 repetition, no doc")
    ap.add_argument("--write-doc", action="store_true")
    args = ap.parse_args()
    if not os.path.exists(BUSYBOX):
        print("bench/batch.py needs busybox-static", file=sys.stderr)
        return 1
    count, reps = (6, 1) if args.quick else (args.jobs, args.reps)
    os.chdir(bench.REPO)
    started = time.monotonic()
    results = measure(count, reps, args.workers)
    section = report(results, count, args.workers)
    print(section)
    if args.write_doc and not args.quick:
        load = os.getloadavg()[0]
        write_doc("## Many jobs at once: `glasskernel batch` (`python3 bench/batch.py`)\n\n"
                  "%d jobs of `busybox sh -c SCRIPT` (a counting loop, a pipeline, a subshell), "
                  "%d repetitions, medians, %d workers, %d cores, load average %.1f at the end, "
                  "%.0f s in all.\n\n%s\n%s" % (count, reps, args.workers, os.cpu_count(), load,
                                                 time.monotonic() - started, section, NOTES))
        print("wrote %s" % bench.DOC.relative_to(bench.REPO), file=sys.stderr)
    return 0


NOTES = """Why the pool is faster than its two cores alone would make it: a `glasskernel
run` pays the interpreter's start and glasskernel's imports (about 0.25 s here) for every
job, while the pool imports once and forks a worker per job (copy-on-write), so a job
costs its kernel's boot and run only. The traced row also writes each job's trace.json,
timeline.html and tree.txt.
"""


if __name__ == "__main__":
    sys.exit(main())
