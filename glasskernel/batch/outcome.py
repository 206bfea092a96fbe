"""Rows for jobs whose worker gave none: stopped at the timeout, or dead on its own."""
import os
import signal

from glasskernel.batch.jobs import Job


def _paths(job: Job, outdir: str) -> dict:
    rel = os.path.join("jobs", job.id)
    return {"stdout": os.path.join(rel, "stdout"), "stderr": os.path.join(rel, "stderr")}


def _row(job: Job, outdir: str, verdict: str, checks: dict, error=None) -> dict:
    row = {"id": job.id, "program": job.program, "argv": job.argv, "input": job.input,
           "exit": None, "signal": None, "wait_status": None, "error": error,
           "wall_time": job.timeout if verdict == "fail" else None, "peak_memory": None,
           "processes": None, "syscalls": None, "syscall_counts": None, "digest": None,
           "guest_blocks": None, "checks": checks, "verdict": verdict}
    row.update(_paths(job, outdir))
    return row


def timeout_row(job: Job, outdir: str) -> dict:
    """The job was still running at its wall-time timeout and was killed."""
    reason = f"still running after {job.timeout:g} s: stopped at the wall-time timeout"
    return _row(job, outdir, "fail", {"timeout": {"ok": False, "reason": reason}})


def lost_row(job: Job, outdir: str, wait_status: int) -> dict:
    """The worker process ended without a result (a bug in glasskernel, or killed)."""
    if os.WIFSIGNALED(wait_status):
        how = f"killed by {signal.Signals(os.WTERMSIG(wait_status)).name}"
    else:
        how = f"exit status {os.WEXITSTATUS(wait_status)}"
    detail = ""
    try:
        with open(os.path.join(outdir, "jobs", job.id, "worker-error.txt")) as f:
            detail = ": " + f.read().strip().splitlines()[-1]
    except (OSError, IndexError):
        pass
    return _row(job, outdir, "error", {}, error=f"the worker process ended without a result ({how}){detail}")
