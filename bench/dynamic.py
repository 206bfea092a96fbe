#!/usr/bin/env python3
"""The host's dynamically linked programs, start to exit: native, qemu-user, glasskernel.

    python3 bench/dynamic.py [--quick] [--reps N] [--only NAME...] [--write-doc]
    python3 bench/dynamic.py --instructions [--only NAME...]

Each workload is one whole command (no N/n0 subtraction: start-up is what is measured),
timed natively, under ``qemu-x86_64`` and under ``python -m glasskernel run``. Every
repetition runs the three in turn, so glasskernel ÷ qemu-user is a paired ratio
(run.py's ``paired_ratios``): the median over the repetitions of the two times taken
back to back.

Like for like: qemu-user emulates only the process it starts, so where a workload execs
other programs (gcc's cc1 and as, the dash script's commands) the qemu-user command runs
each of them under qemu-x86_64 too (gcc's ``-wrapper``; a ``$Q`` prefix in front of each command of the script),
as glasskernel runs every one of them. The native wrapper a wrapped exec passes through
(a /bin/sh ``exec``) is counted against qemu-user.

``--instructions`` runs each workload once under glasskernel inside cachegrind and prints
the host instructions of the whole process (PYTHONHASHSEED=0), next to those of
``python -c pass``, the interpreter's own floor: a count that does not move with the
machine's load, to compare two versions of glasskernel's start-up (needs valgrind).

``--write-doc`` replaces the dynamic-programs section of docs/benchmarks.md (between its
markers; run.py keeps that section when it rewrites the page). ``--quick`` runs one
repetition and only checks that the runner works. Nothing here asserts on timings.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import run as bench                       # bench/run.py (the script's directory is on sys.path)

DOC = bench.DOC
BEGIN, END = bench.KEPT_MARKERS[0]
QEMU = shutil.which("qemu-x86_64")
HELLO_C = '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n'
# `command` resolves a bare name as gcc's driver passes it (cc1 by path, `as` by name).
QEMU_WRAPPER = '#!/bin/sh\np=$(command -v "$1") || exit 127\nshift\nexec %s "$p" "$@"\n'
# 25 pipelines of 4 commands: every command a dynamically linked program from /usr/bin.
PIPELINE = ("{q}/usr/bin/seq 1 {n} | {q}/usr/bin/grep 1 | {q}/usr/bin/sort -r "
            "| {q}/usr/bin/head -n 2\n")
# Targets from issue 17: glasskernel ÷ qemu-user at most this.
TARGETS = {"true": 1.5, "ls": 1.0, "python": 1.0, "gcc": 1.0, "dash_pipelines": 1.0}


class Dyn:
    """One whole-command workload: argv(runner, tmp) -> the command (without runner prefix)."""
    __slots__ = ("name", "what", "argv", "needs")

    def __init__(self, name, what, argv, needs):
        self.name, self.what, self.argv, self.needs = name, what, argv, needs


def _gcc(runner, tmp):
    out = os.path.join(tmp, "hello-%s.o" % runner)
    cmd = ["/usr/bin/gcc", "-c", os.path.join(tmp, "hello.c"), "-o", out]
    if runner == "qemu-user":
        cmd[1:1] = ["-wrapper", os.path.join(tmp, "qemu-wrap")]
    return cmd


def _dash(runner, tmp):
    q = QEMU + " " if runner == "qemu-user" else ""
    return ["/usr/bin/dash", "-c", "".join(PIPELINE.format(q=q, n=100 + i) for i in range(25))]


WORKLOADS = [
    Dyn("true", "`/usr/bin/true`: a dynamic program that does nothing; ld.so and libc's "
        "start-up, and for glasskernel its own fixed start-up.",
        lambda r, t: ["/usr/bin/true"], ["/usr/bin/true"]),
    Dyn("ls", "`ls -la /usr/bin`: ld.so with four libraries, ~1,000 lstat/readlink and "
        "a screenful of formatted output.",
        lambda r, t: ["/usr/bin/ls", "-la", "/usr/bin"], ["/usr/bin/ls"]),
    Dyn("python", "`python3.11 -c pass`: Debian's interpreter starting up (a large "
        "binary, hundreds of file reads and mmaps, several MB of code run once).",
        lambda r, t: ["/usr/bin/python3.11", "-c", "pass"], ["/usr/bin/python3.11"]),
    Dyn("gcc", "`gcc -c hello.c`: the driver, cc1 and as, each emulated (qemu-user: "
        "through gcc's `-wrapper`).", _gcc, ["/usr/bin/gcc"]),
    Dyn("dash_pipelines", "`dash -c` running 25 pipelines of 4 commands (seq | grep | "
        "sort -r | head): 100 dynamic programs forked and exec'd, each emulated "
        "(qemu-user: each through qemu-x86_64).", _dash,
        ["/usr/bin/dash", "/usr/bin/seq", "/usr/bin/grep", "/usr/bin/sort", "/usr/bin/head"]),
]


def runners() -> list:
    """(name, prefix) of each runner present here."""
    rs = [("native", [])]
    if QEMU:
        rs.append(("qemu-user", [QEMU]))
    rs.append(("glasskernel", [sys.executable, "-m", "glasskernel", "run"]))
    return rs


def time_once(cmd: list, cwd: str) -> tuple:
    """(seconds, exit status, stdout) of one run of cmd."""
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, cwd=cwd,
                       timeout=bench.TIMEOUT)
    return time.perf_counter() - t0, r.returncode, r.stdout


def bench_one(w, reps: int, rs: list, tmp: str) -> dict:
    """{runner: {"samples": [...]} or {"error": ...}} plus glasskernel's paired ratios."""
    samples = {name: [] for name, _ in rs}
    errors, same_output = {}, {}
    ref = None
    for _ in range(reps):
        for name, prefix in rs:
            if name in errors:
                continue
            try:
                dt, status, out = time_once(prefix + w.argv(name, tmp), tmp)
            except subprocess.TimeoutExpired as e:
                errors[name] = "timed out: %s" % e
                continue
            if status != 0:
                errors[name] = "exit status %d" % status
                continue
            if ref is None:
                ref = out
            same_output[name] = same_output.get(name, True) and out == ref
            samples[name].append(dt)
    res = {}
    for name, _ in rs:
        if name in errors or not samples[name]:
            res[name] = {"error": errors.get(name, "no run")}
        else:
            res[name] = {"min": min(samples[name]), "median": statistics.median(samples[name]),
                         "same_output": same_output[name]}
    if "glasskernel" in res and "error" not in res["glasskernel"]:
        res["glasskernel"]["paired"] = bench.paired_ratios(samples, errors)
    return res


