"""Many guest programs at once: ``glasskernel batch`` and ``glasskernel.batch.run``.

    from glasskernel import batch
    rows = batch.run("jobs.jsonl", outdir="out")                 # the local pool
    rows = batch.run(jobs, executor=ThreadPoolExecutor(4))       # any concurrent.futures executor
    rows = batch.run(jobs, executor=distributed.Client(addr))    # a Dask cluster

Each job runs in its own process with a fresh kernel (jobs.py: the job format;
worker.py: one run; checks.py: the expectations; pool.py: the local pool;
executors.py: executors and Dask; results.py, summary.py, report.py: the outputs).
"""
import os
import threading

from glasskernel.batch.jobs import Job, JobError, jobs_from_row, load_jobs, check_unique_ids

__all__ = ["Job", "JobError", "load_jobs", "run", "run_batch"]


def run(jobs, executor=None, outdir: str = None, workers: int = None, rerun: bool = False,
        progress=None) -> list:
    """Run the jobs; their result rows, in the jobs' order.

    jobs: a jobs file's path, or a list of Jobs or of job dicts (as in a JSON Lines file;
    relative paths against the current directory). executor: None for the local pool (one
    worker process per core, or `workers`), a concurrent.futures executor, or a
    distributed.Client. outdir: where results.jsonl, report.html and each job's files go
    (default: a new temporary directory). Jobs already in outdir's results are not run
    again unless rerun."""
    jobs = _as_jobs(jobs)
    if outdir is None:
        import tempfile
        outdir = tempfile.mkdtemp(prefix="glasskernel-batch-")
    return run_batch(jobs, outdir, executor=executor, workers=workers, rerun=rerun,
                     progress=progress)["rows"]


def _as_jobs(jobs) -> list:
    if isinstance(jobs, (str, os.PathLike)):
        return load_jobs(os.fspath(jobs))
    result = []
    for n, item in enumerate(jobs, 1):
        if isinstance(item, Job):
            result.append(item)
        else:
            result.extend(jobs_from_row(item, os.getcwd(), f"job #{n}"))
    check_unique_ids(result)
    return result


def run_batch(jobs: list, outdir: str, executor=None, workers: int = None, rerun: bool = False,
              progress=None) -> dict:
    """The batch behind the command and the API: skip what is done, run the rest, write
    results.jsonl and report.html. {"rows", "ran", "skipped", "interrupted"}."""
    from glasskernel.batch import results
    from glasskernel.batch.report import write_report
    outdir = os.path.abspath(outdir)          # workers change directory to their job's
    os.makedirs(outdir, exist_ok=True)
    done = results.load_results(outdir)
    todo = [job for job in jobs if rerun or job.id not in done]
    skipped = len(jobs) - len(todo)

    def on_row(row):
        results.append_row(outdir, row)
        done[row["id"]] = row
        if progress is not None:
            progress.job_done(row)

    on_start = progress.job_started if progress is not None else None
    interrupted = False
    try:
        _dispatch(todo, outdir, executor, workers, on_row, on_start)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if progress is not None:
            progress.finish()
        all_rows = results.ordered_rows(jobs, done)
        results.write_results(outdir, all_rows)
        write_report(outdir, all_rows)
    rows = [done[job.id] for job in jobs if job.id in done]
    return {"rows": rows, "ran": len(todo), "skipped": skipped, "interrupted": interrupted}


def _dispatch(jobs: list, outdir: str, executor, workers, on_row, on_start) -> None:
    from glasskernel.batch import executors
    if not jobs:
        return
    if executor is None and threading.active_count() > 1:
        # Forking a process that has other threads (a notebook's kernel, a Dask client)
        # could copy a lock another thread holds: its jobs run as worker processes instead.
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max(1, workers or os.cpu_count() or 1)) as pool:
            executors.run_executor(jobs, outdir, pool, on_row, on_start)
    elif executor is None:
        from glasskernel.batch.pool import run_local
        run_local(jobs, outdir, workers, on_row=on_row, on_start=on_start)
    elif isinstance(executor, str):
        client = executors.connect_dask(executor)
        try:
            executors.run_dask(jobs, outdir, client, on_row, on_start)
        finally:
            client.close()
    elif executors.is_dask_client(executor):
        executors.run_dask(jobs, outdir, executor, on_row, on_start)
    else:
        executors.run_executor(jobs, outdir, executor, on_row, on_start)
