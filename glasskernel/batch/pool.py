"""The local pool: each job in its own forked worker process, N at a time.

The batch process imports the kernel once; each job gets a child forked from it
(copy-on-write: no interpreter start, no imports), in its own process group so a Ctrl-C
on the terminal reaches only the batch. The child runs ``worker.run_job``, says so through a pipe
and exits; the parent waits on those pipes with the nearest timeout, kills a child past its
job's wall-time timeout (SIGKILL: whatever the guest does, the run ends there) and turns
a child that died without a result into an "error" row. One child's crash or hang never
touches another. Ctrl-C kills the running children and returns the rows that finished.
"""
import json
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
    import glasskernel.tools.timeline.timeline_html  # noqa: F401
    import glasskernel.tools.proc_tree  # noqa: F401
    import glasskernel.tools.demo.explain  # noqa: F401
    import glasskernel.batch.place  # noqa: F401
    import hashlib  # noqa: F401


class _Child:
    __slots__ = ("pid", "done_fd", "job", "started", "deadline", "finished")

    def __init__(self, pid, done_fd, job, started):
        self.pid, self.done_fd, self.job, self.started = pid, done_fd, job, started
        self.deadline = started + job.timeout
        self.finished = False             # it wrote its row (it may still be exiting)


def run_local(jobs: list, outdir: str, workers: int = None, on_row=None, on_start=None) -> list:
    """Run the jobs, at most `workers` at once (default: one per core); the rows in the
    order the jobs finished. on_row(row) and on_start(job) are called as they happen.

    A worker tells it has written its row through a pipe, before it exits: the next job
    starts while the finished one's process is still being torn down (its emulator's
    memory unmapped, ~15 ms), and the exited workers are reaped as the loop goes by."""
    workers = max(1, workers or os.cpu_count() or 1)
    preload()
    pending = list(reversed(jobs))
    running = {}
    exiting = []
    rows = []
    try:
        while pending or running:
            while pending and len(running) < workers:
                child = _spawn(pending.pop(), outdir)
                running[child.done_fd] = child
                if on_start:
                    on_start(child.job)
            for child in _wait_some(running):
                del running[child.done_fd]
                os.close(child.done_fd)
                row = _collect(child, outdir)
                if child.finished:
                    exiting.append(child.pid)
                rows.append(row)
                if on_row:
                    on_row(row)
            exiting = _reap_exited(exiting)
    except BaseException:
        for child in running.values():
            _kill(child)
        raise
    finally:
        for pid in exiting:
            _waitpid(pid)
    return rows


def _spawn(job, outdir: str) -> _Child:
    jobdir = os.path.join(outdir, "jobs", job.id)
    os.makedirs(jobdir, exist_ok=True)
    for stale in ("result.json", "worker-error.txt"):
        if os.path.exists(os.path.join(jobdir, stale)):
            os.unlink(os.path.join(jobdir, stale))
    done_r, done_w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(done_r)
        _child_main(job, outdir, jobdir, done_w)
    os.close(done_w)                     # only the worker holds it: EOF = it ended
    return _Child(pid, done_r, job, started)


def _child_main(job, outdir: str, jobdir: str, done_w: int) -> None:
    """The worker: never returns into the parent's code."""
    status = 0
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        run_job(job, outdir)
        os.write(done_w, b"1")
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
    """The children that finished or died (or were killed at their deadline) by the
    nearest deadline."""
    now = time.monotonic()
    nearest = min(child.deadline for child in running.values())
    ready, _, _ = select.select(list(running), [], [], max(nearest - now, 0))
    done = []
    for fd in ready:
        child = running[fd]
        child.finished = os.read(fd, 1) == b"1"
        done.append(child)
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
    _waitpid(child.pid)


def _waitpid(pid: int, flags: int = 0):
    """The wait status of an ended child (None if it has not ended, with WNOHANG)."""
    try:
        got, status = os.waitpid(pid, flags)
    except ChildProcessError:
        return 0
    return status if got else None


def _reap_exited(pids: list) -> list:
    """Reap the finished workers that have exited by now; the ones still exiting."""
    return [pid for pid in pids if _waitpid(pid, os.WNOHANG) is None]


def _collect(child: _Child, outdir: str) -> dict:
    """The child's row; a timeout or a worker that died gets one made here."""
    if child.deadline is None:
        return timeout_row(child.job, outdir)
    status = 0 if child.finished else _waitpid(child.pid)
    path = os.path.join(outdir, "jobs", child.job.id, "result.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return lost_row(child.job, outdir, status)