def _ratio(res: dict, peer: str):
    return res.get("glasskernel", {}).get("paired", {}).get(peer)


def _fmt_ratio(value) -> str:
    if value is None:
        return "n/a"
    return ("%.2f×" if value < 1 else "%.1f×") % value


def report(results: list, rnames: list, reps: int) -> str:
    """The markdown section: one row per workload, times as medians, ratios paired."""
    lines = ["| workload | " + " | ".join(rnames) + " | gk / native | gk / qemu-user "
             "| target (gk / qemu-user) | met |", "|" + "---|" * (len(rnames) + 5)]
    for w, res in results:
        row = [w.name]
        for r in rnames:
            x = res.get(r, {})
            row.append("error" if "error" in x else bench.fmt(x["median"]))
        q = _ratio(res, "qemu-user")
        target = TARGETS.get(w.name)
        met = "n/a" if q is None or target is None else ("yes" if q <= target else
                                                          "no (%.1f× over)" % (q / target))
        row += [_fmt_ratio(_ratio(res, "native")), _fmt_ratio(q),
                "≤ %.1f×" % target if target else "–", met]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("Median wall time of the whole command over %d repetition(s) (min in the "
                 "notes below); ratios paired per repetition." % reps)
    lines.append("")
    for w, res in results:
        notes = []
        for r in rnames:
            x = res.get(r, {})
            if "error" in x:
                notes.append("%s: error (%s)" % (r, x["error"]))
            else:
                notes.append("%s min %s%s" % (r, bench.fmt(x["min"]),
                                              "" if x["same_output"] else ", output differs from native"))
        lines.append("* **%s**: %s %s." % (w.name, w.what, "; ".join(notes)))
    return "\n".join(lines) + "\n"


def instructions(cmd: list, cwd: str) -> int:
    """Host instructions of one run of cmd, counted by cachegrind."""
    import instructions as ir                 # bench/instructions.py
    out = os.path.join(cwd, "cachegrind.out")
    env = dict(os.environ, PYTHONHASHSEED="0")
    subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--smc-check=all-non-file",
                    "--cachegrind-out-file=" + out, *cmd], cwd=cwd, env=env,
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=3600)
    if not os.path.exists(out):
        raise RuntimeError("cachegrind gave no counts for %s" % cmd[0])
    total = ir.counts(out)[0]
    os.unlink(out)
    return total


