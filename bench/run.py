#!/usr/bin/env python3
"""glasskernel benchmark runner.

    python3 bench/run.py [--quick] [--reps N] [--only NAME...]

Times each workload natively, under qemu-x86_64 (if installed) and under
glasskernel (``python3 -m glasskernel run``).  Per-process start-up cost is
removed by running every program with N and with a small n0 and reporting
(t(N) - t(n0)) / (N - n0) per operation; min and median over the repetitions.
Ratios of glasskernel to another runner are paired: the median over the
repetitions of the two runners' times in the same repetition (see bench_workload).

Without --quick the report is also written to docs/benchmarks.md.  --quick
uses tiny N and one repetition: it only proves the runner works (the figures
are meaningless).  Nothing here asserts anything about timings.
"""
import argparse
import importlib.metadata
import datetime
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import targets                      # bench/targets.py (the script's directory is on sys.path)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PROGRAMS = HERE / "programs"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "glasskernel-bench"
DOC = REPO / "docs" / "benchmarks.md"
BUSYBOX = "/bin/busybox"
CFLAGS = ["-static", "-O2", "-pthread"]
TIMEOUT = 600


class Workload:
    def __init__(self, name, n_real, n_quick, what, argv, needs=(), emulated=None):
        self.emulated = emulated   # (n, bins) -> argv with every exec'd program under qemu
        self.name = name
        self.n_real = n_real
        self.n_quick = n_quick
        self.what = what
        self._argv = argv          # (n, bins) -> argv list
        self.needs = needs         # C programs (names) it needs built

    def argv(self, n, bins):
        return self._argv(n, bins)


def _c(prog):
    return lambda n, bins: [bins[prog], str(n)]


def _busybox_loop(n, bins):
    script = ('i=0; while [ $i -lt %d ]; do %s true; i=$((i+1)); done' % (n, BUSYBOX))
    return [BUSYBOX, "sh", "-c", script]


def _pipeline(n, bins):
    script = ('i=0; while [ $i -lt %d ]; do seq 1 20000 | sort -n | tail -1 >/dev/null; '
              'i=$((i+1)); done' % n)
    return [BUSYBOX, "sh", "-c", script]


def _busybox_loop_emulated(n, bins):
    script = ('i=0; while [ $i -lt %d ]; do %s true; i=$((i+1)); done' % (n, bins["wrap_busybox"]))
    return [BUSYBOX, "sh", "-c", script]


def _pipeline_emulated(n, bins):
    w = bins["wrap_busybox"]
    script = ('i=0; while [ $i -lt %d ]; do %s seq 1 20000 | %s sort -n | %s tail -1 >/dev/null; '
              'i=$((i+1)); done' % (n, w, w, w))
    return [BUSYBOX, "sh", "-c", script]


WORKLOADS = [
    Workload("getpid", 200000, 200,
             "N raw `syscall(SYS_getpid)`: the bare syscall round trip.",
             _c("getpid"), ("getpid",)),
    Workload("write", 200000, 200,
             "N 64-byte `write()`s to /dev/null: syscall plus copying a guest buffer.",
             _c("write"), ("write",)),
    Workload("clock_gettime", 1000000, 200,
             "N `clock_gettime(CLOCK_MONOTONIC)` through libc: in user mode through the "
             "vDSO natively and under glasskernel (no syscall); qemu-user 7.2 gives its guest "
             "no vDSO and passes the syscall to the host.",
             _c("clock_gettime"), ("clock_gettime",)),
    Workload("compute", 200000000, 200000,
             "N iterations of a xorshift64 loop (no syscalls): pure instruction emulation.",
             _c("compute"), ("compute",)),
    Workload("fork_wait", 300, 5,
             "N x (fork, child `_exit(0)`, parent `waitpid`): address-space copy + task lifecycle.",
             _c("fork_wait"), ("fork_wait",)),
    Workload("fork_exec_wait", 200, 3,
             "N x (fork, child `execve` of a tiny static `true`, parent `waitpid`): "
             "ELF loading. Under qemu-user the exec'd `true` runs natively (see caveat).",
             lambda n, bins: [bins["fork_exec_wait"], str(n), bins["true"]],
             ("fork_exec_wait", "true"),
             lambda n, bins: [bins["fork_exec_wait"], str(n), bins["wrap_true"]]),
    Workload("pipe_pingpong", 20000, 20,
             "Parent and child bounce one byte over two pipes, N round trips: "
             "blocking and wake-up between tasks.",
             _c("pipe_pingpong"), ("pipe_pingpong",)),
    Workload("thread_create_join", 300, 5,
             "N x (pthread_create of an empty thread, pthread_join): clone with CLONE_VM|"
             "CLONE_THREAD..., futex wake on exit (CLONE_CHILD_CLEARTID) and join.",
             _c("thread_create_join"), ("thread_create_join",)),
    Workload("busybox_true_loop", 100, 3,
             "busybox `sh -c` loop running `/bin/busybox true` N times: fork+exec of a "
             "large static binary (Debian's busybox) from a real shell. Under "
             "qemu-user the exec'd busybox runs natively (see caveat).",
             _busybox_loop, (), _busybox_loop_emulated),
    Workload("seq_sort_pipeline", 5, 1,
             "N x `seq 1 20000 | sort -n | tail -1` in busybox sh: a realistic pipeline "
             "(3 processes, pipes, ~100 KB of data, sorting). Under qemu-user only the "
             "outer shell is emulated (see caveat).",
             _pipeline, (), _pipeline_emulated),
]


