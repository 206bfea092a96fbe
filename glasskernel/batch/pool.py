"""The local pool: each job in its own forked worker process, N at a time.

The batch process imports the kernel once; each job gets a child forked from it
(copy-on-write: no interpreter start, no imports), in its own process group so a Ctrl-C
on the terminal reaches only the batch. The child runs ``worker.run_job`` and exits; the
parent waits on the children's pidfds with the nearest timeout, kills a child past its
job's wall-time timeout (SIGKILL: whatever the guest does, the run ends there) and turns
a child that died without a result into an "error" row. One child's crash or hang never
touches another. Ctrl-C kills the running children and returns the rows that finished.
"""
import os
import select
import signal
import time
import traceback

from glasskernel.batch.outcome import lost_row, timeout_row
from glasskernel.batch.worker import run_job

EXIT_WORKER_BUG = 70


def preload() -> None:
    """Import what every job needs before forking, so the children share it."""
    import glasskernel.init.main  # noqa: F401
    import glasskernel.fs.exec  # noqa: F401
    import glasskernel.kernel.trace.recorder  # noqa: F401
    import glasskernel.kernel.trace.timeline_html  # noqa: F401
    import glasskernel.kernel.trace.proc_tree  # noqa: F401
    import glasskernel.batch.place  # noqa: F401
    import hashlib  # noqa: F401


class _Child:
    __slots__ = ("pid", "pidfd", "job", "started", "deadline")

    def __init__(self, pid, pidfd, job, started):
        self.pid, self.pidfd, self.job, self.started = pid, pidfd, job, started
        self.deadline = started + job.timeout


def run_local(jobs: list, outdir: str, workers: int = None, on_row=None, on_start=None) -> list:
    """Run the jobs, at most `workers` at once (default: one per core); the rows in the
    order the jobs finished. on_row(row) and on_start(job) are called as they happen."""
    workers = max(1, workers or os.cpu_count() or 1)
    preload()
    pending = list(reversed(jobs))
    running = {}
    rows = []
    try:
        while pending or running:
            while pending and len(running) < workers:
                child = _spawn(pending.pop(), outdir)
                running[child.pidfd] = child
                if on_start:
                    on_start(child.job)
            for child in _wait_some(running):
                del running[child.pidfd]
                row = _collect(child, outdir)
                rows.append(row)
                if on_row:
                    on_row(row)
    except BaseException:
        for child in running.values():
            _kill(child)
        raise
    return rows


def _spawn(job, outdir: str) -> _Child:
    jobdir = os.path.join(outdir, "jobs", job.id)
    os.makedirs(jobdir, exist_ok=True)
    for stale in ("result.json", "worker-error.txt"):
        if os.path.exists(os.path.join(jobdir, stale)):
            os.unlink(os.path.join(jobdir, stale))
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child_main(job, outdir, jobdir)
    return _Child(pid, os.pidfd_open(pid), job, started)


def _child_main(job, outdir: str, jobdir: str) -> None:
    """The worker: never returns into the parent's code."""
    status = 0
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        run_job(job, outdir)
    except BaseException:
        status = EXIT_WORKER_BUG
        try:
            with open(os.path.join(jobdir, "worker-error.txt"), "w") as f:
                f.write(traceback.format_exc())
        except OSError:
            pass
    finally:
        os._exit(status)


def _wait_some(running: dict) -> list:
    """The children that ended (or were killed at their deadline) by the nearest deadline."""
    now = time.monotonic()
    nearest = min(child.deadline for child in running.values())
    ready, _, _ = select.select(list(running), [], [], max(nearest - now, 0))
    done = [running[fd] for fd in ready]
    now = time.monotonic()
    for child in running.values():
        if child not in done and child.deadline <= now:
            child.deadline = None          # marks it: killed at its timeout
            _kill(child)
            done.append(child)
    return done


def _kill(child: _Child) -> None:
    try:
        os.kill(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(child)


def _reap(child: _Child) -> int:
    try:
        _, status = os.waitpid(child.pid, 0)
    except ChildProcessError:
        status = 0
    os.close(child.pidfd)
    return status


def _collect(child: _Child, outdir: str) -> dict:
    """The child's row; a timeout or a worker that died gets one made here."""
    if child.deadline is None:
        return timeout_row(child.job, outdir)
    status = _reap(child)
    path = os.path.join(outdir, "jobs", child.job.id, "result.json")
    try:
        import json
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return lost_row(child.job, outdir, status)
