"""OUTDIR/results.jsonl: one row per job, appended as jobs finish, read back to resume.

A row is appended the moment its job ends, so a batch stopped by Ctrl-C (or killed)
keeps everything that finished; at the end the file is rewritten whole in the jobs'
order, one row per id (the latest), atomically.
"""
import json
import os

RESULTS = "results.jsonl"


def results_path(outdir: str) -> str:
    return os.path.join(outdir, RESULTS)


def load_results(outdir: str) -> dict:
    """id -> the latest row in OUTDIR/results.jsonl (none if there is no file yet). A line
    cut short by a kill is skipped."""
    rows = {}
    try:
        with open(results_path(outdir), encoding="utf-8") as f:
            for line in f:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict) and "id" in row:
                    rows[row["id"]] = row
    except FileNotFoundError:
        pass
    return rows


def append_row(outdir: str, row: dict) -> None:
    with open(results_path(outdir), "a", encoding="utf-8") as f:
        f.write(json.dumps(row, sort_keys=False) + "\n")


def write_results(outdir: str, rows: list) -> None:
    """The whole file, rows in the given order."""
    tmp = results_path(outdir) + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    os.replace(tmp, results_path(outdir))


def ordered_rows(jobs: list, done: dict) -> list:
    """The rows of these jobs in the jobs' order, then rows of other ids already there."""
    ids = [job.id for job in jobs]
    rows = [done[i] for i in ids if i in done]
    known = set(ids)
    return rows + [row for key, row in done.items() if key not in known]