# ----------------------------------------------------------------------------
# building

def build(names):
    """Build the C programs into the cache; returns {name: path} or None."""
    cc = shutil.which("musl-gcc")
    if cc is None:
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    bins = {}
    for name in names:
        src = PROGRAMS / (name + ".c")
        h = hashlib.sha256(src.read_bytes() + " ".join(CFLAGS).encode()).hexdigest()[:16]
        out = CACHE / ("%s-%s" % (name, h))
        if not out.exists():
            tmp = out.with_suffix(".tmp%d" % os.getpid())
            r = subprocess.run([cc, *CFLAGS, "-o", str(tmp), str(src)],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print("build of %s failed:\n%s" % (name, r.stderr), file=sys.stderr)
                return None
            os.replace(tmp, out)
        bins[name] = str(out)
    return bins


# ----------------------------------------------------------------------------
# running

def build_qemu_wrappers(bins):
    """Native wrappers that start qemu on the exec'd programs (see qemu_wrap.c)."""
    qemu, cc = shutil.which("qemu-x86_64"), shutil.which("gcc")
    if qemu is None or cc is None:
        return bins
    src = PROGRAMS / "qemu_wrap.c"
    targets = {"wrap_busybox": BUSYBOX}
    if "true" in bins:
        targets["wrap_true"] = bins["true"]
    for name, target in targets.items():
        flags = ["-static", "-O2", '-DTARGET="%s"' % target, '-DQEMU="%s"' % qemu]
        h = hashlib.sha256(src.read_bytes() + " ".join(flags).encode()).hexdigest()[:16]
        out = CACHE / ("%s-%s" % (name, h))
        if not out.exists():
            r = subprocess.run([cc, *flags, "-o", str(out), str(src)], capture_output=True, text=True)
            if r.returncode != 0:
                print("build of %s failed:\n%s" % (name, r.stderr), file=sys.stderr)
                continue
        bins[name] = str(out)
    return bins


FLOOR_WORKLOADS = {"compute"}      # what bench/cpu_floor.py can run
# Workloads that clone with CLONE_VM (threads; busybox sh's vfork): Qiling's multithread mode.
QILING_THREADED = {"thread_create_join", "busybox_true_loop", "seq_sort_pipeline"}
QILING_PYTHON = os.environ.get("GLASSKERNEL_QILING_PYTHON", "/opt/qiling-venv/bin/python")


def runners(tracing_overhead=False, qiling=True):
    rs = [("native", [])]
    qemu = shutil.which("qemu-x86_64")
    if qemu:
        rs.append(("qemu-user", [qemu]))
        rs.append(("qemu-all", [qemu]))    # exec'd programs under qemu too (wrappers)
    rs.append(("glasskernel", [sys.executable, "-m", "glasskernel", "run"]))
    # The compute loop on a bare glasskernel CPU, no kernel: the emulator's own floor.
    rs.append(("cpu-floor", [sys.executable, str(HERE / "cpu_floor.py")]))
    if qiling and os.path.exists(QILING_PYTHON):  # Qiling, in its own virtual environment
        rs.append(("qiling", [QILING_PYTHON, str(HERE / "qiling_run.py")]))
    if tracing_overhead:
        rs.append(("glasskernel-notrace", [sys.executable, str(HERE / "notrace.py"), "run"]))
    return rs


def time_once(cmd):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        last = (r.stderr.decode(errors="replace").strip().splitlines() or [""])[-1]
        raise RuntimeError("%s exited %d: %s" % (" ".join(cmd)[:120], r.returncode, last[-300:]))
    return dt, r.stdout


def _plan(w, rs, bins):
    """(runner, command prefix, argv builder) for each runner that applies to w."""
    plan = []
    for rname, prefix in rs:
        argv = w.argv
        if rname == "qemu-all":
            if w.emulated is None or not bins.get("wrap_busybox"):
                continue                   # nothing is exec'd: the same as qemu-user
            argv = w.emulated
        if rname == "cpu-floor" and w.name not in FLOOR_WORKLOADS:
            continue
        if rname == "qiling" and w.name in QILING_THREADED:
            prefix = prefix + ["--threads"]
        plan.append((rname, prefix, argv))
    return plan


def bench_workload(w, n, reps, rs, bins):
    """Each repetition runs every runner once, in turn: the machine's slow spells (its
    speed varies up to 2x over minutes) then fall on all runners alike, not on one."""
    n0 = n // 10
    plan = _plan(w, rs, bins)
    samples = {rname: [] for rname, _p, _a in plan}
    errors = {}
    ref_out = None
    for _ in range(reps):
        for rname, prefix, argv in plan:
            if rname in errors:
                continue
            try:
                t_n, out = time_once(prefix + argv(n, bins))
                t_0, _ = time_once(prefix + argv(n0, bins))
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                errors[rname] = str(e)
                continue
            if ref_out is None:
                ref_out = out
            elif out != ref_out:
                errors[rname] = ("output differs from native: %r vs %r"
                                 % (out[:80], ref_out[:80]))
                continue
            samples[rname].append((t_n - t_0) / (n - n0))
    res = {}
    paired = paired_ratios(samples, errors)
    for rname, _p, _a in plan:
        if rname in errors:
            res[rname] = {"error": errors[rname]}
            print("  %-12s ERROR %s" % (rname, errors[rname]), file=sys.stderr)
            continue
        per_op = samples[rname]
        res[rname] = {"min": min(per_op), "median": statistics.median(per_op)}
        if rname == "glasskernel":
            res[rname]["paired"] = paired
        print("  %-12s min %s  median %s" % (rname, fmt(res[rname]["min"]),
                                              fmt(res[rname]["median"])), file=sys.stderr)
    return res, n0


def paired_ratios(samples: dict, errors: dict) -> dict:
    """{runner: median over the repetitions of glasskernel's time / the runner's}.

    The runners of one repetition run back to back, so they meet the machine in the same
    state; this machine's speed drifts by up to 2x over minutes (steal from neighbours),
    which moves each runner's own median, but a ratio taken within one repetition
    mostly cancels it. Runners with an error are left out."""
    gk = samples.get("glasskernel")
    if not gk or "glasskernel" in errors:
        return {}
    return {rname: statistics.median(g / x for g, x in zip(gk, per_op))
            for rname, per_op in samples.items()
            if rname != "glasskernel" and rname not in errors and len(per_op) == len(gk)
            and all(x > 0 for x in per_op)}


# ----------------------------------------------------------------------------
# reporting

def fmt(sec):
    us = sec * 1e6
    if abs(us) >= 1000:
        return "%.2f ms" % (us / 1000)
    if abs(us) >= 10:
        return "%.1f µs" % us
    if abs(us) >= 1:
        return "%.2f µs" % us
    return "%.1f ns" % (us * 1000)


def ratio(res, peer):
    """glasskernel ÷ peer, paired (see paired_ratios), as the report shows it."""
    value = targets.gk_ratio(res, peer)
    if value is None:
        return "n/a"
    return ("%.2f×" if value < 1 else "%.1f×") % value


def report(results, rnames, reps, quick):
    lines = []
    lines.append("## Summary (median per operation)\n")
    lines.append("Ratios (gk / …) are paired: the median over the repetitions of glasskernel's "
                 "time ÷ the other runner's in the same repetition (`paired_ratios`).\n")
    hdr = ["workload", "N / n0"] + rnames + ["gk / native"]
    if "qemu-user" in rnames:
        hdr.append("gk / qemu")
    if "qemu-all" in rnames:
        hdr.append("gk / qemu-all")
    if "qiling" in rnames:
        hdr.append("gk / qiling")
    lines.append("| " + " | ".join(hdr) + " |")
    lines.append("|" + "---|" * len(hdr))
    for w, (res, n, n0) in results:
        row = [w.name, "%d / %d" % (n, n0)]
        for r in rnames:
            x = res.get(r)
            if x is None and r == "qemu-all":
                row.append("= qemu-user")      # nothing exec'd: nothing more to emulate
                continue
            if x is None and r == "cpu-floor":
                row.append("–")
                continue
            row.append("error" if x is None or "error" in x else fmt(x["median"]))
        row.append(ratio(res, "native"))
        if "qemu-user" in rnames:
            row.append(ratio(res, "qemu-user"))
        if "qemu-all" in rnames:
            row.append(ratio(res, "qemu-all"))
        if "qiling" in rnames:
            row.append(ratio(res, "qiling"))
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    for w, (res, n, n0) in results:
        lines.append("### %s\n" % w.name)
        lines.append(w.what + "\n")
        lines.append("N = %d, n0 = %d, %d rep(s); per operation = (t(N) - t(n0)) / (N - n0).\n"
                     % (n, n0, reps))
        lines.append("| runner | min | median | glasskernel ÷ this (paired median) |")
        lines.append("|---|---|---|---|")
        for r in rnames:
            x = res.get(r)
            if x is None and r in ("qemu-all", "cpu-floor"):
                continue
            if x is None or "error" in x:
                lines.append("| %s | error | error | n/a |" % r)
            else:
                lines.append("| %s | %s | %s | %s |" % (r, fmt(x["min"]), fmt(x["median"]),
                                                       ratio(res, r)))
        errs = [(r, res[r]["error"]) for r in rnames if r in res and "error" in res[r]]
        for r, e in errs:
            lines.append("\n%s error: `%s`" % (r, e.replace("`", "'").replace("\n", " ")[:300]))
        lines.append("")
    return "\n".join(lines)


_UNICORN_BUILDS = {
    "patched": "glasskernel's patched build: `glasskernel build-emulator`",
    "stock": "stock library",
    "custom": "the library in $LIBUNICORN_PATH",
}


def unicorn_build() -> str:
    """Which Unicorn library glasskernel loads here (arch/x86/emulator_build.py)."""
    from glasskernel.arch.x86 import emulator_build
    return _UNICORN_BUILDS[emulator_build.choose_library(os.environ)]


def machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        # The package's metadata: the emulator itself is imported by arch/x86/cpu.py only.
        ucv = importlib.metadata.version("unicorn")
    except importlib.metadata.PackageNotFoundError:
        ucv = "not installed"
    qemu = shutil.which("qemu-x86_64")
    qv = "not installed"
    if qemu:
        try:
            qv = subprocess.run([qemu, "--version"], capture_output=True,
                                text=True).stdout.splitlines()[0]
        except Exception:
            qv = "unknown"
    return [
        ("date", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("CPU", model),
        ("nproc", str(os.cpu_count())),
        ("kernel", platform.release()),
        ("Python", platform.python_version()),
        ("Unicorn", ucv + " (" + unicorn_build() + ")"),
        ("qemu-user", qv),
    ]


CAVEATS = """\
## Caveats

* qemu-user emulates only the process it was started on: when that process
  calls `execve`, the host kernel runs the new program **natively**.  So the
  `qemu-user` figures for `fork_exec_wait`, `busybox_true_loop` and
  `seq_sort_pipeline` only emulate the parent/shell.  The `qemu-all` column
  runs the same workloads with every exec'd program wrapped in qemu-x86_64
  (`bench/programs/qemu_wrap.c`, a native wrapper that starts qemu on it), so
  all of them are emulated, as under glasskernel: compare with that column.
* `cpu-floor` (compute only) runs the same instructions, hand-assembled, on one bare
  glasskernel CPU with no kernel (`bench/cpu_floor.py`): what Unicorn itself
  costs with the CPU backend's set-up. glasskernel ÷ it is what the kernel adds.
* `qiling` runs each program under Qiling (`bench/qiling_run.py`) when a
  virtual environment with it exists at $GLASSKERNEL_QILING_PYTHON (default
  `/opt/qiling-venv/bin/python`; `python3 -m venv /opt/qiling-venv &&
  /opt/qiling-venv/bin/pip install qiling`). Qiling follows execve itself,
  so its exec workloads are all emulated. A workload whose output differs from
  native under Qiling shows as an error for it.
* `glasskernel-notrace` (with `--tracing-overhead`) is glasskernel with its
  tracepoint wrappers compiled out (`bench/notrace.py`): glasskernel ÷ it is
  what the tracepoints cost when no tracer is attached.
* Start-up (Python import, ELF load, Unicorn set-up) is subtracted by the
  t(N) - t(n0) difference; steady-state effects such as glasskernel's
  translation-block cache warming up are not.
* Wall-clock times on a shared machine; treat single-digit-percent
  differences as noise.  For the cheap native/qemu-user syscall rows
  (`getpid`, `write`) the whole N-run takes only a few milliseconds, so
  process-start jitter dominates and min and median can differ several-fold:
  read them as orders of magnitude (raise N, e.g. with a local edit of the
  workload table, for tighter native figures).
"""


# Sections other scripts write into the page (bench/dynamic.py, bench/batch.py): kept when it is rewritten.
KEPT_MARKERS = (("<!-- dynamic-programs:begin -->", "<!-- dynamic-programs:end -->"),
                ("<!-- batch:begin -->", "<!-- batch:end -->"))


def kept_sections() -> str:
    """The marked sections of the current page, each with its markers, to append again."""
    text = DOC.read_text() if DOC.exists() else ""
    kept = ""
    for begin, end in KEPT_MARKERS:
        if begin in text and end in text.split(begin, 1)[1]:
            kept += "\n" + begin + text.split(begin, 1)[1].split(end, 1)[0] + end + "\n"
    return kept


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny N, 1 rep, don't write docs")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3; quick 1)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these workloads")
    ap.add_argument("--tracing-overhead", action="store_true",
                    help="also run glasskernel with its tracepoints compiled out (bench/notrace.py)")
    args = ap.parse_args()
    reps = args.reps or (1 if args.quick else 3)

    ws = WORKLOADS
    if args.only:
        known = {w.name for w in WORKLOADS}
        bad = [x for x in args.only if x not in known]
        if bad:
            ap.error("unknown workload(s) %s; known: %s" % (", ".join(bad), ", ".join(sorted(known))))
        ws = [w for w in WORKLOADS if w.name in args.only]

    needs = sorted({p for w in ws for p in w.needs})
    bins = build(needs) if needs else {}
    if bins is not None:
        bins = build_qemu_wrappers(bins)
    if bins is None:
        print("musl-gcc missing or build failed: skipping C workloads", file=sys.stderr)
        ws = [w for w in ws if not w.needs]
        bins = {}
    if not os.path.exists(BUSYBOX):
        print("%s missing: skipping shell workloads" % BUSYBOX, file=sys.stderr)
        ws = [w for w in ws if w.needs]

    rs = runners(args.tracing_overhead, qiling=not args.quick)
    rnames = [r for r, _ in rs]
    results = []
    t_start = time.perf_counter()
    for w in ws:
        n = w.n_quick if args.quick else w.n_real
        print("%s (N=%d)" % (w.name, n), file=sys.stderr)
        res, n0 = bench_workload(w, n, reps, rs, bins)
        results.append((w, (res, n, n0)))
    elapsed = time.perf_counter() - t_start

    body = report(results, rnames, reps, args.quick)
    if not args.quick:                  # quick figures are meaningless: no verdicts on them
        body += "\n" + targets.section(results)
    print(body)
    print("(total %.1f s)" % elapsed, file=sys.stderr)

    if not args.quick and not args.only:
        mach = "\n".join("* %s: %s" % kv for kv in machine())
        DOC.parent.mkdir(parents=True, exist_ok=True)
        kept = kept_sections()
        DOC.write_text(
            "# glasskernel benchmarks\n\n"
            "Generated by `python3 bench/run.py` (%d rep(s), %.0f s).  Regenerate with the\n"
            "same command; `--quick` only checks that the runner works; `--only NAME...`\n"
            "selects workloads; `--reps N` sets repetitions.  The workloads are the C\n"
            "programs in `bench/programs/` (built with `musl-gcc -static -O2`, cached in\n"
            "`~/.cache/glasskernel-bench/`) plus two busybox shell workloads.\n\n"
            "## Machine\n\n%s\n\n%s\n%s%s"
            % (reps, elapsed, mach, body, CAVEATS, kept))
        print("wrote %s" % DOC.relative_to(REPO), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
