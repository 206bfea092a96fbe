"""Running jobs elsewhere than the local pool: a concurrent.futures executor or Dask.

Either way each job still runs in its own process, ``python -m glasskernel.batch.worker``
(a hang is killed at the job's timeout by ``subprocess``), so a job cannot take its
executor's worker down with it.

On Dask (``distributed``, an optional dependency: ``pip install glasskernel[cluster]``)
the workers may be other machines: unless the job says ``shared`` (its paths are on a
file system every worker sees), the program, its stdin file, its placed files and the
expected outputs travel with the job as bytes; the worker places any of them its host
lacks (or holds different) in the guest's private layer at the same path, so the guest
sees the same files either way. The worker runs the job in a temporary directory and
sends back the row and the job's files, which are written under OUTDIR as the local pool
writes them.
"""
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile

from glasskernel.batch.jobs import Job, job_from_dict
from glasskernel.batch.outcome import lost_row, timeout_row

STARTUP_GRACE = 5.0          # seconds for the worker's interpreter to start


def execute_job(job_data: dict, outdir: str, payload: dict = None) -> dict:
    """Run one job (a Job.to_dict()) in a new worker process writing under outdir; its row."""
    job = job_from_dict(job_data)
    jobdir = os.path.join(outdir, "jobs", job.id)
    os.makedirs(jobdir, exist_ok=True)
    result = os.path.join(jobdir, "result.json")
    if os.path.exists(result):
        os.unlink(result)
    spec = os.path.join(jobdir, "job.json")
    with open(spec, "w", encoding="utf-8") as f:
        json.dump(job_data, f)
    command = [sys.executable, "-m", "glasskernel.batch.worker", spec, outdir]
    if payload:
        command.append(os.path.join(jobdir, "payload.pickle"))
        with open(command[-1], "wb") as f:
            pickle.dump(payload, f)
    try:
        with open(os.path.join(jobdir, "worker-error.txt"), "w") as errors:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=errors, timeout=job.timeout + STARTUP_GRACE,
                                  start_new_session=True)
    except subprocess.TimeoutExpired:
        return timeout_row(job, outdir)
    finally:
        for name in ("job.json", "payload.pickle") + (("worker-error.txt",) if _empty(jobdir) else ()):
            if os.path.exists(os.path.join(jobdir, name)):
                os.unlink(os.path.join(jobdir, name))
    try:
        with open(result, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        status = -done.returncode if done.returncode < 0 else done.returncode << 8
        return lost_row(job, outdir, status)


def _empty(jobdir: str) -> bool:
    path = os.path.join(jobdir, "worker-error.txt")
    return os.path.exists(path) and os.path.getsize(path) == 0


def job_payload(job: Job) -> dict:
    """host path -> bytes of every file the job reads from the host (none if shared, or
    with a root of its own: its paths are then the guest's, not the host's)."""
    if job.shared or job.root is not None:
        return {}
    paths = [job.argv[0]] if "/" in job.argv[0] else []
    paths += [job.stdin_file, job.expect.get("stdout_file"), job.expect.get("stderr_file")]
    paths += [p for p in job.files.values() if isinstance(p, str)]
    payload = {}
    for path in paths:
        if path and os.path.isfile(path):
            with open(path, "rb") as f:
                payload[path] = f.read()
    return payload


def remote_job(job_data: dict, payload: dict) -> dict:
    """The Dask task: run the job in a scratch OUTDIR; the row and the job's files."""
    scratch = tempfile.mkdtemp(prefix="glasskernel-batch-")
    try:
        row = execute_job(job_data, scratch, payload)
        jobdir = os.path.join(scratch, "jobs", job_data["id"])
        files = {}
        for name in sorted(os.listdir(jobdir)):
            path = os.path.join(jobdir, name)
            if os.path.isfile(path) and name not in ("result.json", "stdin") \
                    and (name != "worker-error.txt" or os.path.getsize(path)):
                with open(path, "rb") as f:
                    files[name] = f.read()
        return {"row": row, "files": files}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_dask(jobs: list, outdir: str, client, on_row=None, on_start=None) -> list:
    """Run the jobs as Dask tasks on client's cluster; rows in finishing order."""
    from distributed import as_completed
    futures = {}
    for job in jobs:
        future = client.submit(remote_job, job.to_dict(), job_payload(job), pure=False,
                               key=f"glasskernel-batch-{job.id}-{os.urandom(4).hex()}")
        futures[future] = job
        if on_start:
            on_start(job)
    rows = []
    try:
        for future in as_completed(futures):
            job = futures[future]
            try:
                answer = future.result()
            except Exception as exc:            # the task itself failed on the worker
                row = lost_row(job, outdir, 0)
                row["error"] = f"the Dask task failed: {type(exc).__name__}: {exc}"
            else:
                row = answer["row"]
                write_job_files(outdir, job.id, answer["files"])
            rows.append(row)
            if on_row:
                on_row(row)
    except BaseException:
        client.cancel(list(futures))
        raise
    return rows


def write_job_files(outdir: str, job_id: str, files: dict) -> None:
    jobdir = os.path.join(outdir, "jobs", job_id)
    os.makedirs(jobdir, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(jobdir, os.path.basename(name)), "wb") as f:
            f.write(data)


def run_executor(jobs: list, outdir: str, executor, on_row=None, on_start=None) -> list:
    """Run the jobs through a concurrent.futures-style executor (submit -> future)."""
    from concurrent.futures import as_completed
    futures = {}
    for job in jobs:
        futures[executor.submit(execute_job, job.to_dict(), outdir)] = job
        if on_start:
            on_start(job)
    rows = []
    try:
        for future in as_completed(futures):
            row = future.result()
            rows.append(row)
            if on_row:
                on_row(row)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return rows


def connect_dask(address: str):
    """A distributed.Client for the scheduler address; a clear error without the package."""
    try:
        from distributed import Client
    except ImportError:
        raise RuntimeError("--dask needs the 'distributed' package: pip install 'glasskernel[cluster]'") from None
    return Client(address, timeout="20s")


def is_dask_client(executor) -> bool:
    return type(executor).__module__.split(".")[0] == "distributed"
