#!/usr/bin/env python3
"""LTP as the oracle: run the Linux Test Project's syscall tests natively and under glasskernel.

    python3 tests/conformance/ltp.py [--suite process|syscalls] [--jobs N] [TEST...]

Builds the tests the suite needs (ltp_build.py: static glibc, cached), runs each one on the
host kernel and under `python -m glasskernel run`, each run in its own fresh directory that is
its cwd and TMPDIR, reads LTP's verdict from the exit status (0 pass, 32 TCONF only, otherwise
the TFAIL=1 / TBROK=2 / TWARN=4 bits) and prints one line per test. A whole-suite run (no TEST
arguments) also rewrites that suite's section of docs/conformance.md: per test the two
verdicts and, where they differ, the first cause (the first TFAIL/TBROK/TWARN line, and the
first line glasskernel itself printed). The full output of every run stays in the build's
cache directory (results/SUITE/TAG.{native,glasskernel}.log).

Suites: tests/conformance/process.txt is a fixed list of runtest lines; syscalls.txt names
syscalls/ directories, and the suite is every runtest/syscalls entry built in them.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ltp_build import REPO, BuildError, Entry, LtpBuild, find_source, parse_runtest  # noqa: E402
import ltp_report  # noqa: E402

HERE = Path(__file__).resolve().parent
SUITES = ("process", "syscalls")
KNOWN_FAILURES = HERE / "known-failures.txt"
SLOW = HERE / "slow.txt"
GLASSKERNEL_TIMEOUT = 300
# LTP scales its own per-test timeout (30 s by default) by this; the emulator is slow.
LTP_TIMEOUT_MUL = "4"
# ... and the run time of tests that loop for a while (fork13: 600 s) by this.
LTP_RUNTIME_MUL = "0.1"
# The soft RLIMIT_NOFILE of both runs (a login's usual 1024): the tests that open files until
# EMFILE (dup03, pipe06, fork09) then loop a thousand times, not as often as the host allows.
NOFILE = 1024
PASSING = ("pass", "conf")
CAUSE = re.compile(r"\b(TFAIL|TBROK|TWARN)\b|Test timeouted")


@dataclass(slots=True)
class Outcome:
    """One run of one test: its verdict, exit status, seconds and combined output."""
    verdict: str
    status: int | None
    seconds: float
    output: str

    def cause(self) -> str:
        """The first LTP failure line and the first line glasskernel printed, if any."""
        lines = self.output.splitlines()
        ltp = next((ln for ln in lines if CAUSE.search(ln)), "")
        own = [ln for ln in lines if ln.startswith("glasskernel:")]
        gk = next((ln for ln in own if "error" in ln), own[0] if own else "")
        if not ltp:                          # a TCONF is the cause only when nothing failed
            ltp = next((ln for ln in lines if "TCONF" in ln), "")
        parts = [p.strip() for p in (ltp, gk) if p]
        return " / ".join(parts) or (lines[-1].strip() if lines else f"status {self.status}")


@dataclass(slots=True)
class RunConfig:
    """How a suite runs: tests at once, the kill timeout of each run, LTP's runtime multiplier."""
    jobs: int = 2
    timeout: float = GLASSKERNEL_TIMEOUT
    runtime_mul: str = LTP_RUNTIME_MUL


@dataclass(slots=True)
class Result:
    """A test's two runs."""
    entry: Entry
    native: Outcome
    glasskernel: Outcome

    @property
    def regression(self) -> bool:
        """Passes (or TCONFs) natively, but not the same way under glasskernel."""
        return self.native.verdict == "pass" and self.glasskernel.verdict != "pass"


def verdict(status: int | None) -> str:
    """LTP's verdict from its exit status (a bit set of TFAIL, TBROK, TWARN, TCONF)."""
    if status is None:
        return "timeout"
    if status == 0:
        return "pass"
    if status >= 128:
        return f"signal {signal.Signals(status - 128).name}" if status - 128 < 65 else f"exit {status}"
    if status > 63:
        return f"exit {status}"           # not an LTP status: glasskernel's own (70 internal)
    if status & 2:
        return "broken"
    if status & 1:
        return "fail"
    if status & 4:
        return "warn"
    return "conf" if status == 32 else f"exit {status}"


def load_suite(build: LtpBuild, suite: str) -> list[Entry]:
    """The suite's entries: process.txt's lines, or runtest/syscalls in syscalls.txt's dirs."""
    if suite == "process":
        return parse_runtest((HERE / "process.txt").read_text())
    dirs = {word for ln in (HERE / "syscalls.txt").read_text().splitlines()
            if not ln.startswith("#") for word in ln.split()}
    return [e for e in build.runtest() if build.dir_of(e.binary) in dirs]


def load_tagged(path: Path) -> dict[str, str]:
    """A `tag  text` file (known-failures.txt, slow.txt): tag -> text, comments skipped."""
    tagged = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            tag, _, text = line.strip().partition(" ")
            tagged[tag] = text.strip()
    return tagged


def load_known_failures() -> dict[str, str]:
    return load_tagged(KNOWN_FAILURES)


def glasskernel_command() -> list[str]:
    """`python -m glasskernel run` from this repo ($GLASSKERNEL_TEST_COMMAND replaces it)."""
    base = shlex.split(os.environ.get("GLASSKERNEL_TEST_COMMAND", ""))
    if not base:
        boot = (f"import sys, runpy; sys.path.insert(0, {str(REPO)!r}); sys.argv[0] = 'glasskernel';"
                " runpy.run_module('glasskernel', run_name='__main__')")
        base = [sys.executable, "-c", boot]
    return [*base, "run"]


