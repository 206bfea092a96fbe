"""The terminal side of a batch: the progress line while it runs, the table after."""
import sys
import time

VERDICT_ORDER = ("pass", "fail", "error")


class Progress:
    """A one-line bar on a terminal: done/failed/running counts and an ETA from the mean
    time per finished job. Quiet when the stream is not a terminal."""

    def __init__(self, total: int, workers: int, stream=None, force: bool = False):
        self.total, self.workers = total, max(workers, 1)
        self.stream = stream or sys.stderr
        self.enabled = force or self.stream.isatty()
        self.done = self.failed = self.running = 0
        self.started = time.monotonic()

    def job_started(self, _job=None) -> None:
        self.running += 1
        self.draw()

    def job_done(self, row: dict) -> None:
        self.running = max(self.running - 1, 0)
        self.done += 1
        if row.get("verdict") != "pass":
            self.failed += 1
        self.draw()

    def eta(self) -> str:
        if not self.done:
            return "?"
        per_job = (time.monotonic() - self.started) / self.done
        return f"{per_job * (self.total - self.done):.0f}s"

    def draw(self) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} done, {self.failed} failed, "
                          f"{self.running} running, ETA {self.eta()}  ")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def counts(rows: list) -> dict:
    result = {v: 0 for v in VERDICT_ORDER}
    for row in rows:
        result[row.get("verdict", "error")] = result.get(row.get("verdict", "error"), 0) + 1
    return result


def failed_checks(row: dict) -> str:
    """What went wrong, in one short phrase: the error, or the failed checks' names."""
    if row.get("error"):
        return row["error"]
    bad = [name for name, check in (row.get("checks") or {}).items() if not check.get("ok")]
    return ", ".join(bad)


def status_text(row: dict) -> str:
    if row.get("signal"):
        return row["signal"]
    return "-" if row.get("exit") is None else str(row["exit"])


def summary_table(rows: list, width: int = 100) -> str:
    """The table printed after a batch, and the counts line under it."""
    head = ("id", "verdict", "exit", "procs", "syscalls", "time", "what failed")
    lines = [head]
    for row in rows:
        lines.append((row["id"], row.get("verdict", "?"), status_text(row),
                      _n(row.get("processes")), _n(row.get("syscalls")),
                      "-" if row.get("wall_time") is None else f"{row['wall_time']:.2f}s",
                      failed_checks(row)))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head) - 1)]
    out = []
    for line in lines:
        text = "  ".join(cell.ljust(w) for cell, w in zip(line, widths)) + "  " + line[-1]
        out.append(text.rstrip()[:width] if len(text) > width else text.rstrip())
    c = counts(rows)
    out.append(f"{len(rows)} jobs: {c['pass']} passed, {c['fail']} failed, {c['error']} errors")
    return "\n".join(out) + "\n"


def _n(value) -> str:
    return "-" if value is None else str(value)