def report_instructions(ws: list, tmp: str) -> str:
    """The table of --instructions."""
    floor = instructions([sys.executable, "-c", "pass"], tmp)
    lines = ["| workload | host instructions under glasskernel | python -c pass |",
             "|---|---|---|"]
    for w in ws:
        n = instructions([sys.executable, "-m", "glasskernel", "run", *w.argv("glasskernel", tmp)],
                         tmp)
        lines.append("| %s | %.1f M | %.1f M |" % (w.name, n / 1e6, floor / 1e6))
        print(lines[-1], file=sys.stderr)
    return "\n".join(lines) + "\n"


NOTES = """\
Notes on these rows:

* Whole commands, start to exit: glasskernel's figures include its own start-up (the
  Python interpreter, importing the kernel, booting it: see the `true` row, and
  `--instructions` for a count that does not move with the machine's load). qemu-user
  starts in a few ms, so the short rows are mostly start-up.
* qemu-user runs every program of a workload emulated, as glasskernel does: gcc's cc1
  and as through `gcc -wrapper` (a native `/bin/sh` wrapper that execs qemu-x86_64 on
  them), each command of the dash script as `qemu-x86_64 /usr/bin/...`.
* Wall-clock times on a shared, busy 2-core machine: medians of the repetitions, ratios
  paired within each repetition (the runners of one repetition run back to back).
* glasskernel's bytecode (.pyc) is written before timing, as an installed package has it.
"""


def write_doc(section: str) -> None:
    """Replace (or append) the marked section of docs/benchmarks.md."""
    text = DOC.read_text() if DOC.exists() else "# glasskernel benchmarks\n"
    block = "%s\n%s%s" % (BEGIN, section, END)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(text)


def _setup(tmp: str) -> None:
    """hello.c, qemu's exec wrapper, and glasskernel's bytecode written: an installed
    package has its .pyc files, and with $PYTHONDONTWRITEBYTECODE set (as on some CI
    machines) every run would compile all of its modules again."""
    subprocess.run([sys.executable, "-m", "glasskernel", "run", "/usr/bin/true"], cwd=tmp,
                   env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=bench.TIMEOUT)
    Path(tmp, "hello.c").write_text(HELLO_C)
    if QEMU:
        wrapper = Path(tmp, "qemu-wrap")
        wrapper.write_text(QEMU_WRAPPER % QEMU)
        wrapper.chmod(0o755)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 repetition, no doc")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 5; quick 1)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these workloads")
    ap.add_argument("--instructions", action="store_true",
                    help="host instructions of glasskernel's runs (cachegrind), no timing")
    ap.add_argument("--write-doc", action="store_true",
                    help="write the section of docs/benchmarks.md")
    args = ap.parse_args()
    reps = args.reps or (1 if args.quick else 5)
    known = {w.name for w in WORKLOADS}
    if args.only and set(args.only) - known:
        ap.error("unknown workload(s) %s; known: %s"
                 % (", ".join(sorted(set(args.only) - known)), ", ".join(sorted(known))))
    ws = [w for w in WORKLOADS if not args.only or w.name in args.only]
    missing = [w.name for w in ws if not all(os.path.exists(p) for p in w.needs)]
    if missing:
        print("skipping (programs not installed): %s" % ", ".join(missing), file=sys.stderr)
    ws = [w for w in ws if w.name not in missing]
    if args.instructions:
        if shutil.which("valgrind") is None:
            ap.error("--instructions needs valgrind")
        with tempfile.TemporaryDirectory(prefix="gk-dynbench-") as tmp:
            _setup(tmp)
            print(report_instructions(ws, tmp))
        return 0
    rs = runners()
    rnames = [r for r, _ in rs]
    results = []
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gk-dynbench-") as tmp:
        _setup(tmp)
        for w in ws:
            print(w.name, file=sys.stderr)
            res = bench_one(w, reps, rs, tmp)
            for r in rnames:
                x = res[r]
                print("  %-12s %s" % (r, ("ERROR " + x["error"]) if "error" in x else
                                      "median %s" % bench.fmt(x["median"])), file=sys.stderr)
            results.append((w, res))
    elapsed = time.perf_counter() - t_start
    section = report(results, rnames, reps)
    print(section)
    print("(total %.1f s)" % elapsed, file=sys.stderr)
    if args.write_doc and not args.quick:
        mach = "; ".join("%s: %s" % kv for kv in bench.machine())
        mach += "; load average at the end: %.1f" % os.getloadavg()[0]
        write_doc("## Dynamic programs, start to exit (`python3 bench/dynamic.py`)\n\n"
                  "Generated by `python3 bench/dynamic.py --write-doc` (%d repetitions, %.0f s) "
                  "on %s.\n\n%s\n%s" % (reps, elapsed, mach, section, NOTES))
        print("wrote %s" % DOC.relative_to(bench.REPO), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