def run_once(build: LtpBuild, entry: Entry, mode: str, workdir: Path, cfg: RunConfig) -> Outcome:
    """Run ENTRY natively or under glasskernel in WORKDIR (its cwd and TMPDIR)."""
    exe = build.binary_path(entry)
    if exe is None:
        return Outcome("not built", None, 0.0, f"{entry.binary} was not built")
    workdir.mkdir(parents=True)
    bindir = build.ltproot / "testcases" / "bin"
    env = {"PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin", "HOME": "/root",
           "LANG": "C.UTF-8", "TZ": "UTC", "TMPDIR": str(workdir), "LTPROOT": str(build.ltproot),
           "LTP_TIMEOUT_MUL": LTP_TIMEOUT_MUL, "LTP_RUNTIME_MUL": cfg.runtime_mul}
    argv = [str(exe), *entry.argv[1:]]
    if mode == "glasskernel":
        argv = [*glasskernel_command(), *argv]
        env["KCONFIG_PATH"] = str(HERE / "glasskernel.config")
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=_limit_nofile)
    try:
        out, _ = proc.communicate(timeout=cfg.timeout)
        status = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, _ = proc.communicate()
        status = None
    text = out.decode("utf-8", "replace")
    if status is None:
        text += f"\n(ltp.py: killed after the {cfg.timeout:.0f} s timeout)\n"
    return Outcome(verdict(status), status, time.monotonic() - t0, text)


def _limit_nofile() -> None:
    """In the child before exec: lower the soft descriptor limit (glasskernel hands its
    limits to the guest, so both runs see the same)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    limit = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the session we started for this run (the test and whatever it forked)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_test(build: LtpBuild, entry: Entry, scratch: Path, logs: Path, cfg: RunConfig) -> Result:
    """Both runs of one test, their logs written to LOGS."""
    outcomes = {}
    for mode in ("native", "glasskernel"):
        work = scratch / f"{entry.tag}.{mode}"
        outcomes[mode] = run_once(build, entry, mode, work, cfg)
        shutil.rmtree(work, ignore_errors=True)
        (logs / f"{entry.tag}.{mode}.log").write_text(
            f"$ {' '.join(entry.argv)}   # {mode}, status {outcomes[mode].status}, "
            f"{outcomes[mode].seconds:.1f} s\n{outcomes[mode].output}")
    return Result(entry, outcomes["native"], outcomes["glasskernel"])


def run_suite(build: LtpBuild, entries: list[Entry], suite: str, cfg: RunConfig,
              log=print) -> list[Result]:
    """Run ENTRIES, cfg.jobs tests at a time; results in ENTRIES' order."""
    logs = build.root / "results" / suite
    logs.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="gk-ltp-"))
    try:
        with ThreadPoolExecutor(max_workers=max(1, cfg.jobs)) as pool:
            futures = [pool.submit(run_test, build, e, scratch, logs, cfg) for e in entries]
            results = []
            for fut in futures:
                r = fut.result()
                results.append(r)
                log(f"{r.entry.tag:<24} native {r.native.verdict:<8} "
                    f"glasskernel {r.glasskernel.verdict:<8} {r.glasskernel.seconds:6.1f} s"
                    + (f"   {r.glasskernel.cause()}" if r.regression else ""))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def prepare(suite: str, tags: list[str], log=print) -> tuple[LtpBuild, list[Entry], dict]:
    """Find the source, pick the entries (TAGS from the suite or runtest/syscalls), build them."""
    source = find_source()
    if source is None:
        raise BuildError("no LTP source: set LTP_SRC or put the tarball in <repo>/../shared/ltp/")
    build = LtpBuild(source)
    entries = load_suite(build, suite)
    if tags:
        pool = {e.tag: e for e in [*build.runtest(), *entries]}
        unknown = [t for t in tags if t not in pool]
        if unknown:
            raise BuildError(f"unknown test tag(s): {' '.join(unknown)}")
        entries = [pool[t] for t in tags]
    t0 = time.monotonic()
    report = build.ensure_built(entries, log=log)
    return build, entries, {"build": time.monotonic() - t0, "steps": report.seconds}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", choices=SUITES, default="process")
    ap.add_argument("--jobs", "-j", type=int, default=2, help="tests run at once (default 2)")
    ap.add_argument("--timeout", type=float, default=GLASSKERNEL_TIMEOUT,
                    help="seconds before a run is killed (default %(default)s)")
    ap.add_argument("--runtime-mul", default=LTP_RUNTIME_MUL,
                    help="LTP_RUNTIME_MUL for every run (default %(default)s)")
    ap.add_argument("--build-only", action="store_true", help="build the suite, run nothing")
    ap.add_argument("--no-report", action="store_true", help="do not touch docs/conformance.md")
    ap.add_argument("tests", nargs="*", metavar="TEST", help="run only these tags")
    opts = ap.parse_args(argv)
    try:
        build, entries, timing = prepare(opts.suite, opts.tests)
    except BuildError as e:
        print(f"ltp.py: {e}", file=sys.stderr)
        return 2
    print(f"ltp.py: {len(entries)} tests built in {timing['build']:.0f} s ({build.root})")
    if opts.build_only:
        return 0
    timing["commit"] = ltp_report.head_commit()     # the code the runs use, taken now
    t0 = time.monotonic()
    cfg = RunConfig(opts.jobs, opts.timeout, opts.runtime_mul)
    results = run_suite(build, entries, opts.suite, cfg)
    timing["run"] = time.monotonic() - t0
    known = load_known_failures()
    summary = ltp_report.summarize(results, known)
    print(summary.line())
    if not opts.tests and not opts.no_report:
        ltp_report.write(opts.suite, results, known, summary, timing, build)
        print(f"ltp.py: wrote the {opts.suite} section of {ltp_report.REPORT}")
    return 1 if summary.unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
