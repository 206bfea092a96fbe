"""The counts of an LTP run and its section of docs/conformance.md.

Each suite owns the part of the file between `<!-- ltp:SUITE begin -->` and
`<!-- ltp:SUITE end -->`; a run rewrites only its own suite's part, so the hand-written text
around the markers and the other suite's results stay.
"""
from __future__ import annotations

import datetime
import subprocess
from dataclasses import dataclass, field

from ltp_build import REPO

REPORT = REPO / "docs" / "conformance.md"


@dataclass(slots=True)
class Summary:
    """Counts over a suite: passes on each side, and the differences split by known-ness."""
    total: int
    native_pass: int
    gk_pass: int
    both_pass: int
    unexpected: list[str] = field(default_factory=list)   # regressions not in known-failures
    known: list[str] = field(default_factory=list)        # regressions listed as known
    fixed: list[str] = field(default_factory=list)        # listed as known but pass now

    def line(self) -> str:
        rate = 100.0 * self.both_pass / self.native_pass if self.native_pass else 0.0
        return (f"{self.total} tests: native passes {self.native_pass}, glasskernel passes "
                f"{self.gk_pass} ({self.both_pass} of the native passes, {rate:.1f}%); "
                f"{len(self.unexpected)} unexpected failures, {len(self.known)} known"
                + (f"; listed as known but passing now: {' '.join(self.fixed)}" if self.fixed else ""))


def summarize(results, known: dict[str, str]) -> Summary:
    s = Summary(len(results),
                sum(r.native.verdict == "pass" for r in results),
                sum(r.glasskernel.verdict == "pass" for r in results),
                sum(r.native.verdict == "pass" == r.glasskernel.verdict for r in results))
    for r in results:
        if r.regression:
            (s.known if r.entry.tag in known else s.unexpected).append(r.entry.tag)
        elif r.entry.tag in known and r.glasskernel.verdict == "pass":
            s.fixed.append(r.entry.tag)
    return s


def head_commit() -> str:
    """The repo's HEAD, with "+" when the tree has changes (what the run really ran)."""
    def git(*args):
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True,
                              text=True).stdout.strip()
    return git("rev-parse", "--short", "HEAD") + ("+" if git("status", "--porcelain",
                                                               "--untracked-files=no") else "")


def _cell(text: str) -> str:
    text = text.replace("|", "\\|").replace("`", "'")
    return text if len(text) <= 220 else text[:217] + "..."


def section(suite, results, known, summary: Summary, timing: dict, build) -> str:
    """The markdown for one suite's run."""
    commit = timing.get("commit") or head_commit()
    version = (build.tree / "VERSION").read_text().strip() if (build.tree / "VERSION").exists() else "?"
    steps = ", ".join(f"{k} {v:.0f} s" for k, v in timing.get("steps", {}).items()) or "cached"
    out = [f"<!-- ltp:{suite} begin -->",
           f"### Suite `{suite}`: {summary.total} tests",
           "",
           f"Run {datetime.date.today()} at glasskernel commit {commit}, LTP {version}. "
           f"Build {timing['build']:.0f} s ({steps}); both runs of every test "
           f"{timing['run']:.0f} s.",
           "",
           f"**Native passes {summary.native_pass}; glasskernel passes {summary.gk_pass}; "
           f"pass rate {summary.both_pass} / {summary.native_pass}"
           + (f" = {100.0 * summary.both_pass / summary.native_pass:.1f}%"
              if summary.native_pass else "") + "** (glasskernel passes among native passes). "
           f"Differences not in known-failures.txt: {len(summary.unexpected)}.",
           "",
           "| test | native | glasskernel | first cause of the difference |",
           "|---|---|---|---|"]
    for r in results:
        cause = ""
        if r.native.verdict != r.glasskernel.verdict:
            cause = r.glasskernel.cause() if r.native.verdict == "pass" else r.native.cause()
            if r.entry.tag in known:
                cause = f"known: {known[r.entry.tag]} — {cause}"
        out.append(f"| {r.entry.tag} | {r.native.verdict} | {r.glasskernel.verdict} | {_cell(cause)} |")
    out.append(f"<!-- ltp:{suite} end -->")
    return "\n".join(out)


def write(suite, results, known, summary, timing, build) -> None:
    """Replace SUITE's section of docs/conformance.md (appending it if the file lacks one)."""
    text = REPORT.read_text() if REPORT.exists() else "# Conformance: LTP as the oracle\n"
    new = section(suite, results, known, summary, timing, build)
    begin, end = f"<!-- ltp:{suite} begin -->", f"<!-- ltp:{suite} end -->"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + new + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    REPORT.write_text(text)
